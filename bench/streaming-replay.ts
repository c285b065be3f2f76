/**
 * What openagents adds per streamed delta, without the network: each provider's `streamTo` (through
 * `LanguageModel.streamTo`, as `bench:streaming`) against a `for await` over the same events, both fed by
 * a replay of the SDK's parsed events (recorded once from the loopback wire server, then `JSON.parse`d
 * again for each response, in reads of PER_READ events). HTTP, SSE parsing and the SDK's iterator are
 * out of both sides, so the difference is the provider's own path: the transport's buffer and wait, the
 * accumulation of the response, the delta objects and the Effect steps. The SDK resources' `create` is
 * replaced for this process only.
 *
 * The callback has the run loop's shape (synchronous work, `Effect.void`), as in `bench:streaming`.
 *
 *   npx tsx bench/streaming-replay.ts      (DELTAS=2000 REPS=30 ROUNDS=9 PER_READ=600; ONLY=anthropic,chat;
 *                                           EFFECT_SINK=1 for a callback returning `Effect.sync`)
 */
import Anthropic from "@anthropic-ai/sdk"
import { Messages } from "@anthropic-ai/sdk/resources/messages"
import { Effect } from "effect"
import { startWireServer } from "./support.js"
import OpenAI from "openai"
import { Completions } from "openai/resources/chat/completions"
import { Responses } from "openai/resources/responses/responses"
import type { ModelRequest } from "../src/kernel/Transcript.js"
import * as AnthropicModel from "../src/llm/AnthropicModel.js"
import * as LanguageModel from "../src/llm/LanguageModel.js"
import * as OpenAiChatModel from "../src/llm/OpenAiChatModel.js"
import * as OpenAiResponsesModel from "../src/llm/OpenAiResponsesModel.js"

const DELTAS = Number(process.env["DELTAS"] ?? 2000)
const REPS = Number(process.env["REPS"] ?? 30)
const ROUNDS = Number(process.env["ROUNDS"] ?? 9)
/** Events handed over per simulated network read (a 64 KB read holds about 600 Anthropic deltas). */
const PER_READ = Number(process.env["PER_READ"] ?? 600)
const ONLY = (process.env["ONLY"] ?? "anthropic,chat,responses").split(",")
/** EFFECT_SINK=1: a callback that returns an effect per delta, instead of the run loop's shape (sync work, `Effect.void`). */
const EFFECT_SINK = process.env["EFFECT_SINK"] === "1"

type Case = "anthropic" | "chat" | "responses"
// The SDKs' event shapes are read loosely here: the raw side only counts deltas.
type Event = { type?: string; delta?: { type?: string; content?: string }; choices?: Array<{ delta: { content?: string } }> }

const words = Array.from({ length: DELTAS }, (_, i) => `w${i}`).join(" ")
const request: ModelRequest = { messages: [{ _tag: "user", content: words }], tools: [] }

const record = async (): Promise<Record<Case, Array<string>>> => {
  const server = await startWireServer()
  try {
    const openai = new OpenAI({ apiKey: "local", baseURL: `${server.url}/v1`, maxRetries: 0 })
    const anthropic = new Anthropic({ apiKey: "local", baseURL: server.url, maxRetries: 0 })
    const capture = async (s: AsyncIterable<unknown>) => {
      const out: Array<string> = []
      for await (const e of s) out.push(JSON.stringify(e))
      return out
    }
    return {
      anthropic: await capture(
        await anthropic.messages.create({ model: "claude-sonnet-4-6", max_tokens: 1024, messages: [{ role: "user", content: words }], stream: true })
      ),
      chat: await capture(
        await openai.chat.completions.create({
          model: "gpt-4o",
          messages: [{ role: "user", content: words }],
          stream: true,
          stream_options: { include_usage: true }
        })
      ),
      responses: await capture(await openai.responses.create({ model: "gpt-4o", input: [{ role: "user", content: words }], stream: true }))
    }
  } finally {
    server.stop()
  }
}

const replay = async function* (lines: ReadonlyArray<string>): AsyncGenerator<Event> {
  for (let i = 0; i < lines.length; i++) {
    if (i % PER_READ === 0) await new Promise((r) => setImmediate(r))
    yield JSON.parse(lines[i]!) as Event
  }
}

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

const cpu = (): number => {
  const u = process.cpuUsage()
  return u.user + u.system
}

const main = async () => {
  const recorded = await record()
  const fake = (lines: ReadonlyArray<string>) =>
    function () {
      return { withResponse: async () => ({ data: replay(lines), response: new Response(null) }) }
    }
  ;(Messages.prototype as unknown as { create: unknown }).create = fake(recorded.anthropic)
  ;(Completions.prototype as unknown as { create: unknown }).create = fake(recorded.chat)
  ;(Responses.prototype as unknown as { create: unknown }).create = fake(recorded.responses)
  const nowhere = "http://127.0.0.1:9"
  const models: Record<Case, LanguageModel.Service> = {
    anthropic: await Effect.runPromise(AnthropicModel.make({ model: "claude-sonnet-4-6", apiKey: "local", baseUrl: nowhere })),
    chat: await Effect.runPromise(OpenAiChatModel.make({ model: "gpt-4o", apiKey: "local", baseUrl: `${nowhere}/v1` })),
    responses: await Effect.runPromise(OpenAiResponsesModel.make({ model: "gpt-4o", apiKey: "local", baseUrl: `${nowhere}/v1` }))
  }
  const raws: Record<Case, () => Promise<number>> = {
    anthropic: async () => {
      let n = 0
      for await (const e of replay(recorded.anthropic)) if (e.type === "content_block_delta" && e.delta?.type === "text_delta") n++
      return n
    },
    chat: async () => {
      let n = 0
      for await (const c of replay(recorded.chat)) if (c.choices?.[0]?.delta.content) n++
      return n
    },
    responses: async () => {
      let n = 0
      for await (const e of replay(recorded.responses)) if (e.type === "response.output_text.delta") n++
      return n
    }
  }
  console.log(`${DELTAS} deltas per response, ${REPS} responses per measure, median of ${ROUNDS} alternating rounds, ${PER_READ} events per read`)
  for (const c of ONLY as Array<Case>) {
    const raw = raws[c]
    const ours = () => {
      let n = 0
      return Effect.runPromise(
        LanguageModel.streamTo(
          models[c],
          request,
          EFFECT_SINK
            ? () =>
              Effect.sync(() => {
                n++
              })
            : () => {
              n++
              return Effect.void
            }
        )
      ).then(() => n)
    }
    const measure = async (f: () => Promise<number>) => {
      let deltas = 0
      const start = cpu()
      for (let i = 0; i < REPS; i++) deltas += await f()
      return (cpu() - start) / deltas
    }
    const a0 = await raw()
    const b0 = await ours()
    if (a0 !== b0 || a0 < DELTAS) throw new Error(`${c}: replay saw ${a0} deltas, streamTo ${b0}`)
    for (let i = 0; i < 10; i++) {
      await raw()
      await ours()
    }
    const as: Array<number> = []
    const bs: Array<number> = []
    for (let r = 0; r < ROUNDS; r++) {
      as.push(await measure(raw))
      bs.push(await measure(ours))
    }
    const a = median(as)
    const b = median(bs)
    console.log(`${c.padEnd(10)} replay ${a.toFixed(3)} µs  streamTo ${b.toFixed(3)} µs  added ${(b - a).toFixed(3)} µs a delta`)
  }
}

main().catch((e) => {
  console.error(e)
  process.exitCode = 1
})
