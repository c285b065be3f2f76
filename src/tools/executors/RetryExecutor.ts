/**
 * A tool executor that retries the calls of an inner executor that fail with a retryable tool error
 * (`ToolRateLimited`, `ToolUnavailable`, `ToolTimeout`, or a handler's error with `retryable: true`),
 * on a `Schedule`: exponential backoff with jitter, at most `maxAttempts` calls, no wait longer than
 * `maxDelayMs`. A `retryAfterMs` on the error is honoured: the wait is at least that long, and a tool
 * asking for more than `maxDelayMs` is not retried. Errors that are not retryable, and interruption,
 * pass through at once; interrupting the call during a wait stops it there. A timeout is retried only for
 * a tool that is idempotent (`durableIdempotent`, the default): one with side effects may have had them.
 *
 * The error that ends the retries carries `attempts` (calls made) and says so in its message
 * (`... (gave up after 3 attempts)`), which the model sees. Each retry is logged at debug level
 * (`tool call failed, retrying`, with the tool, attempt, delay and error tag).
 *
 * @since 0.2.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Random from "effect/Random"
import * as Schedule from "effect/Schedule"
import { isRetryable, type ToolError, withToolAttempts } from "../../kernel/Errors.js"
import * as ToolExecutor from "../ToolExecutor.js"

/**
 * How the backoff is randomised: `none`; `full`, anywhere in [0, d]; `equal`, in [d/2, d].
 *
 * @since 0.2.0
 * @category models
 */
export type Jitter = "none" | "full" | "equal"

/**
 * Options of the retry executor.
 *
 * @since 0.2.0
 * @category models
 */
export interface Options {
  /** Calls in all, the first included (default 3; 1 disables retries). */
  readonly maxAttempts?: number | undefined
  /** The backoff before the first retry, in ms (default 200). */
  readonly initialDelayMs?: number | undefined
  /** Growth of the backoff per retry (default 2). */
  readonly backoffMultiplier?: number | undefined
  /** The longest wait, in ms (default 5000); a `retryAfterMs` above it is not waited for. */
  readonly maxDelayMs?: number | undefined
  /** Default `equal`. */
  readonly jitter?: Jitter | undefined
  /** Retry `ToolTimeout` too (default true), for tools that are idempotent (`durableIdempotent`, the default). */
  readonly retryTimeouts?: boolean | undefined
}

/**
 * The options with their defaults.
 *
 * @since 0.2.0
 * @category models
 */
export type Resolved = { readonly [K in keyof Options]-?: Exclude<Options[K], undefined> }

/**
 * The defaults: 3 attempts, 200 ms doubling up to 5 s, equal jitter, timeouts retried.
 *
 * @since 0.2.0
 * @category constants
 */
export const defaults: Resolved = {
  maxAttempts: 3,
  initialDelayMs: 200,
  backoffMultiplier: 2,
  maxDelayMs: 5000,
  jitter: "equal",
  retryTimeouts: true
}

const resolve = (options?: Options): Resolved => {
  const out: Record<string, unknown> = { ...defaults }
  for (const [k, v] of Object.entries(options ?? {})) if (v !== undefined) out[k] = v
  return out as Resolved
}

/**
 * What the schedule decided about one failed call.
 *
 * @since 0.2.0
 * @category models
 */
export interface Decision {
  readonly error: ToolError
  /** Calls made so far. */
  readonly attempts: number
  readonly retry: boolean
}

const retryAfterOf = (error: ToolError): number | undefined =>
  "retryAfterMs" in error && typeof error.retryAfterMs === "number" ? error.retryAfterMs : undefined

/**
 * Whether the options allow retrying `error`.
 *
 * @since 0.2.0
 * @category predicates
 */
export const isRetryableWith = (options: Resolved) => (error: ToolError): boolean => {
  if (!isRetryable(error)) return false
  if (error._tag === "ToolTimeout" && !options.retryTimeouts) return false
  const retryAfter = retryAfterOf(error)
  return retryAfter === undefined || retryAfter <= options.maxDelayMs
}

/**
 * The backoff before retry number `retry` (1 for the first), before jitter and `retryAfterMs`.
 *
 * @since 0.2.0
 * @category computations
 */
export const backoffMs = (options: Resolved, retry: number): number =>
  Math.min(options.initialDelayMs * Math.pow(options.backoffMultiplier, retry - 1), options.maxDelayMs)

const jittered = (jitter: Jitter, ms: number): Effect.Effect<number> => {
  switch (jitter) {
    case "none":
      return Effect.succeed(ms)
    case "full":
      return Effect.map(Random.next, (r) => Math.round(r * ms))
    case "equal":
      return Effect.map(Random.next, (r) => Math.round(ms / 2 + r * (ms / 2)))
  }
}

/**
 * The retry schedule: its input is the error of the failed call; it goes on while the error is
 * retryable and fewer than `maxAttempts` calls were made, and waits the jittered backoff, raised to the
 * error's `retryAfterMs`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const schedule = (options?: Options): Schedule.Schedule<Decision, ToolError> => {
  const resolved = resolve(options)
  const retryable = isRetryableWith(resolved)
  return Schedule.identity<ToolError>().pipe(
    Schedule.intersect(Schedule.count),
    Schedule.map(([error, n]): Decision => ({
      error,
      attempts: n + 1,
      retry: retryable(error) && n + 1 < resolved.maxAttempts
    })),
    Schedule.whileOutput((d) => d.retry),
    Schedule.modifyDelayEffect((d) =>
      Effect.map(jittered(resolved.jitter, backoffMs(resolved, d.attempts)), (ms) =>
        Duration.millis(Math.max(ms, retryAfterOf(d.error) ?? 0)))
    )
  )
}

/**
 * The retry executor over `inner`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (inner: ToolExecutor.Service, options?: Options): ToolExecutor.Service => {
  const logged = (s: Schedule.Schedule<Decision, ToolError>) =>
    s.pipe(
      Schedule.tapOutput((d) =>
        Effect.logDebug("tool call failed, retrying").pipe(
          Effect.annotateLogs({ tool: d.error.toolName, attempt: d.attempts, error: d.error._tag })
        )
      )
    )
  const policy = logged(schedule(options))
  // a tool with side effects that timed out may have had them: it is not called again
  const noTimeouts = logged(schedule({ ...options, retryTimeouts: false }))
  return ToolExecutor.ToolExecutor.of({
    execute: (call, toolkit, context) =>
      Effect.suspend(() => {
        const idempotent = toolkit.tools.get(call.name)?.durableIdempotent !== false
        let attempts = 0
        const once = Effect.suspend(() => {
          attempts++
          return inner.execute(call, toolkit, context)
        })
        return Effect.retry(once, idempotent ? policy : noTimeouts).pipe(
          Effect.catchAll((error) => Effect.fail(withToolAttempts(error, attempts)))
        )
      })
  })
}

/**
 * The retry executor as a Layer over the `ToolExecutor` it is given (see `ToolExecutor.wrap`).
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (options?: Options): Layer.Layer<ToolExecutor.ToolExecutor, never, ToolExecutor.ToolExecutor> =>
  ToolExecutor.wrap((inner) => make(inner, options))
