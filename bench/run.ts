/**
 * Per-step overhead of the run loop: a run of STEPS model calls, each calling one tool, against a bare
 * loop that calls the same model and the same tool in the same process without the runtime. Reported as
 * microseconds per step and as a ratio (runtime / bare), both measured in this run.
 *
 *   npm run bench            (STEPS=50 RUNS=200 by default; set them in the environment to change)
 */
import { Effect, Layer, ManagedRuntime, Schema, Stream } from "effect"
import { LanguageModel } from "../src/llm/LanguageModel.js"
import * as MockModel from "../src/llm/MockModel.js"
import type { Message, ModelRequest, ModelResponse } from "../src/kernel/Transcript.js"
import * as AgentRuntime from "../src/runtime/AgentRuntime.js"
import * as Tool from "../src/tools/Tool.js"

const STEPS = Number(process.env["STEPS"] ?? 50)
const RUNS = Number(process.env["RUNS"] ?? 200)

const Add = Tool.make("add", {
  description: "Adds two numbers",
  parameters: Schema.Struct({ a: Schema.Number, b: Schema.Number }),
  handler: ({ a, b }) => Effect.succeed(a + b)
})

/** The mock, told to call `add` until the conversation holds STEPS - 1 tool results, then to answer. */
const benchModel = Effect.map(MockModel.make(), (mock) => {
  const rewrite = (request: ModelRequest): ModelRequest => {
    const results = request.messages.filter((m) => m._tag === "tool").length
    const input = results < STEPS - 1 ? `/tool add {"a": ${results}, "b": 1}` : "done"
    return { ...request, messages: [{ _tag: "user", content: input }] }
  }
  return LanguageModel.of({
    ...mock,
    generate: (request) => mock.generate(rewrite(request)),
    stream: (request) => mock.stream(rewrite(request))
  })
})

const bare = (model: LanguageModel["Type"]) =>
  Effect.gen(function*() {
    const messages: Array<Message> = [{ _tag: "user", content: "go" }]
    for (let step = 0; step < STEPS; step++) {
      let response: ModelResponse | undefined
      yield* Stream.runForEach(model.stream({ messages, tools: [Tool.spec(Add)] }), (e) =>
        Effect.sync(() => {
          if (e._tag === "Finished") response = e.response
        }))
      messages.push({ _tag: "assistant", content: response!.content })
      for (const part of response!.content) {
        if (part._tag !== "tool_call") continue
        const args = Add.decode(part.arguments)
        if (args._tag === "Left") throw new Error(args.left)
        const result = yield* Add.handler(args.right, { runId: "", sessionId: "", agentId: "", callId: part.id, deps: undefined, emit: () => Effect.void })
        messages.push({ _tag: "tool", toolCallId: part.id, toolName: part.name, content: JSON.stringify(result), isError: false })
      }
    }
    return messages.length
  })

const time = async (label: string, f: () => Promise<unknown>) => {
  for (let i = 0; i < Math.max(5, RUNS / 10); i++) await f() // warm-up
  const start = performance.now()
  for (let i = 0; i < RUNS; i++) await f()
  const ms = performance.now() - start
  const perStep = (ms * 1000) / (RUNS * STEPS)
  console.log(`${label.padEnd(10)} ${perStep.toFixed(2).padStart(9)} µs/step  (${RUNS} runs x ${STEPS} steps in ${ms.toFixed(0)} ms)`)
  return perStep
}

const main = async () => {
  const model = await Effect.runPromise(benchModel)
  const layer = AgentRuntime.layerInMemory({
    agents: [{ id: "bench", tools: [Add], maxSteps: STEPS + 1, model: Layer.succeed(LanguageModel, model) }]
  })
  const managed = ManagedRuntime.make(layer)
  const rt = await managed.runPromise(AgentRuntime.AgentRuntime)
  let session = 0
  const check = await managed.runPromise(rt.runDetailed({ agentId: "bench", inputText: "go", sessionId: `s${session++}` }))
  if (check.stopReason !== "completed" || check.usage.llmCalls !== STEPS || check.usage.toolCalls !== STEPS - 1) {
    throw new Error(`bench run is not what it should be: ${check.stopReason}, ${check.usage.llmCalls} calls`)
  }
  const bareUs = await time("bare loop", () => Effect.runPromise(bare(model)))
  const runtimeUs = await time("runtime", () => managed.runPromise(rt.runDetailed({ agentId: "bench", inputText: "go", sessionId: `s${session++}` })))
  console.log(`overhead: ${(runtimeUs - bareUs).toFixed(2)} µs/step; ratio runtime/bare = ${(runtimeUs / bareUs).toFixed(2)}`)
  await managed.dispose()
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
