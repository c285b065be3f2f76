import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as TestClock from "effect/TestClock"
import {
  ToolExecutionError,
  ToolPolicyDenied,
  ToolRateLimited,
  ToolTimeout,
  ToolUnavailable,
  ToolValidationError
} from "../../../src/kernel/Errors.js"
import * as PolicyExecutor from "../../../src/tools/executors/PolicyExecutor.js"
import * as RetryExecutor from "../../../src/tools/executors/RetryExecutor.js"
import * as Tool from "../../../src/tools/Tool.js"
import * as Toolkit from "../../../src/tools/Toolkit.js"
import * as ToolExecutor from "../../../src/tools/ToolExecutor.js"
import { call, context } from "../fixtures.js"

class Upstream extends Schema.TaggedError<Upstream>()("Upstream", {
  message: Schema.String,
  retryable: Schema.Boolean,
  retryAfterMs: Schema.optional(Schema.Number)
}) {}

/** A tool that fails with `fail(n)` on its n-th call (1-based) while that returns an error, then answers. */
const flaky = (fail: (n: number) => unknown, options?: { readonly timeoutMs?: number }) => {
  const calls = { n: 0 }
  const tool = Tool.make("flaky", {
    description: "fails for a while",
    parameters: Schema.Struct({ q: Schema.optional(Schema.String) }),
    ...options,
    handler: () =>
      Effect.suspend(() => {
        calls.n++
        const error = fail(calls.n)
        return error === undefined ? Effect.succeed(`ok after ${calls.n}`) : Effect.fail(error)
      })
  })
  return { calls, toolkit: Toolkit.make(tool) }
}

const rateLimited = (retryAfterMs?: number) => (n: number) =>
  new ToolRateLimited({ toolName: "flaky", message: `slow down #${n}`, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) })

const retrying = (options?: RetryExecutor.Options) =>
  RetryExecutor.make(ToolExecutor.make(), { jitter: "none", initialDelayMs: 100, ...options })

const run = (executor: ToolExecutor.Service, toolkit: Toolkit.Service, args: unknown = {}) =>
  executor.execute(call("flaky", args), toolkit, context)

describe("RetryExecutor", () => {
  it.effect("retries retryable errors on the exponential schedule and returns the success", () =>
    Effect.gen(function*() {
      const { calls, toolkit } = flaky((n) => (n < 3 ? rateLimited()(n) : undefined))
      const fiber = yield* Effect.fork(run(retrying(), toolkit))
      yield* TestClock.adjust("99 millis")
      assert.strictEqual(calls.n, 1)
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(calls.n, 2)
      yield* TestClock.adjust("199 millis") // the second backoff is 200 ms
      assert.strictEqual(calls.n, 2)
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(yield* Fiber.join(fiber), "ok after 3")
    }))

  it.effect("waits at least the retryAfterMs the tool asked for", () =>
    Effect.gen(function*() {
      const { calls, toolkit } = flaky((n) => (n < 2 ? rateLimited(1000)(n) : undefined))
      const fiber = yield* Effect.fork(run(retrying(), toolkit))
      yield* TestClock.adjust("999 millis")
      assert.strictEqual(calls.n, 1)
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(yield* Fiber.join(fiber), "ok after 2")
    }))

  it.effect("does not retry when the tool asks to wait longer than max_delay_ms", () =>
    Effect.gen(function*() {
      const { calls, toolkit } = flaky(rateLimited(60_000))
      const error = yield* Effect.flip(run(retrying({ maxDelayMs: 5000 }), toolkit))
      assert.instanceOf(error, ToolRateLimited)
      assert.strictEqual((error as ToolRateLimited).retryAfterMs, 60_000)
      assert.strictEqual(calls.n, 1)
    }))

  it.effect("gives up after max_attempts with the last error, its attempts in it and in its message", () =>
    Effect.gen(function*() {
      const { calls, toolkit } = flaky((n) => new ToolUnavailable({ toolName: "flaky", message: `down #${n}` }))
      const fiber = yield* Effect.fork(Effect.flip(run(retrying({ maxAttempts: 3 }), toolkit)))
      yield* TestClock.adjust("300 millis")
      const error = yield* Fiber.join(fiber)
      assert.instanceOf(error, ToolUnavailable)
      assert.strictEqual(calls.n, 3)
      assert.strictEqual((error as ToolUnavailable).attempts, 3)
      assert.strictEqual(error.message, "down #3 (gave up after 3 attempts)")
      assert.isTrue(error.retryable)
    }))

  it.effect("the delay never exceeds max_delay_ms", () =>
    Effect.gen(function*() {
      const { calls, toolkit } = flaky((n) => (n < 4 ? rateLimited()(n) : undefined))
      const executor = retrying({ maxAttempts: 5, initialDelayMs: 1000, backoffMultiplier: 10, maxDelayMs: 1500 })
      const fiber = yield* Effect.fork(run(executor, toolkit))
      yield* TestClock.adjust("1000 millis")
      assert.strictEqual(calls.n, 2)
      yield* TestClock.adjust("1500 millis")
      assert.strictEqual(calls.n, 3)
      yield* TestClock.adjust("1500 millis")
      assert.strictEqual(yield* Fiber.join(fiber), "ok after 4")
    }))

  it.effect("does not retry errors that are not retryable", () =>
    Effect.gen(function*() {
      const permanent = flaky(() => new Upstream({ message: "bad request", retryable: false }))
      const error = yield* Effect.flip(run(retrying(), permanent.toolkit))
      assert.instanceOf(error, ToolExecutionError)
      assert.strictEqual(permanent.calls.n, 1)
      assert.isUndefined((error as ToolExecutionError).attempts)

      const invalid = flaky(() => undefined)
      const validation = yield* Effect.flip(run(retrying(), invalid.toolkit, { q: 42 }))
      assert.instanceOf(validation, ToolValidationError)
      assert.strictEqual(invalid.calls.n, 0)

      const denied = flaky(() => undefined)
      const executor = RetryExecutor.make(PolicyExecutor.make(ToolExecutor.make(), { denyTools: ["flaky"] }))
      assert.instanceOf(yield* Effect.flip(run(executor, denied.toolkit)), ToolPolicyDenied)
    }))

  it.effect("retries a handler's own error with retryable: true, honouring its retryAfterMs", () =>
    Effect.gen(function*() {
      const { calls, toolkit } = flaky((n) => (n < 2 ? new Upstream({ message: "503", retryable: true, retryAfterMs: 700 }) : undefined))
      const fiber = yield* Effect.fork(run(retrying(), toolkit))
      yield* TestClock.adjust("699 millis")
      assert.strictEqual(calls.n, 1)
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(yield* Fiber.join(fiber), "ok after 2")
    }))

  it.effect("retries timeouts unless retry_timeouts is false", () =>
    Effect.gen(function*() {
      const hang = () => Effect.never
      const sleepy = () => {
        const calls = { n: 0 }
        const tool = Tool.make("flaky", {
          description: "hangs",
          parameters: Schema.Struct({}),
          timeoutMs: 1000,
          handler: () => Effect.suspend(() => (calls.n++, hang()))
        })
        return { calls, toolkit: Toolkit.make(tool) }
      }
      const a = sleepy()
      const retried = yield* Effect.fork(Effect.flip(run(retrying({ maxAttempts: 2 }), a.toolkit)))
      yield* TestClock.adjust("1000 millis")
      yield* TestClock.adjust("100 millis")
      yield* TestClock.adjust("1000 millis")
      const error = yield* Fiber.join(retried)
      assert.instanceOf(error, ToolTimeout)
      assert.strictEqual(a.calls.n, 2)
      assert.strictEqual(error.message, "Tool 'flaky' timed out after 1000ms (gave up after 2 attempts)")

      const b = sleepy()
      const once = yield* Effect.fork(Effect.flip(run(retrying({ retryTimeouts: false }), b.toolkit)))
      yield* TestClock.adjust("1000 millis")
      assert.instanceOf(yield* Fiber.join(once), ToolTimeout)
      assert.strictEqual(b.calls.n, 1)
    }))

  it.effect("does not retry the timeout of a tool with side effects (it may have had them)", () =>
    Effect.gen(function*() {
      const calls = { n: 0 }
      const tool = Tool.make("flaky", {
        description: "writes, then hangs",
        parameters: Schema.Struct({}),
        timeoutMs: 1000,
        durableIdempotent: false,
        handler: () => Effect.suspend(() => (calls.n++, Effect.never))
      })
      const fiber = yield* Effect.fork(Effect.flip(run(retrying({ maxAttempts: 3 }), Toolkit.make(tool))))
      yield* TestClock.adjust("1000 millis")
      assert.instanceOf(yield* Fiber.join(fiber), ToolTimeout)
      assert.strictEqual(calls.n, 1)
    }))

  it.effect("interruption during a backoff stops at once", () =>
    Effect.gen(function*() {
      const { calls, toolkit } = flaky(rateLimited())
      const fiber = yield* Effect.fork(run(retrying({ initialDelayMs: 10_000 }), toolkit))
      yield* TestClock.adjust("10 millis")
      assert.strictEqual(calls.n, 1)
      const exit = yield* Fiber.interrupt(fiber)
      assert.isTrue(Exit.isInterrupted(exit))
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(calls.n, 1)
    }))

  it.effect("an interrupted call is not retried: the interruption passes through", () =>
    Effect.gen(function*() {
      const calls = { n: 0 }
      const interrupting = Toolkit.make(Tool.make("flaky", {
        description: "interrupts itself",
        parameters: Schema.Struct({}),
        handler: () => Effect.suspend(() => (calls.n++, Effect.interrupt))
      }))
      const exit = yield* Effect.exit(run(retrying(), interrupting))
      assert.isTrue(Exit.isInterrupted(exit))
      assert.strictEqual(calls.n, 1)
    }))

  it.effect("a handler's ToolRateLimited reaches the executor as it is, named after the call", () =>
    Effect.gen(function*() {
      const { toolkit } = flaky(() => new ToolRateLimited({ toolName: "what-i-call-myself", message: "429", retryAfterMs: 10 }))
      const error = yield* Effect.flip(run(ToolExecutor.make(), toolkit))
      assert.instanceOf(error, ToolRateLimited)
      assert.strictEqual((error as ToolRateLimited).toolName, "flaky")
      assert.strictEqual((error as ToolRateLimited).retryAfterMs, 10)
      assert.isUndefined((error as ToolRateLimited).attempts)
    }))

  it.effect("equal jitter waits between half the backoff and the backoff", () =>
    Effect.gen(function*() {
      const { calls, toolkit } = flaky((n) => (n < 2 ? rateLimited()(n) : undefined))
      const fiber = yield* Effect.fork(run(retrying({ jitter: "equal", initialDelayMs: 200 }), toolkit))
      yield* TestClock.adjust("99 millis")
      assert.strictEqual(calls.n, 1)
      yield* TestClock.adjust("101 millis")
      assert.strictEqual(yield* Fiber.join(fiber), "ok after 2")
    }))

  it.effect("composes as Layers: retry over the default executor", () =>
    Effect.gen(function*() {
      const { toolkit } = flaky((n) => (n < 2 ? rateLimited()(n) : undefined))
      const executor = yield* ToolExecutor.ToolExecutor.pipe(
        Effect.provide(RetryExecutor.layer({ jitter: "none", initialDelayMs: 50 }).pipe(Layer.provide(ToolExecutor.layer())))
      )
      const fiber = yield* Effect.fork(run(executor, toolkit))
      yield* TestClock.adjust("50 millis")
      assert.strictEqual(yield* Fiber.join(fiber), "ok after 2")
    }))
})
