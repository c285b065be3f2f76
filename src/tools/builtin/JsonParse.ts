/**
 * The `json_parse` builtin: parses a JSON text and, optionally, selects a part of it with a path such as
 * `a.b[0].c` or `items[2]["display name"]`.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as Tool from "../Tool.js"
import { tooDeepAt } from "../../internal/jsonDepth.js"

/**
 * The text is not valid JSON, nests deeper than {@link MAX_DEPTH}, the path is malformed, or the path
 * selects nothing.
 *
 * @since 0.1.0
 * @category errors
 */
export class JsonParseError extends Schema.TaggedError<JsonParseError>()("JsonParseError", {
  reason: Schema.Literal("InvalidJson", "TooDeep", "InvalidPath", "PathNotFound"),
  message: Schema.String,
  path: Schema.optional(Schema.String)
}) {
  /** @since 0.1.0 */
  readonly retryable = false as const
}

/**
 * One step of a path: a property name or an array index.
 *
 * @since 0.1.0
 * @category models
 */
export type PathSegment = string | number

const IDENT = /^[^.[\]\s]+/

/**
 * Parses a path: `a.b[0].c`, `[0].name`, `a["key with.dots"]`, `a['x']`; a leading `$` or `$.` is allowed
 * and ignored, and the empty path selects the whole value.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parsePath = (path: string): Either.Either<ReadonlyArray<PathSegment>, JsonParseError> => {
  const invalid = (message: string) =>
    Either.left(new JsonParseError({ reason: "InvalidPath", path, message: `Invalid path '${path}': ${message}` }))
  let source = path.trim()
  if (source.startsWith("$")) source = source.slice(1)
  const segments: Array<PathSegment> = []
  let i = 0
  let first = true
  while (i < source.length) {
    const ch = source[i]!
    if (ch === "[") {
      const close = source.indexOf("]", i)
      const quote = source[i + 1]
      if (quote === "\"" || quote === "'") {
        const end = source.indexOf(quote + "]", i + 2)
        if (end === -1) return invalid(`unterminated ${quote}...${quote}] at position ${i + 1}`)
        segments.push(source.slice(i + 2, end))
        i = end + 2
      } else {
        if (close === -1) return invalid(`missing ']' for '[' at position ${i + 1}`)
        const inner = source.slice(i + 1, close).trim()
        if (!/^\d+$/.test(inner)) {
          return invalid(`'[${inner}]' at position ${i + 1} is not an array index; quote keys as ["${inner}"]`)
        }
        segments.push(Number(inner))
        i = close + 1
      }
    } else if (ch === "." || first) {
      if (ch === ".") i++
      const name = IDENT.exec(source.slice(i))
      if (!name) return invalid(`expected a property name at position ${i + 1}`)
      segments.push(name[0])
      i += name[0].length
    } else {
      return invalid(`unexpected '${ch}' at position ${i + 1}`)
    }
    first = false
  }
  return Either.right(segments)
}

const render = (segments: ReadonlyArray<PathSegment>): string =>
  segments.map((s, i) =>
    typeof s === "number" ? `[${s}]` : /^[A-Za-z_$][\w$]*$/.test(s) ? (i === 0 ? s : `.${s}`) : `[${JSON.stringify(s)}]`
  ).join("") || "(root)"

const kind = (value: unknown) => value === null ? "null" : Array.isArray(value) ? "an array" : typeof value === "object" ? "an object" : `a ${typeof value}`

/**
 * Selects the part of `value` at `segments`; `Left` names the step that does not exist.
 *
 * @since 0.1.0
 * @category parsing
 */
export const select = (
  value: unknown,
  segments: ReadonlyArray<PathSegment>,
  path: string = render(segments)
): Either.Either<unknown, JsonParseError> => {
  let current = value
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!
    const at = render(segments.slice(0, i))
    const notFound = (message: string) =>
      Either.left(new JsonParseError({ reason: "PathNotFound", path, message: `Path '${path}' not found: ${message}` }))
    if (Array.isArray(current)) {
      const index = typeof segment === "number" ? segment : /^\d+$/.test(segment) ? Number(segment) : undefined
      if (index === undefined) return notFound(`${at} is an array, so '${segment}' must be an index`)
      if (index >= current.length) {
        return notFound(`${at} has ${current.length} item${current.length === 1 ? "" : "s"}, no index ${index}`)
      }
      current = current[index]
    } else if (typeof current === "object" && current !== null) {
      const key = String(segment)
      // own keys only: "constructor" or "__proto__" must not reach Object.prototype
      if (!Object.hasOwn(current, key)) {
        const keys = Object.keys(current)
        const shown = keys.slice(0, 20).map((k) => JSON.stringify(k)).join(", ")
        return notFound(
          `${at} has no key ${JSON.stringify(key)} (keys: ${keys.length === 0 ? "none" : shown}${keys.length > 20 ? ", ..." : ""})`
        )
      }
      current = (current as Record<string, unknown>)[key]
    } else {
      return notFound(`${at} is ${kind(current)}, not an object or array`)
    }
  }
  return Either.right(current)
}

/**
 * How deep arrays and objects may nest in a document `json_parse` returns. A value nested much deeper
 * cannot be serialized back for the model (JSON.stringify recurses and overflows the stack), so such a
 * text is refused with a clear error instead of reaching the model as something else.
 *
 * @since 0.2.0
 * @category constants
 */
export const MAX_DEPTH = 512


/**
 * Parses `text` as JSON and selects `path` in it.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (text: string, path?: string): Either.Either<unknown, JsonParseError> => {
  const deep = tooDeepAt(text, MAX_DEPTH)
  if (deep !== undefined) {
    return Either.left(
      new JsonParseError({
        reason: "TooDeep",
        message: `JSON nested more than ${MAX_DEPTH} levels deep (at position ${deep}): json_parse returns ` +
          `documents nested at most ${MAX_DEPTH} levels deep`
      })
    )
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    return Either.left(
      new JsonParseError({
        reason: "InvalidJson",
        message: `Invalid JSON: ${error instanceof Error ? error.message : String(error)}`
      })
    )
  }
  if (path === undefined || path.trim() === "" || path.trim() === "$") return Either.right(value)
  return Either.flatMap(parsePath(path), (segments) => select(value, segments, path))
}

/**
 * Parameters of `json_parse`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Parameters = Schema.Struct({
  text: Schema.String.annotations({ description: "The JSON text to parse." }),
  path: Schema.optional(Schema.String.annotations({
    description: "Optional path of the part to return, in dot/bracket notation: \"user.name\", \"items[0].id\", " +
      "\"data[\\\"key with spaces\\\"]\". Omit it to return the whole document."
  }))
})

/**
 * What `json_parse` returns.
 *
 * @since 0.1.0
 * @category models
 */
export interface Result {
  readonly value: unknown
}

/**
 * Options of {@link make}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The tool's name as the model sees it (default `json_parse`). */
  readonly name?: string
  readonly timeoutMs?: number
}

/**
 * The description the model sees.
 *
 * @since 0.1.0
 * @category constants
 */
export const description =
  "Parses a JSON document and returns it as structured data, or just the part selected by a path such as " +
  "\"items[0].name\". Use it to check that a text is valid JSON (the error says where it is not) or to pull " +
  "one value out of a large JSON payload."

/**
 * Makes the `json_parse` tool.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: Options): Tool.Tool<typeof Parameters.Type> =>
  Tool.make(options?.name ?? "json_parse", {
    description,
    parameters: Parameters,
    // pure: no state, no I/O
    concurrencySafe: true,
    ...(options?.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    handler: ({ path, text }): Effect.Effect<Result, JsonParseError> =>
      Either.match(parse(text, path), {
        onLeft: Effect.fail,
        onRight: (value) => Effect.succeed({ value })
      })
  })
