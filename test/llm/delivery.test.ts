/**
 * How `streamTo` hands deltas to its callback, against the loopback wire server, for each SDK-backed
 * provider: a callback that returns `Effect.void` (the run loop's shape) is called from the SDK read
 * loop while the fiber waits, and must see exactly what an effectful callback sees, in the same order;
 * a callback that mixes the two never sees a delta before the effect of the one before it has run; a
 * throw is a defect; interruption still aborts the request.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type { ModelRequest } from "../../src/kernel/Transcript.js"
import * as AnthropicModel from "../../src/llm/AnthropicModel.js"
import { type ModelDelta, type Service, streamTo } from "../../src/llm/LanguageModel.js"
import * as OpenAiChatModel from "../../src/llm/OpenAiChatModel.js"
import * as OpenAiResponsesModel from "../../src/llm/OpenAiResponsesModel.js"
import * as WireServer from "../../src/testing/WireServer.js"

const { Wire } = WireServer

const req: ModelRequest = { messages: [{ _tag: "user", content: "Hi" }], tools: [] }

const providers: ReadonlyArray<[string, (s: WireServer.WireServer) => Effect.Effect<Service, unknown>]> = [
  ["anthropic", (s) => AnthropicModel.make({ model: "claude-sonnet-4-6", apiKey: "k", baseUrl: s.anthropicBaseUrl })],
  ["openai chat", (s) => OpenAiChatModel.make({ model: "gpt-4o", apiKey: "k", baseUrl: s.openAiBaseUrl })],
  ["openai responses", (s) => OpenAiResponsesModel.make({ model: "gpt-4o", apiKey: "k", baseUrl: s.openAiBaseUrl })]
]

/** Enough words for several network reads and more than one wake batch. */
const words = Array.from({ length: 300 }, (_, i) => `w${i}`)
const text = words.join(" ")

const texts = (deltas: ReadonlyArray<ModelDelta>) => deltas.map((d) => d.text)

describe("streamTo delivery", () => {
  for (const [name, make] of providers) {
    it.scopedLive(`${name}: a callback returning Effect.void sees the same deltas, in order, as one returning effects`, () =>
      Effect.gen(function* () {
        const server = yield* WireServer.make({ replies: [Wire.say(text), Wire.say(text)] })
        const model = yield* make(server)
        const direct: Array<ModelDelta> = []
        const a = yield* streamTo(model, req, (d) => {
          direct.push(d)
          return Effect.void
        })
        const viaFiber: Array<ModelDelta> = []
        const b = yield* streamTo(model, req, (d) => Effect.sync(() => void viaFiber.push(d)))
        assert.deepStrictEqual(direct, viaFiber)
        assert.strictEqual(texts(direct).join(""), text)
        assert.deepStrictEqual(a.content, b.content)
        assert.deepStrictEqual(a.usage, b.usage)
        assert.strictEqual(a.stopReason, b.stopReason)
      })
    )

    it.scopedLive(`${name}: a callback mixing Effect.void and effects sees each delta after the effect of the one before ran`, () =>
      Effect.gen(function* () {
        const server = yield* WireServer.make({ replies: [Wire.say(text)] })
        const model = yield* make(server)
        const log: Array<string> = []
        let i = 0
        const response = yield* streamTo(model, req, (d) => {
          const k = i++
          log.push(`call ${k} ${d.text}`)
          // every seventh delta has work that suspends the fiber (a real async boundary)
          if (k % 7 !== 3) return Effect.void
          return Effect.zipRight(Effect.promise(() => new Promise<void>((r) => setTimeout(r, 1))), Effect.sync(() => void log.push(`ran ${k}`)))
        })
        assert.strictEqual(response.content[0]?._tag === "text" && response.content[0].text, text)
        const calls = log.filter((l) => l.startsWith("call")).map((l) => l.split(" ").slice(2).join(" "))
        assert.strictEqual(calls.join(""), text)
        for (let k = 3; k < i; k += 7) {
          const ran = log.indexOf(`ran ${k}`)
          assert.isAbove(ran, log.findIndex((l) => l.startsWith(`call ${k} `)), `effect ${k} ran after its call`)
          const nextCall = log.findIndex((l) => l.startsWith(`call ${k + 1} `))
          if (nextCall >= 0) assert.isBelow(ran, nextCall, `delta ${k + 1} handed over after effect ${k} ran`)
        }
      })
    )

    it.scopedLive(`${name}: a callback that throws fails the call with that defect and aborts the request`, () =>
      Effect.gen(function* () {
        const server = yield* WireServer.make({ replies: [Wire.stall(8, Wire.say(text))] })
        const model = yield* make(server)
        const boom = new Error("boom")
        let seen = 0
        const exit = yield* Effect.exit(
          streamTo(model, req, () => {
            if (++seen === 2) throw boom
            return Effect.void
          })
        )
        assert.isTrue(Exit.isFailure(exit) && Cause.isDie(exit.cause), "a defect")
        assert.strictEqual(Exit.isFailure(exit) && Cause.squash(exit.cause), boom)
        assert.strictEqual(seen, 2, "no delta after the throw")
        assert.isTrue((yield* WireServer.awaitClosed(server, 0)).closedEarly, "the request was aborted")
      })
    )

    it.scopedLive(`${name}: interrupting a call whose callback returns Effect.void aborts the request and ends the deltas`, () =>
      Effect.gen(function* () {
        const server = yield* WireServer.make({ replies: [Wire.stall(8, Wire.say(text))] })
        const model = yield* make(server)
        const seen: Array<string> = []
        const fiber = yield* Effect.fork(
          streamTo(model, req, (d) => {
            seen.push(d.text)
            return Effect.void
          })
        )
        while (seen.length === 0) yield* Effect.sleep(5)
        yield* Fiber.interrupt(fiber)
        const after = seen.length
        assert.isTrue((yield* WireServer.awaitClosed(server, 0)).closedEarly, "the request was aborted")
        yield* Effect.sleep(20)
        assert.strictEqual(seen.length, after, "no delta after the interruption")
      })
    )
  }
})
