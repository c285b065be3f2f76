/**
 * The `http_request` builtin: one HTTP request through `@effect/platform`'s HttpClient (the Node client,
 * provided inside the tool and loaded on the first request). Refused unless its host is allowed
 * (`allowedHosts`, when set) and, unless `allowPrivate` or the host is named exactly in `allowedHosts`,
 * every address the host resolves to is public: loopback, private, link-local and the other special IPv4
 * and IPv6 ranges are refused, checked again when the socket connects (so a name that resolves
 * differently the second time cannot slip through). Redirects are not followed. The answer's body is
 * read up to a cap and the connection closed there.
 *
 * @since 0.2.0
 */
import * as dns from "node:dns"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as Tool from "../Tool.js"
import { BuiltinToolError, quote, refuse } from "./BuiltinToolError.js"
import { guardedLookup, isIp, privateRange } from "./internal/addresses.js"

/**
 * The methods `http_request` knows.
 *
 * @since 0.2.0
 * @category schemas
 */
export const Method = Schema.Literal("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

/**
 * Options of {@link make}.
 *
 * @since 0.2.0
 * @category models
 */
export interface Options {
  /** Host names the tool may reach (exact, or `*.example.com` for its subdomains); absent: any public host. */
  readonly allowedHosts?: ReadonlyArray<string>
  /** Allow loopback, private and link-local addresses (default false). */
  readonly allowPrivate?: boolean
  /** Methods the model may use (default GET and HEAD). */
  readonly allowedMethods?: ReadonlyArray<typeof Method.Type>
  /** Bytes of the answer's body kept; the rest is not read (default 1 MiB). */
  readonly maxResponseBytes?: number
  /** Largest request body (default 1 MiB). */
  readonly maxRequestBytes?: number
  /** Longest a request may take, answer included (default 30 000 ms). */
  readonly timeoutMs?: number
  readonly name?: string
}

/**
 * Parameters of `http_request`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const Parameters = Schema.Struct({
  url: Schema.String.annotations({ description: "The http:// or https:// URL." }),
  method: Schema.optional(Method.annotations({ description: "The HTTP method (default GET)." })),
  headers: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String })).annotations({
    description: "Request headers (Host, Connection, Content-Length and the like are set by the tool)."
  }),
  body: Schema.optional(Schema.String.annotations({ description: "The request body (text)." })),
  timeout_ms: Schema.optional(Schema.Number.annotations({
    description: "Give up after this many milliseconds (at most the configured timeout)."
  }))
})

/**
 * What `http_request` returns. A redirect is returned as is (`status` 3xx and its `location` header).
 *
 * @since 0.2.0
 * @category models
 */
export interface Result {
  readonly url: string
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  readonly bytes: number
  readonly truncated: boolean
}

const FORBIDDEN_HEADERS = new Set([
  "host",
  "connection",
  "content-length",
  "transfer-encoding",
  "upgrade",
  "keep-alive",
  "te",
  "trailer",
  "proxy-authorization",
  "proxy-connection"
])

const hostAllowed = (host: string, allowed: ReadonlyArray<string>) =>
  allowed.some((entry) => {
    const e = entry.toLowerCase()
    return e.startsWith("*.") ? host.endsWith(e.slice(1)) && host.length > e.length - 1 : host === e
  })

/** The addresses of a host name, all of them. */
const resolveAll = (host: string) =>
  Effect.async<ReadonlyArray<dns.LookupAddress>, NodeJS.ErrnoException>((resume) => {
    dns.lookup(host, { all: true, verbatim: true }, (error, addresses) =>
      resume(error ? Effect.fail(error) : Effect.succeed(addresses)))
  })

/**
 * Makes the `http_request` tool. Not idempotent (a POST may act twice).
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (options?: Options): Tool.Tool<typeof Parameters.Type> => {
  const name = options?.name ?? "http_request"
  const allowPrivate = options?.allowPrivate === true
  const allowedHosts = options?.allowedHosts
  // a host named exactly in the allowlist may be private (an operator's explicit choice); wildcards may not
  const exact = new Set((allowedHosts ?? []).filter((h) => !h.startsWith("*.")).map((h) => h.toLowerCase()))
  const privateAllowed = (host: string) => allowPrivate || exact.has(host.toLowerCase())
  const methods = new Set(options?.allowedMethods ?? ["GET", "HEAD"])
  const maxResponse = options?.maxResponseBytes ?? 1_048_576
  const maxRequest = options?.maxRequestBytes ?? 1_048_576
  const maxTimeout = options?.timeoutMs ?? 30_000
  // the Node client with an agent whose sockets check the addresses they connect to
  const lookup = guardedLookup(privateAllowed)
  return Tool.make(name, {
    // reads run together; requests that change something on a host run in the model's order
    concurrencySafe: true,
    conflictKeys: ({ method, url }: { readonly method?: string | undefined; readonly url: string }) => {
      if (method === undefined || method === "GET" || method === "HEAD") return []
      try {
        return [`http-write:${new URL(url).host}`]
      } catch {
        return []
      }
    },
    description: `Makes an HTTP request (methods: ${[...methods].join(", ")}) and returns the status, headers and ` +
      `body (the first ${maxResponse} bytes). Redirects are returned, not followed.` +
      (allowedHosts ? ` Allowed hosts: ${allowedHosts.join(", ")}.` : ""),
    parameters: Parameters,
    durableIdempotent: false,
    timeoutMs: maxTimeout + 5_000,
    handler: ({ body, headers = {}, method = "GET", timeout_ms, url }): Effect.Effect<Result, BuiltinToolError> =>
      Effect.gen(function*() {
        if (url.length > 8192) return yield* refuse(name, "url", "is longer than 8192 characters")
        const parsed = yield* Effect.try({
          try: () => new URL(url),
          catch: () => refuse(name, "url", `${quote(url)} is not a valid URL`)
        })
        if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
          return yield* refuse(name, "url", `${quote(url)}: only http and https URLs are allowed, not ${parsed.protocol}`)
        }
        if (parsed.username !== "" || parsed.password !== "") {
          return yield* refuse(name, "url", `${quote(url)}: credentials in the URL are not allowed`)
        }
        // the URL parser has already turned 2130706433, 0x7f.1 and 017700000001 into 127.0.0.1
        const host = parsed.hostname.toLowerCase()
        const bare = host.startsWith("[") ? host.slice(1, -1) : host
        if (allowedHosts && !hostAllowed(bare, allowedHosts)) {
          return yield* refuse(name, "url", `the host ${quote(bare)} is not allowed (allowed: ${allowedHosts.join(", ")})`)
        }
        if (!methods.has(method)) {
          return yield* refuse(name, "method", `${method} is not allowed (allowed: ${[...methods].join(", ")})`)
        }
        if (body !== undefined && Buffer.byteLength(body) > maxRequest) {
          return yield* refuse(name, "body", `is ${Buffer.byteLength(body)} bytes, more than ${maxRequest}`)
        }
        if (body !== undefined && (method === "GET" || method === "HEAD")) {
          return yield* refuse(name, "body", `a ${method} request has no body`)
        }
        const entries = Object.entries(headers)
        if (entries.length > 50) return yield* refuse(name, "headers", `has ${entries.length} headers, more than 50`)
        for (const [key, value] of entries) {
          if (FORBIDDEN_HEADERS.has(key.toLowerCase())) return yield* refuse(name, "headers", `${quote(key)} is set by the tool`)
          if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key) || /[\r\n\0]/.test(value) || value.length > 8192) {
            return yield* refuse(name, "headers", `${quote(key)} is not a valid header name or value`)
          }
        }
        if (timeout_ms !== undefined && !(Number.isFinite(timeout_ms) && timeout_ms > 0)) {
          return yield* refuse(name, "timeout_ms", `must be a positive number of milliseconds, not ${timeout_ms}`)
        }
        const limit = Math.min(timeout_ms ?? maxTimeout, maxTimeout)
        // the name's addresses, all of them, checked before connecting (and again when the socket connects)
        const checkAddresses = Effect.gen(function*() {
          if (privateAllowed(bare)) return
          const addresses = isIp(bare)
            ? [bare]
            : (yield* Effect.mapError(
              resolveAll(bare),
              (e) => refuse(name, "url", `the host ${quote(bare)} cannot be resolved (${e.code ?? e.message})`, true)
            )).map((a) => a.address)
          for (const address of addresses) {
            const range = privateRange(address)
            if (range !== undefined) {
              return yield* refuse(
                name,
                "url",
                `the host ${quote(bare)}${address === bare ? "" : ` resolves to ${address}, which`} is a ${range} address: ` +
                  "private, loopback and link-local addresses are refused"
              )
            }
          }
        })
        const exchange = Effect.gen(function*() {
          const { HttpClient, HttpClientRequest, NodeHttpClient } = yield* Effect.promise(loadPlatform)
          let request = HttpClientRequest.make(method)(parsed, {}).pipe(HttpClientRequest.setHeaders(headers))
          if (body !== undefined) request = HttpClientRequest.bodyText(request, body)
          const client = NodeHttpClient.layerWithoutAgent.pipe(
            Layer.provide(NodeHttpClient.makeAgentLayer({ lookup, keepAlive: false }))
          )
          return yield* Effect.gen(function*() {
            const http = yield* HttpClient.HttpClient
            const response = yield* http.execute(request)
            // read up to the cap; stopping the stream there closes the connection
            const read = yield* Stream.runFoldWhile(
              response.stream,
              { chunks: [] as Array<Uint8Array>, bytes: 0, truncated: false },
              (s) => !s.truncated,
              (s, chunk) => {
                const room = maxResponse - s.bytes
                if (chunk.length > room) {
                  s.chunks.push(chunk.subarray(0, room))
                  return { chunks: s.chunks, bytes: maxResponse, truncated: true }
                }
                s.chunks.push(chunk)
                return { chunks: s.chunks, bytes: s.bytes + chunk.length, truncated: false }
              }
            )
            return {
              url: parsed.toString(),
              status: response.status,
              headers: response.headers,
              body: new TextDecoder("utf-8").decode(Buffer.concat(read.chunks)),
              bytes: read.bytes,
              truncated: read.truncated
            }
          }).pipe(Effect.scoped, Effect.provide(client))
        })
        return yield* checkAddresses.pipe(
          Effect.zipRight(exchange),
          Effect.catchAll((e) =>
            Effect.fail(
              e instanceof BuiltinToolError
                ? e
                : refuse(name, "url", `the request to ${quote(parsed.toString())} failed: ${describe(e)}`, true)
            )
          ),
          Effect.timeoutFail({
            duration: Duration.millis(limit),
            onTimeout: () => refuse(name, "timeout_ms", `no complete answer from ${quote(parsed.host)} within ${limit} ms`, true)
          })
        )
      })
  })
}

// loaded on the first request, not with the config: most agents never make one
let platform:
  | Promise<{
    readonly HttpClient: typeof import("@effect/platform/HttpClient")
    readonly HttpClientRequest: typeof import("@effect/platform/HttpClientRequest")
    readonly NodeHttpClient: typeof import("@effect/platform-node/NodeHttpClient")
  }>
  | undefined
const loadPlatform = () =>
  (platform ??= Promise.all([
    import("@effect/platform/HttpClient"),
    import("@effect/platform/HttpClientRequest"),
    import("@effect/platform-node/NodeHttpClient")
  ]).then(([HttpClient, HttpClientRequest, NodeHttpClient]) => ({ HttpClient, HttpClientRequest, NodeHttpClient })))

const describe = (e: unknown): string => {
  const cause = (e as { cause?: unknown }).cause
  const inner = cause instanceof Error ? cause.message : undefined
  const outer = e instanceof Error ? e.message : String(e)
  return inner && !outer.includes(inner) ? `${outer} (${inner})` : outer
}
