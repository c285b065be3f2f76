/**
 * Retries of model calls, owned by the runtime (the providers' SDKs never retry on their own). Only
 * retryable errors are retried; the delay grows exponentially, is raised to the provider's `retry-after`
 * when that is longer, and never goes past `totalBudgetMs`.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import type { LlmError } from "../kernel/Errors.js"

/**
 * The `llm.retry` options.
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryOptions {
  /** Attempts in all, the first included (1 disables retries). Default 3. */
  readonly maxAttempts: number
  readonly initialBackoffMs: number
  readonly maxBackoffMs: number
  readonly backoffMultiplier: number
  /** Retry connection failures and timeouts too (not only rate limits and overload). Default true. */
  readonly retryOnConnectionErrors: boolean
  /** No retry starts once this much time has passed since the first failure. */
  readonly totalBudgetMs?: number | undefined
}

/**
 * The defaults: 3 attempts, 500 ms doubling up to 5 s.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaults: RetryOptions = {
  maxAttempts: 3,
  initialBackoffMs: 500,
  maxBackoffMs: 5000,
  backoffMultiplier: 2,
  retryOnConnectionErrors: true
}

/**
 * What the schedule decided about one failure.
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryDecision {
  /** The attempt that will be made next (2 for the first retry). */
  readonly nextAttempt: number
  readonly delayMs: number
  readonly error: LlmError
  readonly retry: boolean
}

/**
 * Whether the options allow retrying this error at all.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isRetryableWith = (options: RetryOptions) => (error: LlmError): boolean => {
  if (!error.retryable) return false
  if (error._tag === "LlmConnection" || error._tag === "LlmTimeout") return options.retryOnConnectionErrors
  return true
}

/**
 * The backoff before retry number `retry` (1 for the first retry), before `retry-after` and the budget.
 *
 * @since 0.1.0
 * @category computations
 */
export const backoffMs = (options: RetryOptions, retry: number): number =>
  Math.min(options.initialBackoffMs * Math.pow(options.backoffMultiplier, retry - 1), options.maxBackoffMs)

/**
 * The retry schedule for `options`. Its input is the error of the failed attempt; it stops on
 * non-retryable errors, after `maxAttempts` attempts, and when `totalBudgetMs` is spent.
 *
 * @since 0.1.0
 * @category constructors
 */
export const schedule = (options: RetryOptions): Schedule.Schedule<RetryDecision, LlmError> => {
  const retryable = isRetryableWith(options)
  return Schedule.identity<LlmError>().pipe(
    Schedule.intersect(Schedule.count),
    Schedule.intersect(Schedule.elapsed),
    Schedule.map(([[error, n], elapsed]): RetryDecision => {
      const retry = n + 1
      let delayMs = backoffMs(options, retry)
      const retryAfter = "retryAfterMs" in error ? error.retryAfterMs : undefined
      if (retryAfter !== undefined && retryAfter > delayMs) delayMs = retryAfter
      let allowed = retryable(error) && retry < options.maxAttempts
      if (options.totalBudgetMs !== undefined) {
        const left = options.totalBudgetMs - Duration.toMillis(elapsed)
        if (left <= 0) allowed = false
        delayMs = Math.max(0, Math.min(delayMs, left))
      }
      return { nextAttempt: retry + 1, delayMs, error, retry: allowed }
    }),
    Schedule.whileOutput((d) => d.retry),
    Schedule.addDelay((d) => Duration.millis(d.delayMs))
  )
}

/**
 * Runs `effect`, retrying it per `options`; `onRetry` runs before each wait (to emit an event).
 *
 * @since 0.1.0
 * @category combinators
 */
export const retry = <A, R>(
  effect: Effect.Effect<A, LlmError, R>,
  options: RetryOptions,
  onRetry?: (decision: RetryDecision) => Effect.Effect<void>
): Effect.Effect<A, LlmError, R> =>
  Effect.retry(
    effect,
    onRetry ? schedule(options).pipe(Schedule.tapOutput((d) => (d.retry ? onRetry(d) : Effect.void))) : schedule(options)
  )
