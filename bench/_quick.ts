import { Effect, Layer, ManagedRuntime, Schema, Stream } from "effect"
import * as LanguageModel from "../src/llm/LanguageModel.js"
import type { Message, ModelResponse, ModelRequest } from "../src/kernel/Transcript.js"
import * as AgentRuntime from "../src/runtime/AgentRuntime.js"
import * as Tool from "../src/tools/Tool.js"
const STEPS = 20, RUNS = Number(process.env.RUNS ?? 2000)
const Add = Tool.make("add", { description: "Adds", parameters: Schema.Struct({ a: Schema.Number, b: Schema.Number }), handler: ({ a, b }) => Effect.succeed(a + b) })
const usage = { inputTokens: 10, outputTokens: 5, cachedInputTokens: 0, cacheCreationInputTokens: 0, reasoningTokens: 0 }
const responses: Array<ModelResponse> = Array.from({ length: STEPS }, (_, i) => i < STEPS - 1
  ? { content: [{ _tag: "text", text: "ok" }, { _tag: "tool_call", id: `c${i}`, name: "add", arguments: { a: i, b: 1 } }], stopReason: "tool_use", usage, model: "bench" }
  : { content: [{ _tag: "text", text: "done" }], stopReason: "end_turn", usage, model: "bench" })
const model = LanguageModel.make({ provider: "bench", model: "bench", pricing: undefined,
  streamTo: (request, onDelta) => Effect.suspend(() => {
    let n = 0; for (const m of request.messages) if (m._tag === "assistant") n++
    const r = responses[Math.min(n, STEPS - 1)]!
    return Effect.as(onDelta({ _tag: "TextDelta", text: (r.content[0] as any).text }), r)
  }) })
const bare = Effect.gen(function*() {
  const messages: Array<Message> = [{ _tag: "user", content: "go" }]
  for (let step = 0; step < STEPS; step++) {
    const response = yield* LanguageModel.streamTo(model, { messages: messages.slice(), tools: [] }, () => Effect.void)
    messages.push({ _tag: "assistant", content: response.content })
    for (const part of response.content) {
      if (part._tag !== "tool_call") continue
      const args = Add.decode(part.arguments)
      if (args._tag === "Left") throw new Error(args.left)
      const result = yield* Add.handler(args.right, { runId: "", sessionId: "", agentId: "", callId: part.id, deps: undefined, emit: () => Effect.void })
      messages.push({ _tag: "tool", toolCallId: part.id, toolName: part.name, content: JSON.stringify(result), isError: false })
    }
  }
})
const time = async (label: string, f: () => Promise<unknown>) => {
  for (let i = 0; i < RUNS / 5; i++) await f()
  const t = performance.now(); for (let i = 0; i < RUNS; i++) await f()
  const us = (performance.now() - t) * 1000 / (RUNS * STEPS); console.log(label.padEnd(12), us.toFixed(2), "µs/step"); return us
}
const main = async () => {
  const managed = ManagedRuntime.make(AgentRuntime.layerInMemory({ agents: [{ id: "b", tools: [Add], maxSteps: STEPS + 1, model: Layer.succeed(LanguageModel.LanguageModel, model) }] }))
  const rt = await managed.runPromise(AgentRuntime.AgentRuntime)
  let s = 0
  const check = await managed.runPromise(rt.runDetailed({ agentId: "b", inputText: "go", sessionId: "x", budget: { maxDurationMs: 60000, maxToolCalls: 100 } }))
  if (check.usage.llmCalls !== STEPS || check.stopReason !== "completed") throw new Error(JSON.stringify(check))
  const b = await time("bare", () => Effect.runPromise(bare))
  if (process.env.ONLY !== "stream") { const r = await time("runDetailed", () => managed.runPromise(rt.runDetailed({ agentId: "b", inputText: "go", sessionId: `s${s++}`, budget: { maxDurationMs: 60000, maxToolCalls: 100 } }))); console.log("overhead", (r - b).toFixed(2), "ratio", (r / b).toFixed(1)) }
  const st = await time("runStream", () => managed.runPromise(Stream.runDrain(rt.runStream({ agentId: "b", inputText: "go", sessionId: `s${s++}`, budget: { maxDurationMs: 60000, maxToolCalls: 100 } }))))
  console.log("stream overhead", (st - b).toFixed(2))
  await managed.dispose()
}
main()
