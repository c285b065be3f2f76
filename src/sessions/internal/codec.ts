/**
 * Encoding of session data to JSON text and back, shared by the persistent session stores.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { SessionStoreError } from "../../kernel/Errors.js"
import { PendingApproval } from "../../kernel/Approval.js"
import { JournalEntry, SessionArtifact, SessionCheckpoint, SessionMessage } from "../../kernel/Session.js"
import type { SessionState } from "../SessionStore.js"

/**
 * @since 0.1.0
 * @category internal
 * @internal
 */
export const SessionStateSchema = Schema.Record({ key: Schema.String, value: Schema.Unknown })

/**
 * The four record classes of a session and the schema of each.
 *
 * @since 0.1.0
 * @category internal
 * @internal
 */
export const schemas = {
  message: SessionMessage,
  artifact: SessionArtifact,
  checkpoint: SessionCheckpoint,
  journal: JournalEntry,
  state: SessionStateSchema,
  approval: PendingApproval,
  approval_deleted: Schema.Struct({ runId: Schema.String, callId: Schema.String })
} as const

/**
 * @since 0.1.0
 * @category internal
 * @internal
 */
export type RecordKind = keyof typeof schemas

/**
 * @since 0.1.0
 * @category internal
 * @internal
 */
export interface ErrorContext {
  readonly sessionId?: string | undefined
  readonly operation: string
}

const describe = (cause: unknown): string =>
  cause instanceof Error ? cause.message : typeof cause === "string" ? cause : String(cause)

/**
 * Encodes a value with its schema into its JSON-ready form; a value its schema rejects, or one that is not
 * JSON (a cycle, a bigint), fails with `SessionStoreError` before anything is written.
 *
 * @since 0.1.0
 * @category internal
 * @internal
 */
export const encode = <A, I>(
  schema: Schema.Schema<A, I>,
  value: A,
  context: ErrorContext
): Effect.Effect<I, SessionStoreError> =>
  Schema.encode(schema)(value).pipe(
    Effect.mapError((error) =>
      new SessionStoreError({
        ...(context.sessionId !== undefined ? { sessionId: context.sessionId } : {}),
        operation: context.operation,
        message: `${context.operation}: the value does not match its schema: ${ParseResult.TreeFormatter.formatErrorSync(error)}`,
        hint: "Pass values built with the classes of kernel/Session (SessionMessage, SessionArtifact, ...)."
      })
    )
  )

/**
 * `JSON.stringify` that fails with `SessionStoreError` instead of throwing.
 *
 * @since 0.1.0
 * @category internal
 * @internal
 */
export const stringify = (value: unknown, context: ErrorContext): Effect.Effect<string, SessionStoreError> =>
  Effect.try({
    try: () => JSON.stringify(value),
    catch: (cause) =>
      new SessionStoreError({
        ...(context.sessionId !== undefined ? { sessionId: context.sessionId } : {}),
        operation: context.operation,
        message: `${context.operation}: the value is not JSON: ${describe(cause)}`,
        hint: "Session data must be JSON: no cycles, bigints, functions or class instances with behaviour."
      })
  })

/**
 * Encodes with the schema, then to JSON text.
 *
 * @since 0.1.0
 * @category internal
 * @internal
 */
export const toJson = <A, I>(
  schema: Schema.Schema<A, I>,
  value: A,
  context: ErrorContext
): Effect.Effect<string, SessionStoreError> => Effect.flatMap(encode(schema, value, context), (i) => stringify(i, context))

/**
 * Decodes an already parsed JSON value with a schema; `Left` carries a readable reason.
 *
 * @since 0.1.0
 * @category internal
 * @internal
 */
export const decode = <A, I>(schema: Schema.Schema<A, I>, value: unknown): Either.Either<A, string> =>
  Either.mapLeft(Schema.decodeUnknownEither(schema)(value), (e) => ParseResult.TreeFormatter.formatErrorSync(e))

/**
 * Parses JSON text, then decodes it; `Left` carries a readable reason.
 *
 * @since 0.1.0
 * @category internal
 * @internal
 */
export const fromJson = <A, I>(schema: Schema.Schema<A, I>, text: string): Either.Either<A, string> => {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (e) {
    return Either.left(`invalid JSON: ${describe(e)}`)
  }
  return decode(schema, parsed)
}

/**
 * Decodes a stored value, failing with `SessionStoreError` when the store holds something its schema
 * rejects (a store written by an incompatible version, or edited by hand).
 *
 * @since 0.1.0
 * @category internal
 * @internal
 */
export const fromJsonOrFail = <A, I>(
  schema: Schema.Schema<A, I>,
  text: string,
  context: ErrorContext & { readonly where: string }
): Effect.Effect<A, SessionStoreError> =>
  Either.match(fromJson(schema, text), {
    onLeft: (reason) =>
      Effect.fail(
        new SessionStoreError({
          ...(context.sessionId !== undefined ? { sessionId: context.sessionId } : {}),
          operation: context.operation,
          message: `${context.operation}: unreadable record in ${context.where}: ${reason}`,
          hint: "The store holds data this version cannot read; it was written by another version or edited by hand."
        })
      ),
    onRight: Effect.succeed
  })

/**
 * A copy of a state that shares nothing mutable with the store.
 *
 * @since 0.1.0
 * @category internal
 * @internal
 */
export const copyState = (state: SessionState): SessionState => {
  try {
    return plainCopy(state, 0) as SessionState
  } catch (e) {
    if (e === notPlain) return structuredClone(state) as SessionState
    throw e
  }
}

const notPlain = new Error("not plain data")

/**
 * A copy of JSON-like data (plain objects, arrays, primitives): what `structuredClone` makes of it, at
 * a fraction of its cost (structuredClone serializes and deserializes: several µs for a small state,
 * paid on every read and write of a session's state). Anything else (a Date, a Map, a class instance, a
 * function, a sparse array, a cycle or a very deep value) throws `notPlain`, and the caller clones with
 * `structuredClone` as before. One difference: an object referenced twice is copied twice (as a store on
 * disk does), where structuredClone would keep one copy referenced twice.
 */
const plainCopy = (value: unknown, depth: number): unknown => {
  if (typeof value !== "object" || value === null) {
    if (typeof value === "function" || typeof value === "symbol") throw notPlain
    return value
  }
  if (depth > 64) throw notPlain
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) throw notPlain
    const n = value.length
    const out = new Array(n)
    for (let i = 0; i < n; i++) {
      if (!(i in value)) throw notPlain
      out[i] = plainCopy(value[i], depth + 1)
    }
    if (Object.keys(value).length !== n) throw notPlain
    return out
  }
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) throw notPlain
  const out: Record<string, unknown> = {}
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue
    if (key === "__proto__") throw notPlain
    out[key] = plainCopy((value as Record<string, unknown>)[key], depth + 1)
  }
  return out
}

/**
 * The message of any thrown value.
 *
 * @since 0.1.0
 * @category internal
 * @internal
 */
export const causeMessage = describe

/**
 * The `code` of a Node system error (`ENOENT`, `EEXIST`, ...), if any.
 *
 * @since 0.1.0
 * @category internal
 * @internal
 */
export const errnoCode = (cause: unknown): string | undefined =>
  typeof cause === "object" && cause !== null && typeof (cause as { code?: unknown }).code === "string"
    ? (cause as { code: string }).code
    : undefined
