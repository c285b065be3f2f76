/**
 * Parallel tool calls: the calls of one model answer run as a batch. Concurrency-safe tools run at the same
 * time (bounded by maxConcurrentTools), any other tool alone, and safe calls touching one path in order;
 * results go back in the model's order. Time is the TestClock's: "at the same time" means the run's
 * duration equals the longest call, not the sum.
 */
import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Fiber, Schema, TestClock } from "effect"
import { AgentConfig } from "../../src/config/AppConfig.js"
import { agentDefinition } from "../../src/config/Plugins.js"
import type { RuntimeEvent } from "../../src/kernel/EventTaxonomy.js"
import type { MockStep } from "../../src/llm/MockModel.js"
import type { AgentDefinition } from "../../src/runtime/Agent.js"
import { AgentRuntime } from "../../src/runtime/AgentRuntime.js"
import { SessionStore } from "../../src/sessions/SessionStore.js"
import * as Tool from "../../src/tools/Tool.js"
import { runtimeLayer, scripted, withEvents } from "../support/runtime.js"

interface Span {
  readonly tool: string
  readonly label: string
  readonly start: number
  end?: number
  interrupted?: boolean
}

/** Tools that sleep `ms` on the TestClock and record when they ran. */
const timedTools = (spans: Array<Span>) => {
  const handler = (tool: string) => ({ label, ms }: { label: string; ms: number }) =>
    Effect.gen(function*() {
      const span: Span = { tool, label, start: yield* Clock.currentTimeMillis }
      spans.push(span)
      yield* Effect.sleep(ms).pipe(Effect.onInterrupt(() => Effect.sync(() => (span.interrupted = true))))
      span.end = yield* Clock.currentTimeMillis
      return `${label} done`
    })
  const parameters = Schema.Struct({ label: Schema.String, ms: Schema.Number, path: Schema.optional(Schema.String) })
  return {
    safe: Tool.make("safe_wait", { description: "waits", parameters, concurrencySafe: true, handler: handler("safe_wait") }),
    unsafe: Tool.make("unsafe_wait", { description: "waits", parameters, handler: handler("unsafe_wait") }),
    writer: Tool.make("write_path", {
      description: "writes a path",
      parameters,
      concurrencySafe: true,
      handler: handler("write_path")
    })
  }
}

const call = (name: string, label: string, ms: number, extra?: Record<string, unknown>) => ({
  name,
  arguments: { label, ms, ...extra },
  id: `c_${label}`
})

const agentWith = (spans: Array<Span>, script: ReadonlyArray<MockStep>, extra?: Partial<AgentDefinition>): AgentDefinition => {
  const t = timedTools(spans)
  return { id: "a", model: scripted(script), tools: [t.safe, t.unsafe, t.writer], ...extra }
}

/** Forks a run, moves the TestClock until it ends; its result, its events and its duration on that clock. */
const runOnTestClock = (input: { readonly maxToolCalls?: number }) =>
  Effect.map(withEvents(runToEnd(input)), ([result, events]) => {
    const finished = events.find((e) => e.name === "run.finished")
    return { ...result, events, durationMs: (finished?.payload as { durationMs: number } | undefined)?.durationMs }
  })

const runToEnd = (input: { readonly maxToolCalls?: number }) =>
  Effect.gen(function*() {
    const rt = yield* AgentRuntime
    const fiber = yield* Effect.fork(
      rt.runDetailed({ agentId: "a", sessionId: "s", inputText: "go", ...(input.maxToolCalls ? { budget: { maxToolCalls: input.maxToolCalls } } : {}) })
    )
    for (let i = 0; i < 100; i++) {
      yield* TestClock.adjust(10)
      const done = yield* Fiber.poll(fiber)
      if (done._tag === "Some") break
    }
    return yield* Fiber.join(fiber)
  })

/** The tool results of session `s`, in the order the conversation holds them. */
const toolMessages = Effect.map(
  Effect.flatMap(SessionStore, (store) => store.loadMessages("s")),
  (messages) => messages.flatMap((m) => (m.message._tag === "tool" ? [m.message] : []))
)

describe("parallel tool calls", () => {
  it.effect("ten safe calls of one answer run at the same time: the run takes as long as the longest", () => {
    const spans: Array<Span> = []
    const calls = Array.from({ length: 10 }, (_, i) => call("safe_wait", `s${i}`, 100 * (10 - i)))
    return Effect.gen(function*() {
      const { events, ...result } = yield* runOnTestClock({})
      assert.strictEqual(result.stopReason, "completed")
      assert.strictEqual(spans.length, 10)
      assert.deepStrictEqual(spans.map((s) => s.start), Array(10).fill(0))
      assert.strictEqual(result.durationMs, 1000, "the longest call, not the sum (5500)")
      // the results go back in the model's order, though the last call ended first
      const tools = yield* toolMessages
      assert.deepStrictEqual(tools.map((m) => m.toolCallId), calls.map((c) => c.id))
      const finished = events.filter((e): e is Extract<RuntimeEvent, { name: "tool.finished" }> => e.name === "tool.finished")
      assert.deepStrictEqual(finished.map((e) => e.payload.callId), calls.map((c) => c.id))
      const started = events.find((e) => e.name === "tool.batch.started")
      assert.deepStrictEqual(started?.payload, { batchId: "batch:c_s0", callIds: calls.map((c) => c.id), concurrent: 10 })
      const ended = events.find((e) => e.name === "tool.batch.finished")
      assert.deepStrictEqual(ended?.payload, { batchId: "batch:c_s0", succeeded: 10, failed: 0 })
    }).pipe(Effect.provide(runtimeLayer([agentWith(spans, [{ toolCalls: calls }, { text: "ok" }])])))
  })

  it.effect("maxConcurrentTools bounds how many run at once", () => {
    const spans: Array<Span> = []
    const calls = Array.from({ length: 5 }, (_, i) => call("safe_wait", `s${i}`, 100))
    return Effect.gen(function*() {
      const result = yield* runOnTestClock({})
      assert.strictEqual(result.durationMs, 300)
      assert.deepStrictEqual(spans.map((s) => s.start), [0, 0, 100, 100, 200])
    }).pipe(Effect.provide(runtimeLayer([agentWith(spans, [{ toolCalls: calls }, { text: "ok" }], { maxConcurrentTools: 2 })])))
  })

  it.effect("a tool that is not concurrency-safe runs alone, in the model's order", () => {
    const spans: Array<Span> = []
    const calls = [
      call("safe_wait", "a", 100),
      call("safe_wait", "b", 50),
      call("unsafe_wait", "u", 100),
      call("safe_wait", "c", 100),
      call("safe_wait", "d", 100)
    ]
    return Effect.gen(function*() {
      const result = yield* runOnTestClock({})
      assert.deepStrictEqual(spans.map((s) => [s.label, s.start, s.end]), [
        ["a", 0, 100],
        ["b", 0, 50],
        ["u", 100, 200],
        ["c", 200, 300],
        ["d", 200, 300]
      ])
      assert.strictEqual(result.durationMs, 300)
    }).pipe(Effect.provide(runtimeLayer([agentWith(spans, [{ toolCalls: calls }, { text: "ok" }])])))
  })

  it.effect("only unsafe calls: one after another, as before, with no batch events", () => {
    const spans: Array<Span> = []
    const calls = [call("unsafe_wait", "u1", 100), call("unsafe_wait", "u2", 100)]
    return Effect.gen(function*() {
      const { events, ...result } = yield* runOnTestClock({})
      assert.deepStrictEqual(spans.map((s) => s.start), [0, 100])
      assert.strictEqual(result.durationMs, 200)
      assert.isFalse(events.some((e) => e.name === "tool.batch.started"))
    }).pipe(Effect.provide(runtimeLayer([agentWith(spans, [{ toolCalls: calls }, { text: "ok" }])])))
  })

  it.effect("two writers of one path run in order; writers of other paths run beside them", () => {
    const spans: Array<Span> = []
    const calls = [
      call("write_path", "w1", 100, { path: "notes/a.txt" }),
      call("write_path", "w2", 100, { path: "notes/b.txt" }),
      call("write_path", "w3", 100, { path: "./notes/x/../a.txt" }),
      call("safe_wait", "s", 100)
    ]
    return Effect.gen(function*() {
      const result = yield* runOnTestClock({})
      assert.deepStrictEqual(spans.map((s) => [s.label, s.start]), [["w1", 0], ["w2", 0], ["s", 0], ["w3", 100]])
      assert.strictEqual(result.durationMs, 200)
      assert.deepStrictEqual((yield* toolMessages).map((m) => m.toolCallId), calls.map((c) => c.id))
    }).pipe(Effect.provide(runtimeLayer([agentWith(spans, [{ toolCalls: calls }, { text: "ok" }])])))
  })

  it.effect("a folder and a path in it conflict: the later call waits", () => {
    const spans: Array<Span> = []
    const calls = [
      call("write_path", "w", 100, { path: "data/a/x.txt" }),
      call("write_path", "del", 100, { path: "./data/a" }),
      call("write_path", "other", 100, { path: "data/ab.txt" }),
      call("write_path", "all", 100, { path: "." })
    ]
    return Effect.gen(function*() {
      const result = yield* runOnTestClock({})
      // 'data/ab.txt' is not in 'data/a'; '.' holds every path
      assert.deepStrictEqual(spans.map((s) => [s.label, s.start]), [["w", 0], ["other", 0], ["del", 100], ["all", 200]])
      assert.strictEqual(result.durationMs, 300)
    }).pipe(Effect.provide(runtimeLayer([agentWith(spans, [{ toolCalls: calls }, { text: "ok" }])])))
  })

  it("conflict keys: equal keys, and path keys of which one holds the other", () => {
    assert.isTrue(Tool.keysConflict("account:x", "account:x"))
    assert.isFalse(Tool.keysConflict("account:x", "account:y"))
    assert.isTrue(Tool.keysConflict(Tool.pathKey("a/b/../c.txt"), Tool.pathKey("./a/c.txt")))
    assert.isTrue(Tool.keysConflict(Tool.pathKey("a"), Tool.pathKey("a/c.txt")))
    assert.isTrue(Tool.keysConflict(Tool.pathKey("a/c.txt"), Tool.pathKey("a/")))
    assert.isFalse(Tool.keysConflict(Tool.pathKey("a"), Tool.pathKey("ab")))
    assert.isTrue(Tool.keysConflict(Tool.pathKey("."), Tool.pathKey("z/y")))
    assert.isFalse(Tool.keysConflict("path-ish:a", Tool.pathKey("a")))
  })

  it.effect("a tool's own conflict keys order the calls that share one", () => {
    const order: Array<string> = []
    const Account = Tool.make("debit", {
      description: "debits an account",
      parameters: Schema.Struct({ account: Schema.String, ms: Schema.Number }),
      concurrencySafe: true,
      conflictKeys: ({ account }) => [`account:${account}`],
      handler: ({ account, ms }) =>
        Effect.zipRight(
          Effect.sync(() => order.push(`start ${account}`)),
          Effect.as(Effect.sleep(ms), account)
        )
    })
    const calls = [
      { name: "debit", arguments: { account: "x", ms: 100 } },
      { name: "debit", arguments: { account: "y", ms: 10 } },
      { name: "debit", arguments: { account: "x", ms: 10 } }
    ]
    return Effect.gen(function*() {
      const result = yield* runOnTestClock({})
      assert.deepStrictEqual(order, ["start x", "start y", "start x"])
      assert.strictEqual(result.durationMs, 110)
    }).pipe(Effect.provide(runtimeLayer([{ id: "a", model: scripted([{ toolCalls: calls }, { text: "ok" }]), tools: [Account] }])))
  })

  it.effect("a failing call goes back to the model as its error; the others of the batch run to their end", () => {
    const spans: Array<Span> = []
    const Fails = Tool.make("fails", {
      description: "fails",
      parameters: Schema.Struct({}),
      concurrencySafe: true,
      handler: () => Effect.fail(new Error("no luck"))
    })
    const calls = [call("safe_wait", "a", 100), { name: "fails", arguments: {}, id: "c_f" }, call("safe_wait", "b", 100)]
    return Effect.gen(function*() {
      const { events, ...result } = yield* runOnTestClock({})
      assert.strictEqual(result.stopReason, "completed")
      assert.deepStrictEqual(spans.map((s) => s.end), [100, 100])
      const ended = events.find((e) => e.name === "tool.batch.finished")
      assert.deepStrictEqual(ended?.payload, { batchId: "batch:c_a", succeeded: 2, failed: 1 })
      assert.match((yield* toolMessages)[1]!.content, /no luck/)
    }).pipe(Effect.provide(runtimeLayer([{
      ...agentWith(spans, [{ toolCalls: calls }, { text: "ok" }]),
      tools: [...timedToolsList(spans), Fails]
    }])))
  })

  it.effect("a batch beyond the tool call limit runs the calls within it, then stops the run", () => {
    const spans: Array<Span> = []
    const calls = Array.from({ length: 5 }, (_, i) => call("safe_wait", `s${i}`, 100))
    return Effect.gen(function*() {
      const result = yield* runOnTestClock({ maxToolCalls: 3 })
      assert.strictEqual(result.stopReason, "budget_exhausted")
      assert.deepStrictEqual(spans.map((s) => [s.label, s.end]), [["s0", 100], ["s1", 100], ["s2", 100]])
      assert.strictEqual(result.usage.toolCalls, 3)
    }).pipe(Effect.provide(runtimeLayer([agentWith(spans, [{ toolCalls: calls }, { text: "ok" }])])))
  })

  it.effect("cancelling the run interrupts every call of the batch in flight", () => {
    const spans: Array<Span> = []
    const calls = Array.from({ length: 4 }, (_, i) => call("safe_wait", `s${i}`, 10_000))
    return Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const fiber = yield* Effect.fork(rt.runDetailed({ agentId: "a", sessionId: "s", runId: "r1", inputText: "go" }))
      for (let i = 0; i < 100 && spans.length < 4; i++) yield* TestClock.adjust(1)
      assert.strictEqual(spans.length, 4)
      assert.isTrue(yield* rt.cancel("r1"))
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.stopReason, "cancelled")
      assert.deepStrictEqual(spans.map((s) => s.interrupted), [true, true, true, true])
    }).pipe(Effect.provide(runtimeLayer([agentWith(spans, [{ toolCalls: calls }, { text: "ok" }])])))
  })

  it.effect("concurrency_safe of an agent.json tool entry overrides the tool's own setting", () =>
    Effect.gen(function*() {
      const config = Schema.decodeUnknownSync(AgentConfig)({
        id: "a",
        tools: [{ id: "calc", type: "calc", concurrency_safe: false }, { id: "json", type: "json_parse" }],
        runtime: { max_concurrent_tools: 3 }
      })
      const definition = yield* agentDefinition(config, 0, process.cwd())
      assert.deepStrictEqual(definition.tools!.map((t) => [t.name, t.concurrencySafe]), [["calc", false], ["json", true]])
      assert.strictEqual(definition.maxConcurrentTools, 3)
    }))
})

const timedToolsList = (spans: Array<Span>) => {
  const t = timedTools(spans)
  return [t.safe, t.unsafe, t.writer]
}
