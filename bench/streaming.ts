/**
 * CPU per streamed delta through each SDK-backed provider (`LanguageModel.streamTo`, the path the run
 * loop takes) against the raw SDK client (`openai`, `@anthropic-ai/sdk`) consuming the same stream from
 * the same loopback wire server, measured in the same run: µs of CPU per delta and the ratio.
 *
 * The wire server runs in a child process (test/support/wire-server-main.ts, echo mode), so
 * `process.cpuUsage()` counts the client only: HTTP, SSE parsing, the SDK, and for the provider path
 * everything openagents adds (watchdog, accumulation, the Effect runtime). Each request echoes a user
 * message of DELTAS words, which every protocol renders as one text delta per word. Both sides send the
 * requests that make the server send the same stream (Chat Completions: `stream_options.include_usage`,
 * which the provider needs for usage and which adds `"usage": null` to every chunk).
 *
 * The `streamTo` column hands each delta to a sink of the run loop's shape (`deltaSink` in
 * src/runtime/internal/modelStep.ts: synchronous work, then `Effect.void`, which `streamTo` does not
 * run); the raw side does the same work (a count). EFFECT_SINK=1 adds a column with a sink that returns
 * an effect to run per delta (`Effect.sync`), the shape of `model.stream`'s and of callers that need the
 * fiber for each delta.
 *
 *   npm run bench:streaming            (DELTAS=2000 REPS=10 ROUNDS=7 by default; ONLY=anthropic for one case;
 *                                       EFFECT_SINK=1 adds the effect sink, STREAM=1 the pull form, `model.stream`)
 */
import Anthropic from "@anthropic-ai/sdk"
import * as os from "node:os"
import { Effect, Stream } from "effect"
import { startWireServer } from "./support.js"
import OpenAI from "openai"
import type { ModelRequest } from "../src/kernel/Transcript.js"
import * as AnthropicModel from "../src/llm/AnthropicModel.js"
import * as LanguageModel from "../src/llm/LanguageModel.js"
import * as OpenAiChatModel from "../src/llm/OpenAiChatModel.js"
import * as OpenAiResponsesModel from "../src/llm/OpenAiResponsesModel.js"

const DELTAS = Number(process.env["DELTAS"] ?? 2000)
const REPS = Number(process.env["REPS"] ?? 10)
const ROUNDS = Number(process.env["ROUNDS"] ?? 7)
const WARMUP = Math.max(3, Math.floor(REPS / 4))
/** A comma-separated subset of the cases (`chat,responses,anthropic`), for profiling one of them. */
const ONLY = process.env["ONLY"]?.split(",")
/**
 * RAW_TEXT=1 adds a baseline that keeps the response's text too (the fragments pushed to an array, joined
 * at the end): a provider must keep it to return the response, a counting loop does not. The ratio in
 * that column is streamTo's CPU over this baseline's.
 */
const WITH_RAW_TEXT = process.env["RAW_TEXT"] === "1"
/** STREAM=1 also measures the pull form (`model.stream` through `Stream.runForEach`). */
const WITH_STREAM = process.env["STREAM"] === "1"
/** EFFECT_SINK=1 also measures `streamTo` with a sink that returns an effect per delta. */
const WITH_EFFECT_SINK = process.env["EFFECT_SINK"] === "1"

const words = Array.from({ length: DELTAS }, (_, i) => `w${i}`).join(" ")
const request: ModelRequest = { messages: [{ _tag: "user", content: words }], tools: [] }



type Case = {
  readonly name: string
  readonly raw: () => Promise<number>
  /** The raw SDK keeping the response's text as well (what a provider must do to return it). */
  readonly rawText: () => Promise<number>
  readonly ours: () => Promise<number>
  readonly effectSink: () => Promise<number>
  readonly stream: () => Promise<number>
}

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

const cpu = (): number => {
  const u = process.cpuUsage()
  return u.user + u.system
}

/** µs of CPU per delta over REPS calls of `f` (which returns its delta count). */
const measure = async (f: () => Promise<number>): Promise<{ usPerDelta: number; deltas: number }> => {
  let deltas = 0
  const start = cpu()
  for (let i = 0; i < REPS; i++) deltas += await f()
  return { usPerDelta: (cpu() - start) / deltas, deltas }
}

const main = async () => {
  const server = await startWireServer()
  try {
    const openAiBase = `${server.url}/v1`
    const openai = new OpenAI({ apiKey: "local", baseURL: openAiBase, maxRetries: 0 })
    const anthropic = new Anthropic({ apiKey: "local", baseURL: server.url, maxRetries: 0 })

    const chat = await Effect.runPromise(OpenAiChatModel.make({ model: "gpt-4o", apiKey: "local", baseUrl: openAiBase }))
    const responses = await Effect.runPromise(OpenAiResponsesModel.make({ model: "gpt-4o", apiKey: "local", baseUrl: openAiBase }))
    const claude = await Effect.runPromise(AnthropicModel.make({ model: "claude-sonnet-4-6", apiKey: "local", baseUrl: server.url }))

    /** The run loop's sink shape: synchronous work, then `Effect.void` (nothing left to run). */
    const ours = (model: LanguageModel.Service) => () => {
      let n = 0
      return Effect.runPromise(
        LanguageModel.streamTo(model, request, () => {
          n++
          return Effect.void
        })
      ).then(() => n)
    }

    /** A sink whose work is an effect, run in the calling fiber for each delta. */
    const effectSink = (model: LanguageModel.Service) => () => {
      let n = 0
      return Effect.runPromise(
        LanguageModel.streamTo(model, request, () =>
          Effect.sync(() => {
            n++
          })
        )
      ).then(() => n)
    }

    /** The pull form, `model.stream` (derived from `streamTo` by `LanguageModel.make`), for comparison. */
    const viaStream = (model: LanguageModel.Service) => () => {
      let n = 0
      return Effect.runPromise(
        Stream.runForEach(model.stream(request), (e) =>
          Effect.sync(() => {
            if (e._tag !== "Finished") n++
          })
        )
      ).then(() => n)
    }

    /** The text kept (joined once, at the end, as a consumer that keeps it would), and the delta count. */
    let kept = ""
    const keep = (parts: ReadonlyArray<string>): number => {
      kept = parts.join("")
      if (kept.length === 0) throw new Error("no text")
      return parts.length
    }

    const cases: ReadonlyArray<Case> = [
      {
        name: "openai chat",
        raw: async () => {
          let n = 0
          // The stream the provider reads: it asks for usage, so every chunk carries `"usage": null` and a last chunk the counts.
          const s = await openai.chat.completions.create({
            model: "gpt-4o",
            messages: [{ role: "user", content: words }],
            stream: true,
            stream_options: { include_usage: true }
          })
          for await (const chunk of s) if (chunk.choices[0]?.delta.content) n++
          return n
        },
        rawText: async () => {
          const parts: Array<string> = []
          const s = await openai.chat.completions.create({
            model: "gpt-4o",
            messages: [{ role: "user", content: words }],
            stream: true,
            stream_options: { include_usage: true }
          })
          for await (const chunk of s) {
            const text = chunk.choices[0]?.delta.content
            if (text) parts.push(text)
          }
          return keep(parts)
        },
        ours: ours(chat),
        effectSink: effectSink(chat),
        stream: viaStream(chat)
      },
      {
        name: "openai responses",
        raw: async () => {
          let n = 0
          const s = await openai.responses.create({ model: "gpt-4o", input: [{ role: "user", content: words }], stream: true })
          for await (const event of s) if (event.type === "response.output_text.delta") n++
          return n
        },
        rawText: async () => {
          const parts: Array<string> = []
          const s = await openai.responses.create({ model: "gpt-4o", input: [{ role: "user", content: words }], stream: true })
          for await (const event of s) if (event.type === "response.output_text.delta") parts.push(event.delta)
          return keep(parts)
        },
        ours: ours(responses),
        effectSink: effectSink(responses),
        stream: viaStream(responses)
      },
      {
        name: "anthropic",
        raw: async () => {
          let n = 0
          const s = await anthropic.messages.create({
            model: "claude-sonnet-4-6",
            max_tokens: 1024,
            messages: [{ role: "user", content: words }],
            stream: true
          })
          for await (const event of s) if (event.type === "content_block_delta" && event.delta.type === "text_delta") n++
          return n
        },
        rawText: async () => {
          const parts: Array<string> = []
          const s = await anthropic.messages.create({
            model: "claude-sonnet-4-6",
            max_tokens: 1024,
            messages: [{ role: "user", content: words }],
            stream: true
          })
          for await (const event of s) {
            if (event.type === "content_block_delta" && event.delta.type === "text_delta") parts.push(event.delta.text)
          }
          return keep(parts)
        },
        ours: ours(claude),
        effectSink: effectSink(claude),
        stream: viaStream(claude)
      }
    ]

    const load = () => os.loadavg().map((l) => l.toFixed(2)).join(" ")
    console.log(
      `${DELTAS} deltas per response, ${REPS} responses per measure, median of ${ROUNDS} alternating rounds (after ${WARMUP} warm-up), CPU of the client process; load ${load()}`
    )
    console.log(
      `${"provider".padEnd(18)} ${"raw SDK".padStart(12)} ${"streamTo".padStart(12)} ${"ratio".padStart(7)}` +
        (WITH_RAW_TEXT ? ` ${"raw+text".padStart(12)} ${"ratio".padStart(7)}` : "") +
        (WITH_EFFECT_SINK ? ` ${"effect sink".padStart(12)} ${"ratio".padStart(7)}` : "") +
        (WITH_STREAM ? ` ${"stream".padStart(12)} ${"ratio".padStart(7)}` : "")
    )
    for (const c of cases) {
      if (ONLY && !ONLY.some((o) => c.name.includes(o))) continue
      const a = await c.raw()
      const b = await c.ours()
      if (a !== b || a < DELTAS) throw new Error(`${c.name}: raw saw ${a} deltas, streamTo ${b} (expected ${DELTAS})`)
      if (WITH_EFFECT_SINK && (await c.effectSink()) !== a) throw new Error(`${c.name}: the effect sink saw another count`)
      if (WITH_RAW_TEXT && (await c.rawText()) !== a) throw new Error(`${c.name}: raw+text saw another count`)
      for (let i = 0; i < WARMUP; i++) {
        await c.raw()
        await c.ours()
        if (WITH_EFFECT_SINK) await c.effectSink()
        if (WITH_RAW_TEXT) await c.rawText()
      }
      // Alternating rounds, so drift (JIT, GC, other load) falls on both sides alike; the median of each side.
      const raws: Array<number> = []
      const ourss: Array<number> = []
      const effectSinks: Array<number> = []
      const streams: Array<number> = []
      const rawTexts: Array<number> = []
      for (let round = 0; round < ROUNDS; round++) {
        raws.push((await measure(c.raw)).usPerDelta)
        if (WITH_RAW_TEXT) rawTexts.push((await measure(c.rawText)).usPerDelta)
        ourss.push((await measure(c.ours)).usPerDelta)
        if (WITH_EFFECT_SINK) effectSinks.push((await measure(c.effectSink)).usPerDelta)
        if (WITH_STREAM) streams.push((await measure(c.stream)).usPerDelta)
      }
      const raw = median(raws)
      const our = median(ourss)
      const rawTextCol = WITH_RAW_TEXT
        ? ` ${`${median(rawTexts).toFixed(2)} µs`.padStart(12)} ${`${(our / median(rawTexts)).toFixed(2)}x`.padStart(7)}`
        : ""
      const effectSinkCol = WITH_EFFECT_SINK
        ? ` ${`${median(effectSinks).toFixed(2)} µs`.padStart(12)} ${`${(median(effectSinks) / raw).toFixed(2)}x`.padStart(7)}`
        : ""
      const viaStreamCol = WITH_STREAM
        ? ` ${`${median(streams).toFixed(2)} µs`.padStart(12)} ${`${(median(streams) / raw).toFixed(2)}x`.padStart(7)}`
        : ""
      console.log(
        `${c.name.padEnd(18)} ${`${raw.toFixed(2)} µs`.padStart(12)} ${`${our.toFixed(2)} µs`.padStart(12)} ${`${(our / raw).toFixed(2)}x`.padStart(7)}${rawTextCol}${effectSinkCol}${viaStreamCol}`
      )
    }
    console.log(`load ${load()}`)
  } finally {
    server.stop()
  }
}

main().catch((e) => {
  console.error(e)
  process.exitCode = 1
})
