import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Layer, Schema, TestClock } from "effect"
import * as EventBus from "../../src/events/EventBus.js"
import { LlmAuth, LlmConnection } from "../../src/kernel/Errors.js"
import type { AgentDefinition } from "../../src/runtime/Agent.js"
import * as AgentRuntime from "../../src/runtime/AgentRuntime.js"
import * as InMemorySessionStore from "../../src/sessions/InMemorySessionStore.js"
import { SessionStore } from "../../src/sessions/SessionStore.js"
import * as Skills from "../../src/skills/Skills.js"
import * as Tool from "../../src/tools/Tool.js"
import * as Planned from "../support/planned.js"
import { withEvents } from "../support/runtime.js"

const plan = [
  { name: "count", arguments: { n: 1 } },
  { name: "count", arguments: { n: 2 } },
  { name: "count", arguments: { n: 3 } }
]

/** A tool that counts its executions; `gate` (when given) blocks the execution of n = 3 until it opens. */
const counter = (options?: { readonly idempotent?: boolean; readonly gate?: Deferred.Deferred<void> }) => {
  const runs: Array<number> = []
  const tool = Tool.make("count", {
    description: "counts",
    parameters: Schema.Struct({ n: Schema.Number }),
    durableIdempotent: options?.idempotent ?? true,
    handler: ({ n }) =>
      Effect.gen(function*() {
        runs.push(n)
        if (n === 3 && options?.gate) yield* Deferred.await(options.gate)
        return { n }
      })
  })
  return { tool, runs }
}

/** Two runtimes (two "processes") over one store. */
const runtimeOn = (store: SessionStore["Type"], agents: ReadonlyArray<AgentDefinition>) =>
  AgentRuntime.layer({ agents }).pipe(
    Layer.provideMerge(Layer.mergeAll(Layer.succeed(SessionStore, store), EventBus.layer(), Skills.layerNone))
  )

const connection = new LlmConnection({ provider: "planned", message: "connection reset" })

describe("durable runs", () => {
  it.effect("a retryable failure mid-run resumes from the last checkpoint after a backoff, and completes", () =>
    Effect.gen(function*() {
      const store = yield* InMemorySessionStore.make
      const { tool, runs } = counter()
      const agents = [{
        id: "a",
        tools: [tool],
        retry: { maxAttempts: 1 },
        model: Planned.layer(plan, "done", (n) => (n === 2 ? connection : undefined))
      }]
      const [result, events] = yield* Effect.gen(function*() {
        const rt = yield* AgentRuntime.AgentRuntime
        const fiber = yield* Effect.fork(withEvents(rt.runDetailed({ agentId: "a", sessionId: "s", runId: "r", inputText: "go", durable: true })))
        yield* TestClock.adjust("499 millis")
        assert.isNull(fiber.unsafePoll())
        yield* TestClock.adjust("1 millis")
        return yield* Fiber.join(fiber)
      }).pipe(Effect.provide(runtimeOn(store, agents)))
      assert.strictEqual(result.stopReason, "completed")
      assert.strictEqual(result.finalOutput, "done")
      assert.deepStrictEqual(runs, [1, 2, 3]) // nothing executed twice
      assert.strictEqual(result.usage.toolCalls, 3)
      const names = events.map((e) => e.name)
      const attempted = events.find((e) => e.name === "run.resume_attempted")!
      assert.strictEqual(attempted.payload["checkpointId"], "r:step:4") // step 0 is the start; one per model answer and tool result
      assert.strictEqual(attempted.payload["errorTag"], "LlmConnection")
      assert.isTrue(names.indexOf("run.resume_succeeded") > names.indexOf("run.resume_attempted"))
      assert.isAbove(names.filter((n) => n === "run.checkpoint_saved").length, 3)
      // checkpoints are references into the journal, not copies of the transcript
      const checkpoints = yield* store.listCheckpoints("s")
      for (const c of checkpoints) assert.deepStrictEqual(Object.keys(c.state).sort(), ["runId", "seq", "step"])
      const messages = yield* store.loadMessages("s")
      assert.deepStrictEqual(messages.map((m) => m.message._tag), ["user", "assistant", "tool", "assistant", "tool", "assistant", "tool", "assistant"])
    }))

  it.effect("permanent errors stop a durable run at once", () =>
    Effect.gen(function*() {
      const store = yield* InMemorySessionStore.make
      const { tool } = counter()
      const [result, events] = yield* Effect.gen(function*() {
        const rt = yield* AgentRuntime.AgentRuntime
        return yield* withEvents(rt.runDetailed({ agentId: "a", sessionId: "s", inputText: "go", durable: true }))
      }).pipe(Effect.provide(runtimeOn(store, [{
        id: "a",
        tools: [tool],
        model: Planned.layer(plan, "done", (n) => (n === 1 ? new LlmAuth({ provider: "planned", message: "no" }) : undefined))
      }])))
      assert.strictEqual(result.stopReason, "failed")
      assert.strictEqual(result.error?.tag, "LlmAuth")
      assert.isFalse(events.some((e) => e.name.startsWith("run.resume")))
    }))

  it.effect("resume attempts are bounded by maxResumeAttempts, with a growing backoff", () =>
    Effect.gen(function*() {
      const store = yield* InMemorySessionStore.make
      const { tool } = counter()
      const [result, events] = yield* Effect.gen(function*() {
        const rt = yield* AgentRuntime.AgentRuntime
        const fiber = yield* Effect.fork(withEvents(rt.runDetailed({
          agentId: "a",
          sessionId: "s",
          inputText: "go",
          durable: true,
          budget: { maxResumeAttempts: 2 }
        })))
        yield* TestClock.adjust("500 millis") // first resume after 500 ms
        assert.isNull(fiber.unsafePoll())
        yield* TestClock.adjust("999 millis") // the second waits 1000 ms
        assert.isNull(fiber.unsafePoll())
        yield* TestClock.adjust("1 millis")
        return yield* Fiber.join(fiber)
      }).pipe(Effect.provide(runtimeOn(store, [{
        id: "a",
        tools: [tool],
        retry: { maxAttempts: 1 },
        model: Planned.layer(plan, "done", (n) => (n >= 1 ? connection : undefined))
      }])))
      assert.strictEqual(result.stopReason, "failed")
      assert.strictEqual(result.error?.tag, "LlmConnection")
      assert.strictEqual(events.filter((e) => e.name === "run.resume_attempted").length, 2)
      const exhausted = events.find((e) => e.name === "run.resume_exhausted")!
      assert.strictEqual(exhausted.payload["limit"], 2)
    }))

  it.effect("a new runtime resumes from a checkpoint: completed calls are replayed, the open idempotent one re-runs", () =>
    Effect.gen(function*() {
      const store = yield* InMemorySessionStore.make
      const gate = yield* Deferred.make<void>()
      const first = counter({ gate })
      // the first "process": runs until the third tool call hangs, then dies (its runtime is closed)
      yield* Effect.gen(function*() {
        const rt = yield* AgentRuntime.AgentRuntime
        yield* Effect.fork(rt.runDetailed({ agentId: "a", sessionId: "s", runId: "r1", inputText: "go", durable: true }))
        while (first.runs.length < 3) yield* Effect.yieldNow()
      }).pipe(Effect.provide(runtimeOn(store, [{ id: "a", tools: [first.tool], model: Planned.layer(plan, "done") }])))
      assert.deepStrictEqual(first.runs, [1, 2, 3])
      const checkpoints = (yield* store.listCheckpoints("s")).map((c) => c.checkpointId)
      assert.deepStrictEqual(checkpoints, ["r1:step:0", "r1:step:1", "r1:step:2", "r1:step:3", "r1:step:4", "r1:step:5"])

      // the second "process" resumes from the last checkpoint
      const second = counter()
      const result = yield* Effect.gen(function*() {
        const rt = yield* AgentRuntime.AgentRuntime
        return yield* rt.runDetailed({ agentId: "a", sessionId: "s", inputText: "", resumeFromCheckpoint: "r1:step:5" })
      }).pipe(Effect.provide(runtimeOn(store, [{ id: "a", tools: [second.tool], model: Planned.layer(plan, "done") }])))
      assert.strictEqual(result.stopReason, "completed")
      assert.strictEqual(result.runId, "r1")
      assert.strictEqual(result.finalOutput, "done")
      assert.deepStrictEqual(second.runs, [3]) // only the call that never finished
      assert.strictEqual(result.usage.toolCalls, 3)
      assert.strictEqual(result.usage.llmCalls, 4)
      const messages = yield* store.loadMessages("s")
      assert.strictEqual(messages[0]!.message._tag, "user")
      assert.strictEqual((messages[0]!.message as { content: string }).content, "go")
      assert.strictEqual(messages.length, 8)
      const state = yield* store.getState("s")
      assert.deepStrictEqual((state["memory_buffer"] as Array<{ input: string }>).map((t) => t.input), ["go"])
    }))

  /** A store holding run r1 of session s, interrupted while its third (non-idempotent) call ran. */
  const interruptedInThirdCall = Effect.gen(function*() {
    const store = yield* InMemorySessionStore.make
    const gate = yield* Deferred.make<void>()
    const first = counter({ idempotent: false, gate })
    yield* Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      yield* Effect.fork(rt.runDetailed({ agentId: "a", sessionId: "s", runId: "r1", inputText: "go", durable: true }))
      while (first.runs.length < 3) yield* Effect.yieldNow()
    }).pipe(Effect.provide(runtimeOn(store, [{ id: "a", tools: [first.tool], model: Planned.layer(plan, "done") }])))
    return store
  })

  const resume = (store: SessionStore["Type"], contextHints: Record<string, unknown>) => {
    const second = counter({ idempotent: false })
    return Effect.flatMap(AgentRuntime.AgentRuntime, (rt) =>
      rt.runDetailed({ agentId: "a", sessionId: "s", inputText: "", resumeFromCheckpoint: "r1:step:5", contextHints })).pipe(
        Effect.map((result) => ({ result, runs: second.runs })),
        Effect.provide(runtimeOn(store, [{ id: "a", tools: [second.tool], model: Planned.layer(plan, "done") }]))
      )
  }

  it.effect("an open call of a tool that is not idempotent stops the resume until a human decides", () =>
    Effect.gen(function*() {
      const store = yield* interruptedInThirdCall
      const stopped = yield* resume(store, {})
      assert.strictEqual(stopped.result.stopReason, "failed")
      assert.strictEqual(stopped.result.error?.tag, "ToolOutcomeUnknown")
      assert.match(stopped.result.error!.message, /Tool 'count' \(call call_2\) started/)
      assert.match(stopped.result.error!.hint!, /--rerun-call call_2/)
      assert.deepStrictEqual(stopped.runs, [])
      // the human knows the side effect happened: the result it had is assumed, the tool does not run
      const assumed = yield* resume(store, { durable: { assume: { call_2: { n: 3 } } } })
      assert.strictEqual(assumed.result.stopReason, "completed")
      assert.deepStrictEqual(assumed.runs, [])
      assert.strictEqual(assumed.result.usage.toolCalls, 3)
    }))

  it.effect("a human may also have the open call run again", () =>
    Effect.gen(function*() {
      const store = yield* interruptedInThirdCall
      const rerun = yield* resume(store, { durable: { rerun: ["call_2"] } })
      assert.strictEqual(rerun.result.stopReason, "completed")
      assert.deepStrictEqual(rerun.runs, [3])
      // resuming a finished run again replays everything and runs nothing
      const again = yield* resume(store, { durable: { rerun: ["call_2"] } })
      assert.strictEqual(again.result.stopReason, "completed")
      assert.deepStrictEqual(again.runs, [])
    }))

  it.effect("an unknown checkpoint fails with the available ones in the hint; a malformed id is refused", () =>
    Effect.gen(function*() {
      const store = yield* InMemorySessionStore.make
      const { tool } = counter()
      yield* Effect.gen(function*() {
        const rt = yield* AgentRuntime.AgentRuntime
        yield* rt.runDetailed({ agentId: "a", sessionId: "s", runId: "r1", inputText: "go", durable: true })
        const missing = yield* rt.runDetailed({ agentId: "a", sessionId: "s", inputText: "", resumeFromCheckpoint: "r1:step:99" })
        assert.strictEqual(missing.stopReason, "failed")
        assert.strictEqual(missing.error?.tag, "ConfigError")
        assert.match(missing.error!.message, /no checkpoint 'r1:step:99' in session 's'/)
        assert.match(missing.error!.hint!, /r1:step:0/)
        const malformed = yield* Effect.flip(rt.runDetailed({ agentId: "a", inputText: "", resumeFromCheckpoint: "nope" }))
        assert.match(malformed.message, /not a checkpoint id/)
        // a finished run's id cannot be reused for a new run: its journal would be mixed up
        const reused = yield* rt.runDetailed({ agentId: "a", sessionId: "s", runId: "r1", inputText: "again" })
        assert.strictEqual(reused.stopReason, "failed")
        assert.match(reused.error!.message, /run 'r1' already ran in session 's'/)
        assert.strictEqual((yield* store.loadJournal("s", "r1")).filter((e) => e.kind === "run_started").length, 1)
      }).pipe(Effect.provide(runtimeOn(store, [{ id: "a", tools: [tool], model: Planned.layer(plan, "done") }])))
    }))

  it.effect("every run is journaled once per step, durable or not", () =>
    Effect.gen(function*() {
      const store = yield* InMemorySessionStore.make
      const { tool } = counter()
      yield* Effect.gen(function*() {
        const rt = yield* AgentRuntime.AgentRuntime
        yield* rt.runDetailed({ agentId: "a", sessionId: "s", runId: "plain", inputText: "go" })
      }).pipe(Effect.provide(runtimeOn(store, [{ id: "a", tools: [tool], model: Planned.layer(plan, "done") }])))
      const journal = yield* store.loadJournal("s", "plain")
      assert.deepStrictEqual(journal.map((e) => e.kind), [
        "run_started",
        "model", "tool_started", "tool",
        "model", "tool_started", "tool",
        "model", "tool_started", "tool",
        "model",
        "run_finished"
      ])
      assert.deepStrictEqual(journal.map((e) => e.seq), journal.map((_, i) => i))
      assert.deepStrictEqual(yield* store.listCheckpoints("s"), []) // only durable runs checkpoint
    }))
})
