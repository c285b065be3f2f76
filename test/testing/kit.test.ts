/**
 * The test kit as a user meets it (`openagents/testing`): an agent tested with the scripted mock, the
 * chunk assertions and the TestClock; the wire server played to a provider Layer; the assertions fail
 * with messages that say what the run did.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as AgentRuntime from "../../src/runtime/AgentRuntime.js"
import * as Tool from "../../src/tools/Tool.js"
import * as OpenAiChatModel from "../../src/llm/OpenAiChatModel.js"
import { Chunks, collectChunks, expectToolCalls, MockModel, textOf, Timing, Wire, WireServer } from "../../src/testing/index.js"

const add = Tool.make("add", {
  description: "Adds two numbers",
  parameters: Schema.Struct({ a: Schema.Number, b: Schema.Number }),
  handler: ({ a, b }) => Effect.succeed(a + b)
})

const agent = (script: ReadonlyArray<MockModel.MockStep>) =>
  AgentRuntime.layerInMemory({ agents: [{ id: "a", model: MockModel.layer({ script }), tools: [add] }] })

describe("openagents/testing: an agent on the scripted mock", () => {
  it.effect("collectChunks, expectToolCalls, textOf and expectStopReason", () =>
    Effect.gen(function*() {
      const runtime = yield* AgentRuntime.AgentRuntime
      const chunks = yield* collectChunks(runtime.runStream({ agentId: "a", inputText: "What is 2+3?" }))
      const [call] = expectToolCalls(chunks, [{ name: "add", arguments: { a: 2, b: 3 }, result: 5 }])
      assert.strictEqual(call!.error, undefined)
      assert.strictEqual(textOf(chunks), "It is 5.")
      assert.strictEqual(Chunks.expectStopReason(chunks, "completed").finalOutput, "It is 5.")
    }).pipe(Effect.provide(agent([{ toolCalls: [{ name: "add", arguments: { a: 2, b: 3 } }] }, { text: "It is 5." }])))
  )

  it.effect("a slow model meets the run's deadline on the TestClock, in no real time", () =>
    Effect.gen(function*() {
      const runtime = yield* AgentRuntime.AgentRuntime
      const fiber = yield* Effect.fork(
        collectChunks(runtime.runStream({ agentId: "a", inputText: "hi", budget: { maxDurationMs: 1_000 } }))
      )
      const chunks = yield* Effect.flatten(Timing.adjustUntilDone(fiber, 500))
      Chunks.expectStopReason(chunks, "timeout")
      assert.strictEqual(textOf(chunks), "")
    }).pipe(Effect.provide(agent([{ delayMs: 60_000, text: "too late" }])))
  )

  it.effect("failed expectations say what the run did", () =>
    Effect.gen(function*() {
      const runtime = yield* AgentRuntime.AgentRuntime
      const chunks = yield* collectChunks(runtime.runStream({ agentId: "a", inputText: "hi" }))
      assert.throws(() => expectToolCalls(chunks, ["add"]), /the tools called, in order/)
      assert.throws(() => Chunks.expectStopReason(chunks, "max_steps"), /the run stopped with completed/)
      assert.deepStrictEqual(Chunks.toolCallsOf(chunks), [])
    }).pipe(Effect.provide(agent([{ text: "no tools today" }])))
  )
})

describe("openagents/testing: the wire server", () => {
  it.scoped("plays scripted replies and faults to a provider Layer, and records the requests", () =>
    Effect.gen(function*() {
      const server = yield* WireServer.make({ replies: [Wire.say("Hello."), Wire.rateLimited({ retryAfterMs: 1500 })] })
      const model = OpenAiChatModel.layer({ model: "gpt-4o", apiKey: "sk-test", baseUrl: server.openAiBaseUrl })
      const runtime = AgentRuntime.layerInMemory({ agents: [{ id: "a", model, retry: { maxAttempts: 1 } }] })
      const result = yield* Effect.flatMap(AgentRuntime.AgentRuntime, (rt) => rt.runDetailed({ agentId: "a", inputText: "Hi" })).pipe(
        Effect.provide(runtime)
      )
      assert.strictEqual(result.finalOutput, "Hello.")
      assert.strictEqual(server.requests[0]!.path, "/v1/chat/completions")
      assert.strictEqual(server.requests[0]!.headers["authorization"], "Bearer sk-test")
      const failed = yield* Effect.flatMap(AgentRuntime.AgentRuntime, (rt) => rt.runDetailed({ agentId: "a", inputText: "Again" })).pipe(
        Effect.provide(runtime)
      )
      assert.strictEqual(failed.stopReason, "failed")
      assert.strictEqual(failed.error?.tag, "LlmRateLimited")
    })
  )
})
