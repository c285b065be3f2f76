import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, TestClock } from "effect"
import { AgentRuntime } from "../../src/runtime/AgentRuntime.js"
import { Add, runtimeLayer, scripted, withEvents } from "../support/runtime.js"

const loopForever = [{ toolCalls: [{ name: "add", arguments: { a: 1, b: 2 } }] }]

describe("budgets and stop reasons", () => {
  it.effect("one watchdog for the runtime: deadlines hold for runs that come and go, nearer ones and after idle time", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const run = (sessionId: string, budget?: { maxDurationMs: number }, agentId = "a") =>
        Effect.fork(rt.runDetailed({ agentId, sessionId, inputText: "go", ...(budget ? { budget } : {}) }))
      // a run that ends in time leaves the watchdog armed for its step deadline (t + 30 s)
      const first = yield* run("s1")
      yield* TestClock.adjust("20 seconds")
      assert.strictEqual((yield* Fiber.join(first)).stopReason, "completed")
      // a run with a nearer deadline (t + 20 s + 5 s) re-arms it, and stops there
      const short = yield* run("s2", { maxDurationMs: 5_000 })
      yield* TestClock.adjust("5 seconds")
      assert.strictEqual((yield* Fiber.join(short)).stopReason, "timeout")
      // long after every deadline passed, a stalled step still times out at its own deadline
      yield* TestClock.adjust("10 minutes")
      const stalled = yield* run("s3", undefined, "stalls")
      yield* TestClock.adjust("29 seconds")
      assert.isNull(stalled.unsafePoll())
      yield* TestClock.adjust("1 second")
      const result = yield* Fiber.join(stalled)
      assert.strictEqual(result.stopReason, "timeout")
      assert.strictEqual(result.metadata["limit"], "step_timeout_ms")
    }).pipe(Effect.provide(runtimeLayer([
      // 20 s a call: the first run ends in time, the second does not
      { id: "a", model: scripted([{ delayMs: 20_000, text: "ok" }]) },
      { id: "stalls", model: scripted([{ delayMs: 3_600_000, text: "late" }]) }
    ]))))

  it.effect("maxSteps (request) stops with max_steps, usage kept", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const r = yield* rt.runDetailed({ agentId: "a", inputText: "go", budget: { maxSteps: 3 } })
      assert.strictEqual(r.stopReason, "max_steps")
      assert.strictEqual(r.metadata["limit"], "max_steps")
      assert.strictEqual(r.usage.llmCalls, 3)
      assert.strictEqual(r.usage.toolCalls, 3)
      assert.isTrue(r.usage.inputTokens > 0)
      assert.strictEqual(r.error?.tag, "BudgetExhausted")
    }).pipe(Effect.provide(runtimeLayer([{ id: "a", tools: [Add], model: scripted(loopForever) }]))))

  it.effect("agent runtime.max_steps applies when the request has no maxSteps", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const r = yield* rt.runDetailed({ agentId: "a", inputText: "go" })
      assert.strictEqual(r.stopReason, "max_steps")
      assert.strictEqual(r.usage.llmCalls, 2)
    }).pipe(Effect.provide(runtimeLayer([{ id: "a", tools: [Add], model: scripted(loopForever), maxSteps: 2 }]))))

  it.effect("maxDurationMs stops with timeout under TestClock, usage of finished steps kept", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const fiber = yield* Effect.fork(rt.runDetailed({ agentId: "a", inputText: "go", budget: { maxDurationMs: 5_000 } }))
      yield* TestClock.adjust("4999 millis")
      assert.isNull(fiber.unsafePoll())
      yield* TestClock.adjust("1 millis")
      const r = yield* Fiber.join(fiber)
      assert.strictEqual(r.stopReason, "timeout")
      assert.strictEqual(r.metadata["limit"], "max_duration_ms")
      assert.strictEqual(r.usage.llmCalls, 1)
      assert.strictEqual(r.usage.toolCalls, 1)
    }).pipe(Effect.provide(runtimeLayer([{
      id: "a",
      tools: [Add],
      model: scripted([{ toolCalls: [{ name: "add", arguments: { a: 1, b: 1 } }] }, { delayMs: 60_000, text: "late" }])
    }]))))

  it.effect("a step longer than step_timeout_ms stops with timeout", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const fiber = yield* Effect.fork(rt.runDetailed({ agentId: "a", inputText: "go" }))
      yield* TestClock.adjust("1 seconds")
      const r = yield* Fiber.join(fiber)
      assert.strictEqual(r.stopReason, "timeout")
      assert.strictEqual(r.metadata["limit"], "step_timeout_ms")
      assert.match(r.error!.message, /step_timeout_ms \(1000 ms\)/)
    }).pipe(Effect.provide(runtimeLayer([{
      id: "a",
      stepTimeoutMs: 1000,
      model: scripted([{ delayMs: 10_000, text: "too slow" }])
    }]))))

  it.effect("maxToolCalls stops with budget_exhausted", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const r = yield* rt.runDetailed({ agentId: "a", inputText: "go", budget: { maxToolCalls: 2 } })
      assert.strictEqual(r.stopReason, "budget_exhausted")
      assert.strictEqual(r.metadata["limit"], "max_tool_calls")
      assert.strictEqual(r.usage.toolCalls, 2)
      assert.strictEqual(r.usage.llmCalls, 3)
    }).pipe(Effect.provide(runtimeLayer([{ id: "a", tools: [Add], model: scripted(loopForever) }]))))

  // $1000 per million tokens = $0.001 a token; 100 + 100 tokens a step = $0.20 a step
  const priced = scripted(
    [{ toolCalls: [{ name: "add", arguments: { a: 1, b: 2 } }], usage: { inputTokens: 100, outputTokens: 100 } }],
    { input: 1000, output: 1000 }
  )

  it.effect("maxCostUsd checked after a call: exceeded → budget_exhausted with the cost kept", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const r = yield* rt.runDetailed({ agentId: "a", inputText: "go", budget: { maxCostUsd: 0.3 } })
      assert.strictEqual(r.stopReason, "budget_exhausted")
      assert.strictEqual(r.metadata["limit"], "max_cost_usd")
      assert.strictEqual(r.usage.llmCalls, 2)
      assert.closeTo(r.usage.costUsd!, 0.4, 1e-9)
      assert.closeTo(r.usage.costBreakdown["input"]!, 0.2, 1e-9)
      assert.closeTo(r.usage.costBreakdown["output"]!, 0.2, 1e-9)
    }).pipe(Effect.provide(runtimeLayer([{ id: "a", tools: [Add], model: priced }]))))

  it.effect("maxCostUsd checked before a call: spent budget makes no further call", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const r = yield* rt.runDetailed({ agentId: "a", inputText: "go", budget: { maxCostUsd: 0.4 } })
      assert.strictEqual(r.stopReason, "budget_exhausted")
      assert.strictEqual(r.usage.llmCalls, 2)
      assert.strictEqual(r.usage.toolCalls, 2)
      assert.match(r.error!.message, /exhausted/)
    }).pipe(Effect.provide(runtimeLayer([{ id: "a", tools: [Add], model: priced }]))))

  it.effect("a cost budget on an unpriced model is reported once and not enforced", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const [r, events] = yield* withEvents(rt.runDetailed({ agentId: "a", inputText: "hi", budget: { maxCostUsd: 0 } }))
      assert.strictEqual(r.stopReason, "completed")
      assert.isNull(r.usage.costUsd)
      assert.strictEqual(events.filter((e) => e.name === "budget.cost_unknown").length, 1)
    }).pipe(Effect.provide(runtimeLayer([{ id: "a" }]))))

  it.effect("retryable model errors are retried on the Effect clock, honouring retry-after", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const fiber = yield* Effect.fork(withEvents(rt.runDetailed({ agentId: "a", inputText: "go" })))
      yield* TestClock.adjust("1999 millis")
      assert.isNull(fiber.unsafePoll())
      yield* TestClock.adjust("1 millis") // retry-after 2000 ms beats the 500 ms backoff
      yield* TestClock.adjust("1 seconds") // then the 1000 ms backoff of the second retry
      const [r, events] = yield* Fiber.join(fiber)
      assert.strictEqual(r.stopReason, "completed")
      assert.strictEqual(r.finalOutput, "ok")
      assert.deepStrictEqual(
        events.filter((e) => e.name === "llm.retry").map((e) => [e.payload["attempt"], e.payload["delayMs"]]),
        [[2, 2000], [3, 1000]]
      )
    }).pipe(Effect.provide(runtimeLayer([{
      id: "a",
      model: scripted([
        { error: { kind: "rate_limit", retryAfterMs: 2000 } },
        { error: { kind: "overloaded" } },
        { text: "ok" }
      ])
    }]))))

  it.effect("permanent model errors fail the run at once with the typed error", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const r = yield* rt.runDetailed({ agentId: "a", inputText: "go" })
      assert.strictEqual(r.stopReason, "failed")
      assert.strictEqual(r.error?.tag, "LlmAuth")
      assert.isFalse(r.error?.retryable)
      assert.strictEqual(r.usage.llmCalls, 0)
    }).pipe(Effect.provide(runtimeLayer([{ id: "a", model: scripted([{ error: { kind: "auth" } }, { text: "never" }]) }]))))

  it.effect("retries stop after max_attempts and the run fails with the retryable error", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const fiber = yield* Effect.fork(rt.runDetailed({ agentId: "a", inputText: "go" }))
      yield* TestClock.adjust("1 minutes")
      const r = yield* Fiber.join(fiber)
      assert.strictEqual(r.stopReason, "failed")
      assert.strictEqual(r.error?.tag, "LlmConnection")
      assert.isTrue(r.error?.retryable)
    }).pipe(Effect.provide(runtimeLayer([{
      id: "a",
      retry: { maxAttempts: 2 },
      model: scripted([{ error: { kind: "connection" } }, { error: { kind: "connection" } }, { text: "too late" }])
    }]))))
})
