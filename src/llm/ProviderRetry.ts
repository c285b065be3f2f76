/**
 * Retries of model calls, owned by the runtime (the providers' SDKs never retry on their own). Only
 * retryable errors are retried; the delay grows exponentially, is raised to the provider's `retry-after`
 * when that is longer, and never goes past `totalBudgetMs`.
 *
 * The error that ends the retries says what happened: it carries `attempts` (calls made), keeps the
 * provider's `retryAfterMs`, and, when retries ran out, a `hint` naming the cause and the option to
 * change (`gave up after 4 attempts over 12.5 s: ...`).
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import { type LlmError, withRetryOutcome } from "../kernel/Errors.js"

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
      const retryAfter = error.retryAfterMs
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
 * Why the retries stopped, for the hint of the last error.
 *
 * @since 0.2.0
 * @category models
 */
export type GiveUpReason = "not_retryable" | "connection_retries_off" | "max_attempts" | "total_budget"

const seconds = (ms: number): string => {
  if (ms < 1000) return `${Math.round(ms)} ms`
  const s = ms / 1000
  return `${s >= 100 ? Math.round(s) : Math.round(s * 10) / 10} s`
}

/** What kept going wrong, in words, from the last error. */
const whatHappened = (error: LlmError): string => {
  const status = error.status !== undefined ? ` ${error.status}` : ""
  switch (error._tag) {
    case "LlmRateLimited":
      return `the provider kept answering${status || " 429"} (rate limited)`
    case "LlmOverloaded":
      return `the provider kept answering that it is overloaded${status ? ` (${status.trim()})` : ""}`
    case "LlmConnection":
      return status ? `the provider kept failing with HTTP${status}` : "the connection kept failing"
    case "LlmTimeout":
      return "the provider kept timing out"
    default:
      return "the call kept failing"
  }
}

/** What to do about it, for the error's kind. */
const whatToDo = (error: LlmError): string => {
  switch (error._tag) {
    case "LlmRateLimited":
      return "slow down (fewer concurrent runs) or ask the provider for a higher rate limit"
    case "LlmOverloaded":
      return "try again later or use another model"
    case "LlmConnection":
      return "check llm.api_base and the network, or the provider's status page"
    case "LlmTimeout":
      return "raise llm.timeout_ms / llm.idle_timeout_ms if the model is slow to answer"
    default:
      return "see the error message"
  }
}

/**
 * The hint of the error that ended the retries: what happened, over how many attempts and how long, and
 * what to change. `undefined` for an error that was never retryable (its own hint stands).
 *
 * @since 0.2.0
 * @category computations
 */
export const giveUpHint = (
  error: LlmError,
  outcome: { readonly attempts: number; readonly elapsedMs: number; readonly reason: GiveUpReason },
  options: RetryOptions
): string | undefined => {
  if (outcome.reason === "not_retryable") return undefined
  const what = whatHappened(error)
  const after = `after ${outcome.attempts} attempt${outcome.attempts === 1 ? "" : "s"} over ${seconds(outcome.elapsedMs)}`
  const lastWait = error.retryAfterMs !== undefined ? ` (it last asked to wait ${seconds(error.retryAfterMs)})` : ""
  switch (outcome.reason) {
    case "connection_retries_off":
      return `not retried: the call failed with ${error._tag}${error.status !== undefined ? ` (HTTP ${error.status})` : ""} and llm.retry.retry_on_connection_errors is false; set it to true to retry connection failures and timeouts, or ${whatToDo(error)}`
    case "max_attempts":
      return `gave up ${after}: ${what}${lastWait}; raise llm.retry.max_attempts (now ${options.maxAttempts}) or ${whatToDo(error)}`
    case "total_budget":
      return `gave up ${after}: ${what}${lastWait} and llm.retry.total_budget_ms (${options.totalBudgetMs} ms) was spent; raise it or ${whatToDo(error)}`
  }
}

const reasonOf = (error: LlmError, attempts: number, options: RetryOptions): GiveUpReason => {
  if (!error.retryable) return "not_retryable"
  if (!isRetryableWith(options)(error)) return "connection_retries_off"
  if (attempts >= options.maxAttempts) return "max_attempts"
  return "total_budget"
}

/**
 * Runs `effect`, retrying it per `options`; `onRetry` runs before each wait (to emit an event). The
 * error it fails with carries `attempts` (the calls made) and its `retryAfterMs`; when retries ran out
 * (attempts, budget, or connection retries turned off), its `hint` says so (see {@link giveUpHint}),
 * followed by the error's own hint if it had one.
 *
 * @since 0.1.0
 * @category combinators
 */
export const retry = <A, R>(
  effect: Effect.Effect<A, LlmError, R>,
  options: RetryOptions,
  onRetry?: (decision: RetryDecision) => Effect.Effect<void>
): Effect.Effect<A, LlmError, R> =>
  Effect.suspend(() => {
    let attempts = 0
    const counted = Effect.suspend(() => {
      attempts++
      return effect
    })
    const policy = onRetry
      ? schedule(options).pipe(Schedule.tapOutput((d) => (d.retry ? onRetry(d) : Effect.void)))
      : schedule(options)
    return Effect.flatMap(Clock.currentTimeMillis, (start) =>
      Effect.retry(counted, policy).pipe(
        Effect.catchAll((error) =>
          Effect.flatMap(Clock.currentTimeMillis, (now) => {
            const reason = reasonOf(error, attempts, options)
            const giveUp = giveUpHint(error, { attempts, elapsedMs: now - start, reason }, options)
            const hint = giveUp === undefined ? error.hint : error.hint ? `${giveUp}. ${error.hint}` : giveUp
            return Effect.fail(withRetryOutcome(error, { attempts, hint }))
          })
        )
      )
    )
  })
