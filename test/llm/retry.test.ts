/**
 * What the error that ends the retries says (TestClock): the calls made, the provider's retry-after,
 * and a hint naming the cause and the option to change.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import { LlmAuth, LlmConnection, type LlmError, LlmRateLimited, LlmTimeout } from "../../src/kernel/Errors.js"
import * as ProviderRetry from "../../src/llm/ProviderRetry.js"

/** A call that fails with `errors` in turn (the last one again once they are used up), counting calls. */
const failing = (errors: ReadonlyArray<LlmError>) => {
  let calls = 0
  const call: Effect.Effect<string, LlmError> = Effect.suspend(() => Effect.fail(errors[Math.min(calls++, errors.length - 1)]!))
  return { call, calls: () => calls }
}

/** Runs `effect` retried per `options`, moving the TestClock on until it ends; returns its error. */
const giveUp = (effect: Effect.Effect<string, LlmError>, options: ProviderRetry.RetryOptions) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.fork(Effect.flip(ProviderRetry.retry(effect, options)))
    for (let i = 0; i < 20; i++) yield* TestClock.adjust(1000)
    return yield* Fiber.join(fiber)
  })

const rateLimited = (retryAfterMs?: number) =>
  new LlmRateLimited({
    provider: "openai",
    status: 429,
    message: "openai HTTP 429: Rate limit reached",
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {})
  })

describe("ProviderRetry: the error that ends the retries", () => {
  it.effect("429 until the attempts run out: attempts, retryAfterMs and a hint with the numbers", () =>
    Effect.gen(function* () {
      const { call, calls } = failing([rateLimited(3000)])
      const options = { ...ProviderRetry.defaults, maxAttempts: 4 }
      const error = yield* giveUp(call, options)
      assert.strictEqual(calls(), 4)
      assert.strictEqual(error._tag, "LlmRateLimited")
      assert.instanceOf(error, LlmRateLimited)
      assert.strictEqual(error.attempts, 4)
      assert.strictEqual(error.retryAfterMs, 3000)
      assert.strictEqual(error.status, 429)
      assert.strictEqual(error.message, "openai HTTP 429: Rate limit reached")
      // Three waits of 3 s (retry-after beats the 500/1000/2000 ms backoff).
      assert.strictEqual(
        error.hint,
        "gave up after 4 attempts over 9 s: the provider kept answering 429 (rate limited) (it last asked to wait 3 s); " +
          "raise llm.retry.max_attempts (now 4) or slow down (fewer concurrent runs) or ask the provider for a higher rate limit"
      )
    })
  )

  it.effect("the backoff sets the time when there is no retry-after: 3 attempts over 1.5 s", () =>
    Effect.gen(function* () {
      const { call } = failing([new LlmConnection({ provider: "anthropic", status: 503, message: "anthropic HTTP 503: upstream" })])
      const error = yield* giveUp(call, ProviderRetry.defaults)
      assert.strictEqual(error.attempts, 3)
      assert.isUndefined(error.retryAfterMs)
      assert.match(error.hint ?? "", /^gave up after 3 attempts over 1\.5 s: the provider kept failing with HTTP 503; raise llm\.retry\.max_attempts \(now 3\)/)
    })
  )

  it.effect("the total budget spent: the hint names llm.retry.total_budget_ms", () =>
    Effect.gen(function* () {
      const { call, calls } = failing([new LlmTimeout({ provider: "openai", message: "no data", timeoutMs: 20_000 })])
      const error = yield* giveUp(call, { ...ProviderRetry.defaults, maxAttempts: 10, totalBudgetMs: 2000 })
      assert.strictEqual(error.attempts, calls())
      assert.isBelow(calls(), 10)
      assert.strictEqual(error._tag === "LlmTimeout" && error.timeoutMs, 20_000, "the tag's own fields are kept")
      assert.include(error.hint, "llm.retry.total_budget_ms (2000 ms) was spent")
      assert.include(error.hint, "the provider kept timing out")
    })
  )

  it.effect("connection retries turned off: one attempt, and the hint says which option", () =>
    Effect.gen(function* () {
      const { call } = failing([new LlmConnection({ provider: "openai", message: "openai: connection failed" })])
      const error = yield* giveUp(call, { ...ProviderRetry.defaults, retryOnConnectionErrors: false })
      assert.strictEqual(error.attempts, 1)
      assert.include(error.hint, "llm.retry.retry_on_connection_errors is false")
    })
  )

  it.effect("a permanent error: one attempt, its own hint untouched", () =>
    Effect.gen(function* () {
      const { call } = failing([new LlmAuth({ provider: "openai", status: 401, message: "bad key", hint: "Check OPENAI_API_KEY" })])
      const error = yield* giveUp(call, ProviderRetry.defaults)
      assert.strictEqual(error.attempts, 1)
      assert.strictEqual(error.hint, "Check OPENAI_API_KEY")
    })
  )

  it.effect("a retryable error's own hint follows the give-up hint", () =>
    Effect.gen(function* () {
      const { call } = failing([new LlmConnection({ provider: "openai", message: "m", hint: "The proxy is down." })])
      const error = yield* giveUp(call, { ...ProviderRetry.defaults, maxAttempts: 2 })
      assert.match(error.hint ?? "", /^gave up after 2 attempts over 500 ms: the connection kept failing; .*\. The proxy is down\.$/)
    })
  )

  it.effect("a success after failures carries nothing over", () =>
    Effect.gen(function* () {
      let calls = 0
      const call = Effect.suspend(() => (calls++ < 2 ? Effect.fail(rateLimited(10)) : Effect.succeed("ok")))
      const fiber = yield* Effect.fork(ProviderRetry.retry(call, ProviderRetry.defaults))
      for (let i = 0; i < 5; i++) yield* TestClock.adjust(1000)
      assert.strictEqual(yield* Fiber.join(fiber), "ok")
      assert.strictEqual(calls, 3)
    })
  )
})
