/**
 * The watchdog with the default options, on the TestClock: a stalled stream must end with the
 * idle-timeout `LlmTimeout` before the runtime's default step timeout (30 s) would end the step, or a
 * stall would only ever be reported as a step timeout.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import type { ModelRequest } from "../../src/kernel/Transcript.js"
import * as AnthropicModel from "../../src/llm/AnthropicModel.js"
import { DEFAULT_IDLE_TIMEOUT_MS } from "../../src/llm/internal/options.js"
import { type Service, streamTo } from "../../src/llm/LanguageModel.js"
import * as OpenAiChatModel from "../../src/llm/OpenAiChatModel.js"
import * as OpenAiResponsesModel from "../../src/llm/OpenAiResponsesModel.js"
import * as WireServer from "../../src/testing/WireServer.js"
import { eventually, realSleep } from "../../src/testing/Timing.js"

const { Wire } = WireServer

/** The runtime's default `step_timeout_ms` (AgentRuntime: `stepTimeoutMs ?? 30_000`). */
const DEFAULT_STEP_TIMEOUT_MS = 30_000

const req: ModelRequest = { messages: [{ _tag: "user", content: "Hi" }], tools: [] }

const providers: ReadonlyArray<[string, number, (s: WireServer.WireServer) => Effect.Effect<Service, unknown>]> = [
  ["anthropic", 4, (s) => AnthropicModel.make({ model: "claude-sonnet-4-6", apiKey: "k", baseUrl: s.anthropicBaseUrl })],
  ["openai chat", 2, (s) => OpenAiChatModel.make({ model: "gpt-4o", apiKey: "k", baseUrl: s.openAiBaseUrl })],
  ["openai responses", 5, (s) => OpenAiResponsesModel.make({ model: "gpt-4o", apiKey: "k", baseUrl: s.openAiBaseUrl })]
]

describe("watchdog with the default options (TestClock)", () => {
  it("the default idle timeout is shorter than the default step timeout", () => {
    assert.isBelow(DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_STEP_TIMEOUT_MS)
  })

  for (const [name, firstDeltaFrames, make] of providers) {
    // "streamTo, sync sink": the run loop's shape (work done at once, `Effect.void`), delivered from the SDK read loop
    for (const via of ["streamTo", "streamTo, sync sink", "stream"] as const) {
      it.scoped(`${name} (${via}): a stalled stream ends with LlmTimeout after the default idle_timeout_ms, before a step timeout`, () =>
        Effect.gen(function* () {
          const server = yield* WireServer.make({ replies: [Wire.stall(firstDeltaFrames, Wire.say("one two three"))] })
          const model = yield* make(server)
          const seen: Array<string> = []
          const onDelta = (text: string) => Effect.sync(() => void seen.push(text))
          const call =
            via === "streamTo"
              ? Effect.asVoid(streamTo(model, req, (d) => onDelta(d.text)))
              : via === "streamTo, sync sink"
              ? Effect.asVoid(streamTo(model, req, (d) => {
                seen.push(d.text)
                return Effect.void
              }))
              : Stream.runForEach(model.stream(req), (e) => (e._tag === "Finished" ? Effect.void : onDelta(e.text)))
          const fiber = yield* Effect.fork(call)
          yield* eventually(Effect.sync(() => seen.length === 1), "the first delta")
          // One millisecond short of the idle period: still waiting.
          yield* TestClock.adjust(DEFAULT_IDLE_TIMEOUT_MS - 1)
          yield* realSleep(20)
          assert.isTrue((yield* Fiber.poll(fiber))._tag === "None", "not timed out before idle_timeout_ms")
          yield* TestClock.adjust(1)
          const exit = yield* Fiber.await(fiber)
          assert.isTrue(Exit.isFailure(exit))
          const error = yield* Effect.flip(exit)
          assert.strictEqual(error._tag, "LlmTimeout")
          assert.strictEqual(error._tag === "LlmTimeout" && error.timeoutMs, DEFAULT_IDLE_TIMEOUT_MS)
          assert.include(error.message, "idle_timeout_ms")
          assert.deepStrictEqual(seen, ["one "])
          assert.isTrue((yield* WireServer.awaitClosed(server, 0)).closedEarly, "the stalled request was aborted")
        })
      )
    }
  }
})
