/**
 * The watchdog and the SDK header timeout in real time, against a really stalled server: short
 * timeouts (50 ms) keep the suite fast; nothing asserts on durations.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type { ModelRequest } from "../../src/kernel/Transcript.js"
import * as AnthropicModel from "../../src/llm/AnthropicModel.js"
import { type Service, streamTo } from "../../src/llm/LanguageModel.js"
import * as OpenAiChatModel from "../../src/llm/OpenAiChatModel.js"
import * as OpenAiResponsesModel from "../../src/llm/OpenAiResponsesModel.js"
import * as WireServer from "../../src/testing/WireServer.js"

const { Wire } = WireServer

const req: ModelRequest = { messages: [{ _tag: "user", content: "Hi" }], tools: [] }

const providers: ReadonlyArray<[string, (s: WireServer.WireServer, o: { idleTimeoutMs?: number; timeoutMs?: number }) => Effect.Effect<Service, unknown>]> = [
  ["anthropic", (s, o) => AnthropicModel.make({ model: "claude-sonnet-4-6", apiKey: "k", baseUrl: s.anthropicBaseUrl, ...o })],
  ["openai chat", (s, o) => OpenAiChatModel.make({ model: "gpt-4o", apiKey: "k", baseUrl: s.openAiBaseUrl, ...o })],
  ["openai responses", (s, o) => OpenAiResponsesModel.make({ model: "gpt-4o", apiKey: "k", baseUrl: s.openAiBaseUrl, ...o })]
]

/** SSE frames up to and including the first text delta (see the conformance suite). */
const firstDeltaFrames: Readonly<Record<string, number>> = { anthropic: 4, "openai chat": 2, "openai responses": 5 }

describe("watchdog in real time", () => {
  for (const [name, make] of providers) {
    it.scopedLive(`${name}: a stream stalled after two events is aborted after idle_timeout_ms`, () =>
      Effect.gen(function* () {
        const server = yield* WireServer.make({ replies: [Wire.stall(2)] })
        const model = yield* make(server, { idleTimeoutMs: 50 })
        const error = yield* Effect.flip(Stream.runDrain(model.stream(req)))
        assert.strictEqual(error._tag, "LlmTimeout")
        assert.strictEqual(error._tag === "LlmTimeout" && error.timeoutMs, 50)
        const r = yield* WireServer.awaitClosed(server, 0)
        assert.isTrue(r.closedEarly, "the stalled request was aborted")
      })
    )

    it.scopedLive(`${name}: through streamTo, a stalled stream is aborted after idle_timeout_ms, the deltas before it delivered`, () =>
      Effect.gen(function* () {
        const server = yield* WireServer.make({ replies: [Wire.stall(firstDeltaFrames[name]!, Wire.say("one two three"))] })
        const model = yield* make(server, { idleTimeoutMs: 50 })
        const seen: Array<string> = []
        const error = yield* Effect.flip(
          streamTo(model, req, (d) => Effect.sync(() => void seen.push(d.text)))
        )
        assert.strictEqual(error._tag, "LlmTimeout")
        assert.deepStrictEqual(seen, ["one "])
        assert.isTrue((yield* WireServer.awaitClosed(server, 0)).closedEarly, "the stalled request was aborted")
      })
    )

    it.scopedLive(`${name}: through streamTo, keep-alives keep a slow stream alive`, () =>
      Effect.gen(function* () {
        const server = yield* WireServer.make({ replies: [Wire.keepalive(12, 25, { afterEvents: 2, reply: Wire.say("still here") })] })
        const model = yield* make(server, { idleTimeoutMs: 200 })
        const response = yield* streamTo(model, req, () => Effect.void)
        assert.deepStrictEqual(response.content, [{ _tag: "text", text: "still here" }])
      })
    )

    it.scopedLive(`${name}: a JSON body stalled after the headers is aborted after idle_timeout_ms`, () =>
      Effect.gen(function* () {
        const server = yield* WireServer.make({ replies: [Wire.stall(1)] })
        const model = yield* make(server, { idleTimeoutMs: 50 })
        const error = yield* Effect.flip(model.generate(req))
        assert.strictEqual(error._tag, "LlmTimeout")
        assert.isTrue((yield* WireServer.awaitClosed(server, 0)).closedEarly)
      })
    )

    it.scopedLive(`${name}: keep-alives the SDK skips (pings, SSE comments) keep a slow stream alive`, () =>
      Effect.gen(function* () {
        // 12 keep-alives 25 ms apart: 300 ms without a single event, never 200 ms without a byte (8x margin for a loaded machine).
        const server = yield* WireServer.make({ replies: [Wire.keepalive(12, 25, { afterEvents: 2, reply: Wire.say("still here") })] })
        const model = yield* make(server, { idleTimeoutMs: 200 })
        const events = yield* Stream.runCollect(model.stream(req))
        const last = Array.from(events).at(-1)
        assert.strictEqual(last?._tag, "Finished")
        assert.strictEqual(last?._tag === "Finished" && last.response.content[0]?._tag === "text" && last.response.content[0].text, "still here")
      })
    )

    it.scopedLive(`${name}: a JSON body that trickles in is not cut off`, () =>
      Effect.gen(function* () {
        const server = yield* WireServer.make({ replies: [Wire.keepalive(12, 25, { reply: Wire.say("slowly") })] })
        const model = yield* make(server, { idleTimeoutMs: 200 })
        const response = yield* model.generate(req)
        assert.deepStrictEqual(response.content, [{ _tag: "text", text: "slowly" }])
      })
    )

    it.scopedLive(`${name}: no headers within timeout_ms -> LlmTimeout from the SDK's timer`, () =>
      Effect.gen(function* () {
        const server = yield* WireServer.make({ replies: [Wire.hang()] })
        const model = yield* make(server, { timeoutMs: 50 })
        const error = yield* Effect.flip(model.generate(req))
        assert.strictEqual(error._tag, "LlmTimeout")
        assert.include(error.message, "timeout_ms")
        assert.isTrue((yield* WireServer.awaitClosed(server, 0)).closedEarly)
      })
    )
  }
})
