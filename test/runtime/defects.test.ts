/**
 * Defects found by testing the runtime from outside, each pinned by a test that failed before its fix.
 */
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Layer, Option, Schema, Stream, TestClock } from "effect"
import { ConfigError, LlmRateLimited } from "../../src/kernel/Errors.js"
import type { RuntimeEvent } from "../../src/kernel/EventTaxonomy.js"
import { LanguageModel } from "../../src/llm/LanguageModel.js"
import * as MockModel from "../../src/llm/MockModel.js"
import { Memory } from "../../src/memory/Memory.js"
import * as WindowBuffer from "../../src/memory/WindowBuffer.js"
import { Pattern } from "../../src/patterns/Pattern.js"
import { type ModelResponse, responseText } from "../../src/kernel/Transcript.js"
import * as AgentRuntime from "../../src/runtime/AgentRuntime.js"
import * as Tool from "../../src/tools/Tool.js"
import { runtimeLayer, withEvents } from "../support/runtime.js"

/** Step 1 drafts, step 2 polishes; the second call of the model's life fails with a 429. */
const draftThenFail = Layer.sync(LanguageModel, () => {
  let calls = 0
  const answer = (text: string): ModelResponse => ({
    content: [{ _tag: "text", text }],
    stopReason: "end_turn",
    usage: { inputTokens: 1, outputTokens: 1, cachedInputTokens: 0, cacheCreationInputTokens: 0, reasoningTokens: 0 },
    model: "two-step"
  })
  return LanguageModel.of({
    provider: "planned",
    model: "two-step",
    pricing: undefined,
    generate: () => Effect.dieMessage("not used"),
    stream: (request) => {
      const n = calls++
      if (n === 1) return Stream.fail(new LlmRateLimited({ provider: "planned", message: "slow down", status: 429 }))
      const drafted = request.messages.some((m) => m._tag === "assistant")
      return Stream.make({ _tag: "Finished", response: answer(drafted ? "final: polished draft" : "draft") } as const)
    }
  })
})

const draftThenPolish = Pattern.of({
  name: "draft-then-polish",
  execute: (run) =>
    Effect.gen(function*() {
      yield* run.step()
      yield* run.appendMessage({ _tag: "user", content: "polish it" })
      return responseText(yield* run.step())
    })
})

const names = (events: ReadonlyArray<RuntimeEvent>, runId: string) =>
  events.filter((e) => e.runId === runId).map((e) => e.name)

describe("defects found by outside testing", () => {
  it.effect("a memory writeback that fails under on_error: continue emits memory.failed and no memory.written", () =>
    Effect.gen(function*() {
      const [result, events] = yield* withEvents(Effect.gen(function*() {
        const rt = yield* AgentRuntime.AgentRuntime
        return yield* rt.runDetailed({ agentId: "a", sessionId: "s", runId: "r", inputText: "hi" })
      }))
      assert.strictEqual(result.stopReason, "completed")
      const seen = names(events, "r")
      assert.include(seen, "memory.failed")
      assert.notInclude(seen, "memory.written")
      const failed = events.find((e) => e.name === "memory.failed")
      assert.strictEqual(failed?.name === "memory.failed" ? failed.payload.phase : undefined, "writeback")
    }).pipe(Effect.provide(runtimeLayer([{
      id: "a",
      memoryOnError: "continue",
      memory: Layer.succeed(Memory, { ...WindowBuffer.make(), writeback: () => Effect.die(new Error("disk full")) })
    }]))))

  it.effect("a two-step custom pattern resumed after a retryable failure of its second step returns its own output", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(Effect.gen(function*() {
        const rt = yield* AgentRuntime.AgentRuntime
        return yield* rt.runDetailed({ agentId: "a", sessionId: "s", runId: "r", inputText: "write", durable: true })
      }))
      yield* TestClock.adjust("1 minute")
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.stopReason, "completed")
      // before the fix the resumed run took the journaled draft for the pattern's final answer
      assert.strictEqual(result.finalOutput, "final: polished draft")
    }).pipe(Effect.provide(runtimeLayer([{
      id: "a",
      retry: { maxAttempts: 1 },
      model: draftThenFail,
      pattern: Layer.succeed(Pattern, draftThenPolish)
    }]))))

  it.effect("cancel right after a run is forked finds it and cancels it", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      const fiber = yield* Effect.fork(rt.runDetailed({ agentId: "a", sessionId: "s", runId: "r1", inputText: "hi" }))
      assert.isTrue(yield* rt.cancel("r1"))
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.stopReason, "cancelled")
    }).pipe(Effect.provide(runtimeLayer([{ id: "a", model: MockModel.layer({ script: [{ delayMs: 60_000, text: "late" }] }) }]))))

  it.effect("cancelling a run that already ended returns false and does not cancel a later run with that id", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      assert.strictEqual((yield* rt.runDetailed({ agentId: "a", sessionId: "s1", runId: "same", inputText: "hi" })).stopReason, "completed")
      assert.isFalse(yield* rt.cancel("same"))
      const again = yield* rt.runDetailed({ agentId: "a", sessionId: "s2", runId: "same", inputText: "hi" })
      assert.strictEqual(again.stopReason, "completed")
    }).pipe(Effect.provide(runtimeLayer([{ id: "a" }]))))

  it.effect("a cancel that lands in the end-of-run writes returns false and the run stays completed", () =>
    Effect.gen(function*() {
      const writing = yield* Deferred.make<void>()
      const proceed = yield* Deferred.make<void>()
      const slowMemory = Layer.succeed(Memory, {
        ...WindowBuffer.make(),
        writeback: (state, turn) =>
          Effect.zipRight(
            Effect.zipRight(Deferred.succeed(writing, undefined), Deferred.await(proceed)),
            WindowBuffer.make().writeback(state, turn)
          )
      })
      yield* Effect.gen(function*() {
        const rt = yield* AgentRuntime.AgentRuntime
        const fiber = yield* Effect.fork(rt.runDetailed({ agentId: "a", sessionId: "s", runId: "r", inputText: "hi" }))
        yield* Deferred.await(writing)
        assert.isFalse(yield* rt.cancel("r"))
        yield* Deferred.succeed(proceed, undefined)
        const result = yield* Fiber.join(fiber)
        assert.strictEqual(result.stopReason, "completed")
        assert.strictEqual(result.finalOutput, "Echo: hi (history=0)")
      }).pipe(Effect.provide(runtimeLayer([{ id: "a", memory: slowMemory }])))
    }))

  it.effect("a tool result JSON cannot hold goes back to the model as the tool's error, never as [object Object]", () =>
    Effect.gen(function*() {
      const [result, events] = yield* withEvents(Effect.gen(function*() {
        const rt = yield* AgentRuntime.AgentRuntime
        return yield* rt.runDetailed({ agentId: "a", runId: "r", inputText: "/tool cyclic {}" })
      }))
      assert.strictEqual(result.stopReason, "completed")
      const finished = events.find((e) => e.name === "tool.finished")
      assert.isTrue(finished?.name === "tool.finished" && finished.payload.errorTag === "ToolResultError")
      assert.match(String(result.finalOutput), /^Tool\[cyclic\] => \{"error":"the result cannot be sent to the model as JSON: /)
    }).pipe(Effect.provide(runtimeLayer([{
      id: "a",
      tools: [Tool.make("cyclic", {
        description: "returns a cyclic object",
        parameters: Schema.Struct({}),
        handler: () =>
          Effect.sync(() => {
            const o: Record<string, unknown> = {}
            o["self"] = o
            return o
          })
      })]
    }]))))

  it.effect("run requests are checked like a config: every problem at its path, unknown keys with a did-you-mean", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      const error = yield* Effect.flip(rt.runDetailed({
        agentId: "a",
        inputText: "hi",
        sesionId: "s",
        budget: { maxSteps: 0 }
      } as unknown as AgentRuntime.RunInput))
      assert.instanceOf(error, ConfigError)
      assert.match(error.message, /request\.budget\.maxSteps: must be a positive integer/)
      assert.match(error.message, /request\.sesionId: unknown key \(did you mean 'sessionId'\?\)/)
      const empty = yield* Effect.flip(rt.runDetailed({ agentId: "", inputText: "hi" }))
      assert.match(empty.message, /request\.agentId/)
    }).pipe(Effect.provide(runtimeLayer([{ id: "a" }]))))

  it.effect("a run failed by a provider keeps the attempts, the retry-after and a hint in RunResult.error", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      const fiber = yield* Effect.fork(rt.runDetailed({ agentId: "a", inputText: "hi" }))
      yield* TestClock.adjust("1 minute")
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.stopReason, "failed")
      assert.strictEqual(result.error?.tag, "LlmRateLimited")
      assert.strictEqual(result.error?.attempts, 3)
      assert.strictEqual(result.error?.retryAfterMs, 2000)
      assert.match(result.error?.hint ?? "", /gave up after 3 attempts/)
      assert.isTrue(result.error?.retryable)
    }).pipe(Effect.provide(runtimeLayer([{
      id: "a",
      retry: { maxAttempts: 3 },
      model: MockModel.layer({ script: [{ error: { kind: "rate_limit", retryAfterMs: 2000 } }] })
    }]))))

  it.effect("an agent without a model is a ConfigError naming the agent, not a silent echo", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Layer.build(AgentRuntime.layerInMemory({ agents: [{ id: "writer" }] })).pipe(Effect.scoped))
      assert.instanceOf(error, ConfigError)
      assert.match(error.message, /agents\[0\]\.model: agent 'writer' has no model/)
      // with a model in the context, the same definition is fine
      const ok = yield* Effect.option(
        Layer.build(AgentRuntime.layerInMemory({ agents: [{ id: "writer" }] }).pipe(Layer.provide(MockModel.layer())))
          .pipe(Effect.scoped)
      )
      assert.isTrue(Option.isSome(ok))
    }))
})
