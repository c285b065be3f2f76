/**
 * The URL builtins `url_parse`, `url_build`, `query_param` and `host_lookup`: pure URL handling with the
 * WHATWG URL parser (no network, no DNS).
 *
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Tool from "../Tool.js"
import { type BuiltinToolError, quote, refuse } from "./BuiltinToolError.js"

interface Common {
  readonly name?: string
  readonly timeoutMs?: number
}

const timeout = (options?: Common) => (options?.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {})

const parse = (toolName: string, argument: string, url: string): Effect.Effect<URL, BuiltinToolError> =>
  url.length > 8192
    ? Effect.fail(refuse(toolName, argument, "is longer than 8192 characters"))
    : Effect.try({
      try: () => new URL(url),
      catch: () => refuse(toolName, argument, `${quote(url)} is not an absolute URL (e.g. "https://example.com/a?b=c")`)
    })

const queryOf = (u: URL): Record<string, string | Array<string>> => {
  const out: Record<string, string | Array<string>> = {}
  for (const key of new Set(u.searchParams.keys())) {
    const all = u.searchParams.getAll(key)
    out[key] = all.length === 1 ? all[0]! : all
  }
  return out
}

const UrlParam = Schema.String.annotations({ description: "An absolute URL, e.g. \"https://example.com/a?b=c#d\"." })

/**
 * Parameters of `url_parse`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const ParseParameters = Schema.Struct({ url: UrlParam })

/**
 * Makes the `url_parse` tool: a URL's parts, its query decoded.
 *
 * @since 0.2.0
 * @category constructors
 */
export const makeParse = (options?: Common) => {
  const name = options?.name ?? "url_parse"
  return Tool.make(name, {
    // pure
    concurrencySafe: true,
    description: "Splits a URL into scheme, host, port, path, query (decoded, as an object) and fragment.",
    parameters: ParseParameters,
    ...timeout(options),
    handler: ({ url }) =>
      Effect.map(parse(name, "url", url), (u) => ({
        url: u.toString(),
        scheme: u.protocol.replace(/:$/, ""),
        host: u.hostname,
        port: u.port === "" ? null : Number(u.port),
        path: u.pathname,
        query: queryOf(u),
        fragment: u.hash.replace(/^#/, "")
      }))
  })
}

/**
 * Parameters of `url_build`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const BuildParameters = Schema.Struct({
  scheme: Schema.optional(Schema.String.annotations({ description: "The scheme (default \"https\")." })),
  host: Schema.String.annotations({ description: "The host name, with \":port\" if needed." }),
  path: Schema.optional(Schema.String.annotations({ description: "The path (default \"/\"); encoded as needed." })),
  query: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Union(Schema.String, Schema.Number, Schema.Boolean) }))
    .annotations({ description: "Query parameters; values are encoded." }),
  fragment: Schema.optional(Schema.String.annotations({ description: "The fragment, without '#'." }))
})

/**
 * Makes the `url_build` tool: a URL from its parts, each encoded.
 *
 * @since 0.2.0
 * @category constructors
 */
export const makeBuild = (options?: Common) => {
  const name = options?.name ?? "url_build"
  return Tool.make(name, {
    // pure
    concurrencySafe: true,
    description: "Builds a URL from scheme, host, path, query parameters and fragment, encoding each part correctly.",
    parameters: BuildParameters,
    ...timeout(options),
    handler: ({ fragment, host, path = "/", query = {}, scheme = "https" }) =>
      Effect.gen(function*() {
        if (!/^[a-z][a-z0-9+.-]*$/i.test(scheme)) return yield* refuse(name, "scheme", `${quote(scheme)} is not a URL scheme`)
        if (host === "" || /[\s/?#@\\]/.test(host)) return yield* refuse(name, "host", `${quote(host)} is not a host name`)
        const u = yield* parse(name, "host", `${scheme}://${host}`)
        u.pathname = path.startsWith("/") ? path : `/${path}`
        for (const [key, value] of Object.entries(query)) u.searchParams.append(key, String(value))
        if (fragment !== undefined) u.hash = fragment
        return { url: u.toString() }
      })
  })
}

/**
 * Parameters of `query_param`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const QueryParameters = Schema.Struct({
  url: UrlParam,
  key: Schema.String.annotations({ description: "The query parameter's name." }),
  action: Schema.optional(Schema.Literal("get", "set", "delete").annotations({
    description: "\"get\" its value(s) (the default), \"set\" it to `value`, or \"delete\" it."
  })),
  value: Schema.optional(Schema.String.annotations({ description: "The value, for \"set\"." }))
})

/**
 * Makes the `query_param` tool: reads, sets or deletes one query parameter of a URL.
 *
 * @since 0.2.0
 * @category constructors
 */
export const makeQueryParam = (options?: Common) => {
  const name = options?.name ?? "query_param"
  return Tool.make(name, {
    // pure
    concurrencySafe: true,
    description: "Gets, sets or deletes one query parameter of a URL (get returns its value(s); set and delete return the new URL).",
    parameters: QueryParameters,
    ...timeout(options),
    handler: ({ action = "get", key, url, value }) =>
      Effect.gen(function*() {
        const u = yield* parse(name, "url", url)
        if (action === "get") {
          const all = u.searchParams.getAll(key)
          return { key, value: all.length === 0 ? null : all.length === 1 ? all[0]! : all, found: all.length > 0 }
        }
        if (action === "set") {
          if (value === undefined) return yield* refuse(name, "value", "is required to set a parameter")
          u.searchParams.set(key, value)
        } else u.searchParams.delete(key)
        return { key, url: u.toString() }
      })
  })
}

/**
 * Makes the `host_lookup` tool: a URL's host, port (the scheme's default when absent), whether it is
 * HTTPS, and its top-level label. No DNS lookup.
 *
 * @since 0.2.0
 * @category constructors
 */
export const makeHostLookup = (options?: Common) => {
  const name = options?.name ?? "host_lookup"
  const defaults: Record<string, number> = { "http:": 80, "https:": 443, "ftp:": 21, "ws:": 80, "wss:": 443 }
  return Tool.make(name, {
    // pure
    concurrencySafe: true,
    description: "Reads the host of a URL: host name, port (the scheme's default when absent), whether it uses " +
      "HTTPS, and the top-level domain. Parses only; does no DNS lookup.",
    parameters: ParseParameters,
    ...timeout(options),
    handler: ({ url }) =>
      Effect.map(parse(name, "url", url), (u) => ({
        host: u.hostname,
        port: u.port !== "" ? Number(u.port) : defaults[u.protocol] ?? null,
        https: u.protocol === "https:",
        tld: u.hostname.startsWith("[") ? null : u.hostname.split(".").at(-1) ?? null
      }))
  })
}
