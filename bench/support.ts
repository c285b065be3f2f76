/**
 * What the benchmarks share: a cheap scripted model built with `LanguageModel.make` (precomputed
 * responses, so the model costs next to nothing and the figures are the loop's), the `add` tool, a
 * runtime with every default on, and small helpers for timing, heap and output lines.
 */
import { spawn } from "node:child_process"
import * as os from "node:os"
import { Duration, Effect, Layer, Schema } from "effect"
import * as EventBus from "../src/events/EventBus.js"
import { RunBudget } from "../src/kernel/Run.js"
import type { Message, ModelRequest, ModelResponse } from "../src/kernel/Transcript.js"
import * as LanguageModel from "../src/llm/LanguageModel.js"
import * as AgentRuntime from "../src/runtime/AgentRuntime.js"
import * as InMemorySessionStore from "../src/sessions/InMemorySessionStore.js"
import { SessionStore } from "../src/sessions/SessionStore.js"
import * as Skills from "../src/skills/Skills.js"
import * as Tool from "../src/tools/Tool.js"

/** The tool every step calls. */
export const Add = Tool.make("add", {
  description: "Adds two numbers",
  parameters: Schema.Struct({ a: Schema.Number, b: Schema.Number }),
  handler: ({ a, b }) => Effect.succeed(a + b)
})

const usage = { inputTokens: 12, outputTokens: 6, cachedInputTokens: 0, cacheCreationInputTokens: 0, reasoningTokens: 0 }

/** The responses of a run of `steps` model calls: `steps - 1` calls of `add`, then a text answer. */
export const script = (steps: number): ReadonlyArray<{ readonly deltas: ReadonlyArray<string>; readonly response: ModelResponse }> =>
  Array.from({ length: steps }, (_, k) => {
    if (k < steps - 1) {
      const deltas = ["Adding ", `${k} + 1.`]
      return {
        deltas,
        response: {
          content: [
            { _tag: "text", text: deltas.join("") },
            { _tag: "tool_call", id: `call_${k}`, name: "add", arguments: { a: k, b: 1 } }
          ],
          stopReason: "tool_use",
          usage,
          model: "bench"
        }
      }
    }
    const deltas = ["The answer ", `is ${k}.`]
    return {
      deltas,
      response: { content: [{ _tag: "text", text: deltas.join("") }], stopReason: "end_turn", usage, model: "bench" }
    }
  })

/** Which step of its run a request is: the tool results since the last user message. */
const stepOf = (messages: ReadonlyArray<Message>): number => {
  let k = 0
  for (let i = messages.length - 1; i >= 0; i--) {
    const tag = messages[i]!._tag
    if (tag === "user") break
    if (tag === "tool") k++
  }
  return k
}

/**
 * The bench model: precomputed responses, two short text deltas per step, a price (so usage and cost
 * are computed), optionally `latencyMs` of simulated latency per call (Effect.sleep on the real clock)
 * and a `gate` the first call of each run waits for (the concurrency bench parks every run there).
 */
export const benchModel = (steps: number, options?: {
  readonly latencyMs?: number
  readonly gate?: Effect.Effect<void>
  readonly onCall?: (step: number) => void
}): LanguageModel.Service => {
  const responses = script(steps)
  const last = responses[responses.length - 1]!
  const latency = options?.latencyMs ? Effect.sleep(Duration.millis(options.latencyMs)) : undefined
  const gate = options?.gate
  const onCall = options?.onCall
  return LanguageModel.make({
    provider: "bench",
    model: "bench",
    pricing: { input: 1, output: 2 },
    streamTo: (request: ModelRequest, onDelta) =>
      Effect.suspend(() => {
        const step = stepOf(request.messages)
        onCall?.(step)
        const r = responses[step] ?? last
        let effect = Effect.zipRight(onDelta({ _tag: "TextDelta", text: r.deltas[0]! }), onDelta({ _tag: "TextDelta", text: r.deltas[1]! }))
        if (latency) effect = Effect.zipRight(latency, effect)
        if (gate && step === 0) effect = Effect.zipRight(gate, effect)
        return Effect.as(effect, r.response)
      })
  })
}

const specs = [Tool.spec(Add)]
const toolContext = (callId: string) => ({ runId: "", sessionId: "", agentId: "", callId, deps: undefined, emit: () => Effect.void })

/**
 * The bare loop: what any agent loop has to do with `model`, and nothing else, no runtime: `steps` model
 * calls through `LanguageModel.streamTo`, each tool call's arguments decoded and the `add` handler run,
 * the messages kept. With `out`, its deltas, answers and tool results are pushed there as chunks. Returns
 * the number of messages; dies when the model did not stream two deltas a step.
 */
export const bareLoop = (model: LanguageModel.Service, steps: number, out?: Array<unknown>) =>
  Effect.gen(function*() {
    const messages: Array<Message> = [{ _tag: "user", content: "go" }]
    let deltas = 0
    const onDelta = out === undefined
      ? () => Effect.sync(() => void deltas++)
      : (delta: LanguageModel.ModelDelta) => Effect.sync(() => void out.push({ kind: "llm.delta", sequence: deltas++, payload: delta }))
    for (let step = 0; step < steps; step++) {
      const request = { messages, tools: specs }
      const response: ModelResponse = yield* LanguageModel.streamTo(model, request, onDelta)
      messages.push({ _tag: "assistant", content: response.content })
      out?.push({ kind: "llm.finished", payload: response })
      for (const part of response.content) {
        if (part._tag !== "tool_call") continue
        const args = Add.decode(part.arguments)
        if (args._tag === "Left") return yield* Effect.dieMessage(args.left)
        const result = yield* Add.handler(args.right, toolContext(part.id))
        messages.push({ _tag: "tool", toolCallId: part.id, toolName: part.name, content: JSON.stringify(result), isError: false })
        out?.push({ kind: "tool.finished", payload: result })
      }
    }
    if (deltas !== 2 * steps) return yield* Effect.dieMessage(`bare loop saw ${deltas} deltas`)
    return messages.length
  })

/** A budget with every limit set, none of them reached by a run of `steps` steps. */
export const budgetFor = (steps: number) =>
  new RunBudget({ maxSteps: steps + 1, maxDurationMs: 600_000, maxToolCalls: steps, maxValidationRetries: 3, maxResumeAttempts: 3 })

/**
 * A runtime with every default on (step timeout, the tool executor's timeout, events on the bus with
 * its default history, usage and cost), the in-memory store, and the store itself so a bench can drop
 * the sessions it is done with.
 */
export const runtimeLayer = (model: LanguageModel.Service, steps: number) =>
  AgentRuntime.layer({
    agents: [{ id: "bench", tools: [Add], maxSteps: steps + 1, stepTimeoutMs: 30_000, model: Layer.succeed(LanguageModel.LanguageModel, model) }]
  }).pipe(Layer.provideMerge(Layer.mergeAll(InMemorySessionStore.layer, EventBus.layer(), Skills.layerNone)))

export type RuntimeServices = AgentRuntime.AgentRuntime | SessionStore

/** Forgets a finished session everywhere: the runtime's maps and the store. */
export const dropSession = (sessionId: string) =>
  Effect.gen(function*() {
    const rt = yield* AgentRuntime.AgentRuntime
    const store = yield* SessionStore
    yield* rt.closeSession(sessionId)
    yield* Effect.orDie(store.deleteSession(sessionId))
  })

/** Forces a full collection (node --expose-gc); false when gc is not exposed. */
export const gc = (): boolean => {
  const g = (globalThis as { gc?: () => void }).gc
  if (!g) return false
  g()
  g()
  return true
}

export const heapUsed = () => process.memoryUsage().heapUsed

export const fmt = (n: number, digits = 2) => n.toFixed(digits)
/** A difference with its sign: +1.20, -0.30. */
export const signed = (n: number, digits = 2) => `${n >= 0 ? "+" : ""}${n.toFixed(digits)}`
/** Kilobytes with one decimal; a difference that rounds to zero prints as 0.0, not -0.0. */
export const kb = (bytes: number) => `${(Math.abs(bytes) < 51.2 ? 0 : bytes / 1024).toFixed(1)} KB`
export const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`

export const median = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/** The first line of every bench: what ran where, and how loaded the machine was. */
export const header = (title: string) => {
  const load = os.loadavg().map((l) => l.toFixed(2)).join(" ")
  console.log(`# ${title}`)
  console.log(`node ${process.version}, ${os.cpus().length} cpu(s) ${os.cpus()[0]?.model ?? ""}, load ${load}`)
}

/** A target line: the figure, the target and whether it is met (never an assertion). */
export const target = (label: string, value: string, goal: string, met: boolean) =>
  `${label}: ${value} (target ${goal}: ${met ? "met" : "NOT met"})`

/** Summary lines for `npm run bench` (bench/all.ts reads them from stdout). */
export const summary = (line: string) => console.log(`SUMMARY ${line}`)

/** Starts the loopback wire server (test/support/wire-server-main.ts, echo mode) in a child process: its URL. */
export const startWireServer = (): Promise<{ url: string; stop: () => void }> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "test/support/wire-server-main.ts", "--port", "0", "--quiet"], {
      stdio: ["ignore", "pipe", "inherit"]
    })
    let out = ""
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString()
      const m = /listening on (http:\/\/\S+)/.exec(out)
      if (m) resolve({ url: m[1]!, stop: () => child.kill("SIGTERM") })
    })
    child.on("exit", (code) => reject(new Error(`wire server exited (${code}): ${out}`)))
  })
