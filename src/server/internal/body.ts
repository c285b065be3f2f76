/**
 * Request bodies read and checked as the config and run requests are: JSON first, then a Schema decoded
 * with every problem at its path (`request.decision: must be one of 'approve', 'reject' (got "maybe")`),
 * unknown keys refused with a did-you-mean. A problem is a 400 `BadRequest` whose `issues` list them all.
 */
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Schema from "effect/Schema"
import { decodeWith, documentOrder, formatPath, type Problem } from "../../config/internal/issues.js"
import { BadRequest } from "../Api.js"

/** A 400 with one problem at `path`. */
export const bad = (path: string, message: string) => new BadRequest({ message: `${path}: ${message}`, issues: [{ path, message }] })

/** The body as JSON, or a 400 saying why it cannot be read (too large, unreadable, not JSON). */
export const readJson = (request: HttpServerRequest.HttpServerRequest): Effect.Effect<unknown, BadRequest> =>
  Effect.gen(function*() {
    const text = yield* Effect.mapError(request.text, (e) =>
      /max|large|limit/i.test(String((e.cause as Error | undefined)?.message ?? e.message))
        ? bad("request", "the body is larger than this server accepts")
        : bad("request", "the body could not be read"))
    try {
      return JSON.parse(text) as unknown
    } catch (e) {
      return yield* bad("request", `the body is not valid JSON (${(e as Error).message})`)
    }
  })

/** The body decoded by `schema`, or a 400 listing every problem at its path under `request`. */
export const decodeBody = <A, I>(
  request: HttpServerRequest.HttpServerRequest,
  schema: Schema.Schema<A, I>,
  what: string
): Effect.Effect<A, BadRequest> =>
  Effect.flatMap(readJson(request), (json) => {
    const problems: Array<Problem> = []
    const decoded = decodeWith(schema, json, ["request"], problems)
    if (Option.isSome(decoded)) return Effect.succeed(decoded.value)
    // listed in the order of the body, as the config's problems are
    const rank = documentOrder({ request: json })
    const issues = [...problems].sort((a, b) => rank(a.path) - rank(b.path)).map((p) => ({ path: formatPath(p.path), message: p.message, ...(p.hint ? { hint: p.hint } : {}) }))
    return Effect.fail(
      new BadRequest({
        message: `Invalid ${what}: ${issues.length} problem${issues.length === 1 ? "" : "s"}\n${
          issues.map((i) => `  - ${i.path}: ${i.message}${i.hint ? ` (${i.hint})` : ""}`).join("\n")
        }`,
        issues
      })
    )
  })
