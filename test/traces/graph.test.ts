/**
 * The trace of a run is the graph of what it did: parents as the agent runner draws them, sequence
 * without gaps, totals equal to the run's usage; on the in-memory store and on a real SQLite file.
 */
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Layer, Schema, Stream } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as EventBus from "../../src/events/EventBus.js"
import * as RunStreamChunk from "../../src/kernel/RunStreamChunk.js"
import { responseToolCalls } from "../../src/kernel/Transcript.js"
import { Pattern } from "../../src/patterns/Pattern.js"
import * as MockModel from "../../src/llm/MockModel.js"
import * as AgentRuntime from "../../src/runtime/AgentRuntime.js"
import * as InMemorySessionStore from "../../src/sessions/InMemorySessionStore.js"
import * as Skills from "../../src/skills/Skills.js"
import * as SqliteTraceStore from "../../src/traces/SqliteTraceStore.js"
import type { TraceStep } from "../../src/traces/TraceStore.js"
import { Add } from "../support/runtime.js"

const usage = { inputTokens: 100, outputTokens: 20 }
/** Nine answers calling tools (the fifth calls two at once), then the final answer: ten model calls. */
const script: ReadonlyArray<MockModel.MockStep> = [
  ...Array.from({ length: 9 }, (_, i): MockModel.MockStep => ({
    toolCalls: i === 4
      ? [{ name: "add", arguments: { a: i, b: 1 }, id: `c${i}a` }, { name: "add", arguments: { a: i, b: 2 }, id: `c${i}b` }]
      : [{ name: "add", arguments: { a: i, b: 1 }, id: `c${i}` }],
    usage
  })),
  { text: "done", usage }
]

const model = MockModel.layer({ script, pricing: { input: 3, output: 15 } })

const checkGraph = (steps: ReadonlyArray<TraceStep>) => {
  assert.deepStrictEqual(steps.map((s) => s.sequence), steps.map((_, i) => i))
  const llm = steps.filter((s) => s.type === "llm_call")
  const tools = steps.filter((s) => s.type === "tool_call")
  assert.strictEqual(llm.length, 10)
  assert.strictEqual(tools.length, 10)
  assert.deepStrictEqual(llm[0]!.parentIds, [])
  for (let i = 1; i < llm.length; i++) {
    // the next model call has every tool call of the answer before as its parents
    const before = tools.filter((t) => t.parentIds[0] === llm[i - 1]!.stepId).map((t) => t.stepId)
    assert.strictEqual(before.length, i - 1 === 4 ? 2 : 1)
    assert.deepStrictEqual(llm[i]!.parentIds, before)
  }
  for (const t of tools) assert.strictEqual(t.parentIds.length, 1)
  const conclusion = steps.at(-1)!
  assert.strictEqual(conclusion.type, "conclusion")
  assert.deepStrictEqual(conclusion.parentIds, [llm[9]!.stepId])
  assert.strictEqual(conclusion.data["output"], "done")
  const first = llm[0]!.data
  assert.strictEqual(first["system"], "be brief")
  assert.deepStrictEqual(first["messages"], [{ _tag: "user", content: "add things" }])
  assert.deepStrictEqual(first["toolCalls"], [{ id: "c0", name: "add", arguments: { a: 0, b: 1 } }])
  assert.strictEqual(first["tokens"], 120)
  const tool0 = tools[0]!.data
  assert.strictEqual(tool0["tool"], "add")
  assert.deepStrictEqual(tool0["arguments"], { a: 0, b: 1 })
  assert.strictEqual(tool0["result"], 1)
}

const runAndCheck = Effect.gen(function*() {
  const rt = yield* AgentRuntime.AgentRuntime
  const result = yield* rt.runDetailed({ agentId: "a", sessionId: "s", inputText: "add things" })
  assert.strictEqual(result.stopReason, "completed")
  assert.strictEqual(result.traceId, result.runId)
  const { steps, trace } = yield* rt.getTrace(result.traceId!)
  checkGraph(steps)
  assert.strictEqual(trace.mode, "run")
  assert.strictEqual(trace.status, "completed")
  assert.strictEqual(trace.task, "add things")
  assert.strictEqual(trace.totalTokens, result.usage.totalTokens)
  assert.strictEqual(trace.totalTokens, 1200)
  assert.strictEqual(trace.totalCostUsd, result.usage.costUsd)
  const costs = steps.filter((s) => s.type === "llm_call").reduce((sum, s) => sum + (s.data["costUsd"] as number), 0)
  assert.closeTo(costs, result.usage.costUsd!, 1e-12)
  assert.deepStrictEqual((yield* rt.listTraces({ agentId: "a" })).map((t) => t.traceId), [result.runId])
})

const agents = [{ id: "a", instructions: "be brief", tools: [Add], model, maxSteps: 20 }]

describe("trace graph", () => {
  it.scoped("a 10-step tool run, in memory", () => runAndCheck.pipe(Effect.provide(AgentRuntime.layerInMemory({ agents }))))

  it.scoped("a 10-step tool run, in a SQLite file", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "traces-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
      const services = Layer.mergeAll(
        InMemorySessionStore.layer,
        EventBus.layer(),
        Skills.layerNone,
        SqliteTraceStore.layer({ dbPath: path.join(dir, "t.db") })
      )
      yield* runAndCheck.pipe(Effect.provide(AgentRuntime.layer({ agents }).pipe(Layer.provide(services))))
    }))

  it.scoped("a custom pattern running an answer's tool calls in parallel is traced without knowing it", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      const result = yield* rt.runDetailed({ agentId: "p", inputText: "go" })
      assert.strictEqual(result.finalOutput, "after 2 calls")
      const { steps } = yield* rt.getTrace(result.runId)
      assert.deepStrictEqual(steps.map((s) => s.type), ["llm_call", "tool_call", "tool_call", "llm_call", "conclusion"])
      const [llm0, t1, t2, llm1] = steps
      assert.deepStrictEqual(t1!.parentIds, [llm0!.stepId])
      assert.deepStrictEqual(t2!.parentIds, [llm0!.stepId])
      assert.sameMembers([...llm1!.parentIds], [t1!.stepId, t2!.stepId])
    }).pipe(Effect.provide(AgentRuntime.layerInMemory({
      agents: [{
        id: "p",
        tools: [Add],
        model: MockModel.layer({
          script: [
            { toolCalls: [{ name: "add", arguments: { a: 1, b: 1 }, id: "x" }, { name: "add", arguments: { a: 2, b: 2 }, id: "y" }] },
            { text: "unused" }
          ]
        }),
        pattern: Layer.succeed(Pattern, {
          name: "parallel-once",
          execute: (run) =>
            Effect.gen(function*() {
              const first = yield* run.step()
              const outcomes = yield* Effect.forEach(responseToolCalls(first), run.callTool, { concurrency: "unbounded" })
              yield* run.step({ withTools: false })
              return `after ${outcomes.length} calls`
            })
        })
      }]
    }))))

  it.scoped("a traced run's stream: llm.finished carries the answer, and every chunk still decodes", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      const chunks = Chunk.toReadonlyArray(yield* Stream.runCollect(rt.runStream({ agentId: "a", inputText: "add things" })))
      const finished = chunks.filter((c) => c.kind === "llm.finished")
      assert.lengthOf(finished, 10)
      assert.deepStrictEqual(finished[9]!.payload.content, [{ _tag: "text", text: "done" }])
      for (const c of chunks) Schema.decodeUnknownSync(RunStreamChunk.RunStreamChunk)(RunStreamChunk.toJson(c))
      assert.strictEqual(RunStreamChunk.resultOf(chunks)?.traceId, chunks[0]!.runId)
    }).pipe(Effect.provide(AgentRuntime.layerInMemory({ agents }))))

  it.scoped("no trace store, no trace", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      const result = yield* rt.runDetailed({ agentId: "a", inputText: "add things" })
      assert.isUndefined(result.traceId)
      const missing = yield* Effect.flip(rt.getTrace(result.runId))
      assert.strictEqual(missing._tag, "TraceNotFound")
    }).pipe(Effect.provide(
      AgentRuntime.layer({ agents }).pipe(Layer.provide(Layer.mergeAll(InMemorySessionStore.layer, EventBus.layer(), Skills.layerNone)))
    )))
})
