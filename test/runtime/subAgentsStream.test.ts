/**
 * Child runs in the parent's stream: one `runStream` shows every chunk of the tree, each run's chunks
 * gap-free with their own sequence, the children's marked with `parentRunId`, the parent's `run.finished`
 * last. Budgets, cancellation and cycles seen through that stream.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Schema, Stream, TestClock } from "effect"
import * as Chunks from "../../src/kernel/RunStreamChunk.js"
import type { RunStreamChunk } from "../../src/kernel/RunStreamChunk.js"
import { AgentRuntime } from "../../src/runtime/AgentRuntime.js"
import { SessionStore } from "../../src/sessions/SessionStore.js"
import * as SubAgent from "../../src/tools/SubAgent.js"
import { collect, runtimeLayer, scripted } from "../support/runtime.js"

const ask = (tool: string, input: string) => ({ toolCalls: [{ name: tool, arguments: { input } }] })

/** The chunks of each run, in stream order. */
const byRun = (chunks: ReadonlyArray<RunStreamChunk>) => {
  const runs = new Map<string, Array<RunStreamChunk>>()
  for (const c of chunks) runs.set(c.runId, [...(runs.get(c.runId) ?? []), c])
  return runs
}

/** Each run's chunks: sequence 0.. without gaps, run.started first and run.finished last. */
const assertGapFree = (chunks: ReadonlyArray<RunStreamChunk>) => {
  for (const [runId, own] of byRun(chunks)) {
    assert.deepStrictEqual(own.map((c) => c.sequence), own.map((_, i) => i), `sequence of ${runId}`)
    assert.strictEqual(own[0]!.kind, "run.started", `first chunk of ${runId}`)
    assert.strictEqual(own[own.length - 1]!.kind, "run.finished", `last chunk of ${runId}`)
  }
}

const team = [
  {
    id: "lead",
    model: scripted([
      { toolCalls: [{ name: "researcher", arguments: { input: "find X" } }, { name: "writer", arguments: { input: "write on X" } }] },
      { text: "done: X" }
    ]),
    tools: [SubAgent.make("researcher", { agent: "researcher" }), SubAgent.make("writer", { agent: "writer" })]
  },
  { id: "researcher", model: scripted([{ text: "X is 42" }]) },
  { id: "writer", model: scripted([{ text: "A text on X" }]) }
]

describe("child runs in the parent's stream", () => {
  it.effect("one runStream of a parent with two children shows every chunk of the three runs, gap-free per run", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const chunks = yield* collect(rt.runStream({ agentId: "lead", sessionId: "s", runId: "p", inputText: "go" }))
      const runs = byRun(chunks)
      assert.deepStrictEqual([...runs.keys()].sort(), ["p", "p/call_0_0", "p/call_0_1"])
      assertGapFree(chunks)
      // the parent's run.finished ends the stream, with the tree's usage
      const last = chunks[chunks.length - 1]!
      assert.strictEqual(last.runId, "p")
      assert.strictEqual(last.kind, "run.finished")
      assert.strictEqual(Chunks.resultOf(chunks)?.finalOutput, "done: X")
      assert.strictEqual(Chunks.resultOf(chunks)?.usage.llmCalls, 4)
      // the children's chunks say whose they are; the parent's do not
      for (const c of chunks) assert.strictEqual(c.parentRunId, c.runId === "p" ? undefined : "p")
      // each child's answer streamed in the tree, and both children finished before the parent's next step
      const text = (runId: string) => chunks.map((c) => (c.kind === "llm.delta" && c.runId === runId ? c.payload.text : "")).join("")
      assert.strictEqual(text("p/call_0_0"), "X is 42")
      assert.strictEqual(text("p/call_0_1"), "A text on X")
      const childEnds = chunks.flatMap((c, i) => (c.kind === "run.finished" && c.runId !== "p" ? [i] : []))
      const parentToolEnds = chunks.flatMap((c, i) => (c.kind === "tool.finished" && c.runId === "p" ? [i] : []))
      assert.strictEqual(childEnds.length, 2)
      assert.isTrue(Math.max(...childEnds) < Math.max(...parentToolEnds))
      // every chunk, a child's too, is valid on the wire (parentRunId in the envelope)
      const decoded = chunks.map((c) => Schema.decodeUnknownSync(Chunks.RunStreamChunk)(Chunks.toJson(c)))
      assert.strictEqual(decoded.filter((c) => c.parentRunId === "p").length, chunks.length - runs.get("p")!.length)
    }).pipe(Effect.provide(runtimeLayer(team))))

  it.effect("runDetailed of the same parent streams nothing and pays no forwarding: the children's chunks need a stream", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const result = yield* rt.runDetailed({ agentId: "lead", sessionId: "s", runId: "p", inputText: "go" })
      assert.strictEqual(result.finalOutput, "done: X")
      // a child streamed by itself is a stream of its own run: no parentRunId on its chunks
      const alone = yield* collect(rt.runStream({ agentId: "researcher", sessionId: "t", runId: "c", parentRunId: "p", inputText: "x" }))
      assert.isTrue(alone.every((c) => c.parentRunId === undefined))
      assert.strictEqual(alone[alone.length - 1]!.kind, "run.finished")
    }).pipe(Effect.provide(runtimeLayer(team))))

  it.effect("a parent whose budget is 5 steps cannot let its child spend 50: stop reason on the parent, usage summed", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const chunks = yield* collect(rt.runStream({ agentId: "lead", sessionId: "s", runId: "p", inputText: "go", budget: { maxSteps: 5 } }))
      assertGapFree(chunks)
      const finished = chunks.filter((c) => c.kind === "run.finished").map((c) => [c.runId, c.result.stopReason, c.result.usage.llmCalls])
      assert.deepStrictEqual(finished, [["p/call_0_0", "max_steps", 4], ["p", "max_steps", 5]])
    }).pipe(Effect.provide(runtimeLayer([
      {
        id: "lead",
        model: scripted([ask("worker", "work"), { text: "never reached" }]),
        tools: [SubAgent.make("worker", { agent: "worker", budget: { maxSteps: 50 } })]
      },
      { id: "worker", model: scripted([{ toolCalls: [{ name: "noop", arguments: {} }] }]), tools: [SubAgent.make("noop", { agent: "nobody" })] }
    ]))))

  it.effect("a delegation cycle (a -> b -> a) shows in the stream as b's tool error naming the cycle", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const chunks = yield* collect(rt.runStream({ agentId: "a", sessionId: "s", runId: "r", inputText: "go" }))
      assertGapFree(chunks)
      const refused = chunks.find((c) => c.kind === "tool.finished" && c.runId === "r/call_0_0")
      assert.match(refused?.kind === "tool.finished" ? String(refused.payload.error) : "", /delegation cycle: a -> b -> a/)
      assert.strictEqual(Chunks.resultOf(chunks)?.finalOutput, "a done")
    }).pipe(Effect.provide(runtimeLayer([
      { id: "a", model: scripted([ask("b", "hi b"), { text: "a done" }]), tools: [SubAgent.make("b", { agent: "b" })] },
      { id: "b", model: scripted([ask("a", "hi a"), { text: "b done" }]), tools: [SubAgent.make("a", { agent: "a" })] }
    ]))))

  it.effect("leaving the parent's stream mid-child cancels both; no run, turn or lease is left", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const store = yield* SessionStore
      const fiber = yield* Effect.fork(
        collect(rt.runStream({ agentId: "lead", sessionId: "s", runId: "p", inputText: "go" }).pipe(
          // the consumer leaves once the child has started
          Stream.takeUntil((c) => c.kind === "run.started" && c.runId === "p/call_0_0")
        ))
      )
      for (let i = 0; i < 50; i++) yield* TestClock.adjust(1)
      const seen = yield* Fiber.join(fiber)
      assert.strictEqual(seen[seen.length - 1]!.runId, "p/call_0_0")
      // neither run is active any more (cancel finds nothing), the sessions' lanes are empty, the leases free
      for (let i = 0; i < 5; i++) yield* Effect.yieldNow()
      assert.isFalse(yield* rt.cancel("p"))
      assert.isFalse(yield* rt.cancel("p/call_0_0"))
      yield* rt.releaseSession("s")
      yield* rt.releaseSession("s/call_0_0")
      assert.strictEqual(yield* rt.sessionCount, 0)
      yield* Effect.scoped(Effect.zipRight(store.acquire("s"), store.acquire("s/call_0_0")))
      // the child was cancelled, not left running: its session holds its cancelled turn
      const child = yield* store.loadMessages("s/call_0_0")
      assert.isFalse(child.some((m) => m.message._tag === "assistant"))
    }).pipe(Effect.provide(runtimeLayer([
      { id: "lead", model: scripted([ask("slow", "take your time"), { text: "done" }]), tools: [SubAgent.make("slow", { agent: "slow" })] },
      { id: "slow", model: scripted([{ delayMs: 60_000, text: "late" }]) }
    ]))))
})
