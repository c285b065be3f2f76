import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Fiber, Layer, Option, Schema, TestClock } from "effect"
import * as EventBus from "../../src/events/EventBus.js"
import * as MockModel from "../../src/llm/MockModel.js"
import type { AdvanceApprovals } from "../../src/kernel/Approval.js"
import type { AgentDefinition } from "../../src/runtime/Agent.js"
import * as AgentRuntime from "../../src/runtime/AgentRuntime.js"
import * as InMemorySessionStore from "../../src/sessions/InMemorySessionStore.js"
import { SessionStore } from "../../src/sessions/SessionStore.js"
import * as Skills from "../../src/skills/Skills.js"
import * as Tool from "../../src/tools/Tool.js"
import * as Planned from "../support/planned.js"
import { withEvents } from "../support/runtime.js"

/** A tool that records the arguments of each execution. */
const writer = (options: Tool.ApprovalOptions = { approvalMode: "always", editableParams: ["path"] }) => {
  const runs: Array<{ path: string; size: number }> = []
  const tool = Tool.make("write", {
    description: "writes",
    parameters: Schema.Struct({ path: Schema.String, size: Schema.Number }),
    ...options,
    handler: (args) => Effect.sync(() => (runs.push(args), `wrote ${args.path}`))
  })
  return { tool, runs }
}

const plan = [{ name: "write", arguments: { path: "a.txt", size: 1 } }]

/** Runtimes over one store: each is another "process". */
const runtimeOn = (store: SessionStore["Type"], agents: ReadonlyArray<AgentDefinition>) =>
  AgentRuntime.layer({ agents }).pipe(
    Layer.provideMerge(Layer.mergeAll(Layer.succeed(SessionStore, store), EventBus.layer(), Skills.layerNone))
  )

const agentsWith = (tool: Tool.Tool, extra: Partial<AgentDefinition> = {}, p = plan): ReadonlyArray<AgentDefinition> => [
  { id: "a", tools: [tool], model: Planned.layer(p, "done"), ...extra }
]

/** Lets the forked run go on until one of its calls waits for a decision. */
const untilPending = (rt: AgentRuntime.Service, n = 1) =>
  Effect.gen(function*() {
    for (let i = 0; i < 10_000; i++) {
      if ((yield* rt.pendingApprovals("s")).filter((p) => p.decision === undefined).length >= n) return
      yield* Effect.yieldNow()
    }
    assert.fail("no call became pending")
  })

const request = (extra: Record<string, unknown> = {}) => ({ agentId: "a", sessionId: "s", runId: "r", inputText: "go", ...extra })

describe("tool approval", () => {
  it.effect("approval_mode never (or unset) runs the call without asking", () =>
    Effect.gen(function*() {
      const store = yield* InMemorySessionStore.make
      const { runs, tool } = writer({ approvalMode: "never" })
      const [result, events] = yield* Effect.flatMap(AgentRuntime.AgentRuntime, (rt) => withEvents(rt.runDetailed(request())))
        .pipe(Effect.provide(runtimeOn(store, agentsWith(tool))))
      assert.strictEqual(result.stopReason, "completed")
      assert.strictEqual(runs.length, 1)
      assert.isFalse(events.some((e) => e.name.startsWith("tool.approval")))
    }))

  it.effect("approval_mode always: the run waits, approve lets the call run once, and the run completes", () =>
    Effect.gen(function*() {
      const store = yield* InMemorySessionStore.make
      const { runs, tool } = writer()
      const [result, events] = yield* Effect.gen(function*() {
        const rt = yield* AgentRuntime.AgentRuntime
        return yield* withEvents(Effect.gen(function*() {
          const fiber = yield* Effect.fork(rt.runDetailed(request()))
          yield* untilPending(rt)
          assert.deepStrictEqual(runs, [])
          const [pending] = yield* rt.pendingApprovals()
          assert.strictEqual(pending!.tool, "write")
          assert.deepStrictEqual(pending!.arguments, { path: "a.txt", size: 1 })
          assert.deepStrictEqual(pending!.editableParams, ["path"])
          const decided = yield* rt.approve("r", pending!.callId)
          assert.isTrue(Option.isNone(decided)) // the waiting run got it
          return yield* Fiber.join(fiber)
        }))
      }).pipe(Effect.provide(runtimeOn(store, agentsWith(tool))))
      assert.strictEqual(result.stopReason, "completed")
      assert.deepStrictEqual(runs, [{ path: "a.txt", size: 1 }])
      const requested = events.find((e) => e.name === "tool.approval_requested")!
      assert.deepStrictEqual(requested.payload, {
        runId: "r",
        callId: "call_0",
        tool: "write",
        arguments: { path: "a.txt", size: 1 },
        editableParams: ["path"]
      })
      const decided = events.find((e) => e.name === "tool.approval_decided")!
      assert.strictEqual(decided.payload.decision, "approve")
      assert.deepStrictEqual(yield* store.listPendingApprovals(), [])
    }))

  it.effect("approve with edited arguments: only editable ones, checked against the tool's schema", () =>
    Effect.gen(function*() {
      const store = yield* InMemorySessionStore.make
      const { runs, tool } = writer()
      const result = yield* Effect.gen(function*() {
        const rt = yield* AgentRuntime.AgentRuntime
        const fiber = yield* Effect.fork(rt.runDetailed(request()))
        yield* untilPending(rt)
        const notEditable = yield* Effect.either(rt.approve("r", "call_0", { arguments: { size: 9 } }))
        assert.isTrue(Either.isLeft(notEditable))
        if (Either.isLeft(notEditable)) {
          assert.strictEqual(notEditable.left._tag, "ApprovalError")
          assert.include(notEditable.left.message, "'size'")
          assert.include(notEditable.left.message, "cannot be edited")
        }
        const invalid = yield* Effect.either(rt.approve("r", "call_0", { arguments: { path: 42 } }))
        assert.isTrue(Either.isLeft(invalid))
        if (Either.isLeft(invalid)) assert.include(invalid.left.message, "do not match the parameters")
        const unknown = yield* Effect.either(rt.approve("r", "nope"))
        assert.isTrue(Either.isLeft(unknown))
        // refused edits leave the call pending
        assert.strictEqual((yield* rt.pendingApprovals("s")).length, 1)
        assert.deepStrictEqual(runs, [])
        yield* rt.approve("r", "call_0", { arguments: { path: "b.txt" } })
        return yield* Fiber.join(fiber)
      }).pipe(Effect.provide(runtimeOn(store, agentsWith(tool))))
      assert.strictEqual(result.stopReason, "completed")
      assert.deepStrictEqual(runs, [{ path: "b.txt", size: 1 }])
    }))

  it.effect("reject: the call does not run, the model is told why, and the run goes on", () =>
    Effect.gen(function*() {
      const store = yield* InMemorySessionStore.make
      const { runs, tool } = writer()
      const result = yield* Effect.gen(function*() {
        const rt = yield* AgentRuntime.AgentRuntime
        const fiber = yield* Effect.fork(rt.runDetailed(request()))
        yield* untilPending(rt)
        yield* rt.reject("r", "call_0", "not that file")
        return yield* Fiber.join(fiber)
      }).pipe(Effect.provide(runtimeOn(store, agentsWith(tool))))
      assert.strictEqual(result.stopReason, "completed")
      assert.strictEqual(result.finalOutput, "done")
      assert.strictEqual(result.usage.llmCalls, 2) // the model answered after seeing the rejection
      assert.deepStrictEqual(runs, [])
      const toolMessage = (yield* store.loadMessages("s")).map((m) => m.message).find((m) => m._tag === "tool")!
      assert.isTrue(toolMessage._tag === "tool" && toolMessage.isError)
      assert.include(toolMessage._tag === "tool" ? toolMessage.content : "", "rejected by the approver: not that file")
    }))

  it.effect("no decision within approvalTimeoutMs: approval_timeout, the call listed and still pending", () =>
    Effect.gen(function*() {
      const store = yield* InMemorySessionStore.make
      const { runs, tool } = writer()
      const result = yield* Effect.gen(function*() {
        const rt = yield* AgentRuntime.AgentRuntime
        const fiber = yield* Effect.fork(rt.runDetailed(request({ approvalTimeoutMs: 1000 })))
        yield* untilPending(rt)
        yield* TestClock.adjust("999 millis")
        assert.isNull(fiber.unsafePoll())
        yield* TestClock.adjust("1 millis")
        return yield* Fiber.join(fiber)
      }).pipe(Effect.provide(runtimeOn(store, agentsWith(tool))))
      assert.strictEqual(result.stopReason, "approval_timeout")
      assert.strictEqual(result.error?.tag, "ApprovalTimeout")
      assert.deepStrictEqual(result.pendingApprovals?.map((p) => [p.runId, p.callId, p.tool]), [["r", "call_0", "write"]])
      assert.deepStrictEqual(runs, [])
      assert.strictEqual((yield* store.listPendingApprovals("s")).length, 1)
      // still decidable: approving continues the run to its end
      const continued = yield* Effect.flatMap(AgentRuntime.AgentRuntime, (rt) => rt.approve("r", "call_0"))
        .pipe(Effect.provide(runtimeOn(store, agentsWith(tool))))
      assert.strictEqual(Option.getOrThrow(continued).stopReason, "completed")
      assert.deepStrictEqual(runs, [{ path: "a.txt", size: 1 }])
    }))

  it.effect("the agent's approvalTimeoutMs applies when the request sets none", () =>
    Effect.gen(function*() {
      const store = yield* InMemorySessionStore.make
      const { tool } = writer()
      const result = yield* Effect.gen(function*() {
        const rt = yield* AgentRuntime.AgentRuntime
        const fiber = yield* Effect.fork(rt.runDetailed(request()))
        yield* untilPending(rt)
        yield* TestClock.adjust("5 seconds")
        return yield* Fiber.join(fiber)
      }).pipe(Effect.provide(runtimeOn(store, agentsWith(tool, { approvalTimeoutMs: 5000 }))))
      assert.strictEqual(result.stopReason, "approval_timeout")
    }))

  const advance = (approvals: AdvanceApprovals) =>
    Effect.gen(function*() {
      const store = yield* InMemorySessionStore.make
      const { runs, tool } = writer()
      const [result, events] = yield* Effect.flatMap(
        AgentRuntime.AgentRuntime,
        (rt) => withEvents(rt.runDetailed(request({ approvals })))
      ).pipe(Effect.provide(runtimeOn(store, agentsWith(tool))))
      return { result, events, runs, store }
    })

  it.effect("approvals given in advance: by call id (with an edit) and by tool", () =>
    Effect.gen(function*() {
      const byCall = yield* advance({ byCallId: { call_0: { decision: "approve", arguments: { path: "c.txt" } } } })
      assert.strictEqual(byCall.result.stopReason, "completed")
      assert.deepStrictEqual(byCall.runs, [{ path: "c.txt", size: 1 }])
      assert.isFalse(byCall.events.some((e) => e.name === "tool.approval_requested"))
      const decided = byCall.events.find((e) => e.name === "tool.approval_decided")!
      assert.strictEqual(decided.payload.source, "request")

      const byTool = yield* advance({ byTool: { write: "approve" } })
      assert.deepStrictEqual(byTool.runs, [{ path: "a.txt", size: 1 }])

      const rejected = yield* advance({ byTool: { write: "approve" }, byCallId: { call_0: "reject" } })
      assert.strictEqual(rejected.result.stopReason, "completed")
      assert.deepStrictEqual(rejected.runs, []) // the call id wins over the tool
    }))

  it.effect("request approvals are validated like the other request fields", () =>
    Effect.gen(function*() {
      const { tool } = writer()
      const store = yield* InMemorySessionStore.make
      const error = yield* Effect.flip(
        Effect.flatMap(AgentRuntime.AgentRuntime, (rt) =>
          rt.runDetailed(request({ approvals: { byTool: { write: "yes" } }, waitForApproval: "no" }))).pipe(
            Effect.provide(runtimeOn(store, agentsWith(tool)))
          )
      )
      assert.strictEqual(error._tag, "ConfigError")
      assert.include(error.message, "request.approvals")
      assert.include(error.message, "request.waitForApproval")
    }))

  it.effect("cancel while waiting: cancelled, and the call is no longer pending", () =>
    Effect.gen(function*() {
      const store = yield* InMemorySessionStore.make
      const { runs, tool } = writer()
      const result = yield* Effect.gen(function*() {
        const rt = yield* AgentRuntime.AgentRuntime
        const fiber = yield* Effect.fork(rt.runDetailed(request()))
        yield* untilPending(rt)
        assert.isTrue(yield* rt.cancel("r"))
        return yield* Fiber.join(fiber)
      }).pipe(Effect.provide(runtimeOn(store, agentsWith(tool))))
      assert.strictEqual(result.stopReason, "cancelled")
      assert.deepStrictEqual(runs, [])
      assert.deepStrictEqual(yield* store.listPendingApprovals(), [])
    }))

  it.effect("approval_mode policy: only the calls the policy names wait", () =>
    Effect.gen(function*() {
      const store = yield* InMemorySessionStore.make
      const { runs, tool } = writer({
        approvalMode: "policy",
        approvalPolicy: (args) => (args as { path: string }).path.startsWith("/etc")
      })
      const twoCalls = [{ name: "write", arguments: { path: "a.txt", size: 1 } }, { name: "write", arguments: { path: "/etc/x", size: 2 } }]
      const result = yield* Effect.gen(function*() {
        const rt = yield* AgentRuntime.AgentRuntime
        const fiber = yield* Effect.fork(rt.runDetailed(request()))
        yield* untilPending(rt)
        assert.deepStrictEqual(runs.map((r) => r.path), ["a.txt"])
        const [pending] = yield* rt.pendingApprovals("s")
        assert.strictEqual(pending!.callId, "call_1")
        yield* rt.approve("r", "call_1")
        return yield* Fiber.join(fiber)
      }).pipe(Effect.provide(runtimeOn(store, agentsWith(tool, {}, twoCalls))))
      assert.strictEqual(result.stopReason, "completed")
      assert.deepStrictEqual(runs.map((r) => r.path), ["a.txt", "/etc/x"])
    }))

  for (const durable of [false, true]) {
    it.effect(`waitForApproval false stops with awaiting_approval; another runtime approves and continues the run (durable: ${durable})`, () =>
      Effect.gen(function*() {
        const store = yield* InMemorySessionStore.make
        const twoCalls = [{ name: "count", arguments: { n: 1 } }, { name: "write", arguments: { path: "a.txt", size: 1 } }]
        const counted: Array<number> = []
        const count = Tool.make("count", {
          description: "counts",
          parameters: Schema.Struct({ n: Schema.Number }),
          handler: ({ n }) => Effect.sync(() => counted.push(n))
        })
        const first = writer()
        const stopped = yield* Effect.flatMap(AgentRuntime.AgentRuntime, (rt) =>
          rt.runDetailed(request({ waitForApproval: false, durable }))).pipe(
            Effect.provide(runtimeOn(store, [{ id: "a", tools: [count, first.tool], model: Planned.layer(twoCalls, "done") }]))
          )
        assert.strictEqual(stopped.stopReason, "awaiting_approval")
        assert.strictEqual(stopped.error?.tag, "AwaitingApproval")
        assert.deepStrictEqual(stopped.pendingApprovals?.map((p) => ({ ...p })), [
          { runId: "r", callId: "call_1", tool: "write", arguments: { path: "a.txt", size: 1 }, editableParams: ["path"] }
        ])
        assert.deepStrictEqual(first.runs, [])
        // a new "process": its own runtime and tools over the same store
        const second = writer()
        const counted2: Array<number> = []
        const count2 = Tool.make("count", {
          description: "counts",
          parameters: Schema.Struct({ n: Schema.Number }),
          handler: ({ n }) => Effect.sync(() => counted2.push(n))
        })
        const continued = yield* Effect.flatMap(AgentRuntime.AgentRuntime, (rt) =>
          rt.approve("r", "call_1", { arguments: { path: "edited.txt" } })).pipe(
            Effect.provide(runtimeOn(store, [{ id: "a", tools: [count2, second.tool], model: Planned.layer(twoCalls, "done") }]))
          )
        assert.isTrue(Option.isSome(continued))
        const result = Option.getOrThrow(continued)
        assert.strictEqual(result.runId, "r")
        assert.strictEqual(result.stopReason, "completed")
        assert.strictEqual(result.finalOutput, "done")
        assert.deepStrictEqual(second.runs, [{ path: "edited.txt", size: 1 }])
        assert.deepStrictEqual(counted2, []) // the call before it is not run again
        assert.deepStrictEqual(counted, [1])
        assert.strictEqual(result.usage.toolCalls, 2)
        assert.deepStrictEqual(yield* store.listPendingApprovals(), [])
        const messages = (yield* store.loadMessages("s")).map((m) => m.message._tag)
        assert.deepStrictEqual(messages, ["user", "assistant", "tool", "assistant", "tool", "assistant"])
      }))
  }

  it.effect("a continued run keeps the budget its request set, not the agent's defaults", () =>
    Effect.gen(function*() {
      const store = yield* InMemorySessionStore.make
      const twoCalls = [{ name: "write", arguments: { path: "a.txt", size: 1 } }, { name: "write", arguments: { path: "b.txt", size: 2 } }]
      const first = writer({ approvalMode: "policy", approvalPolicy: (args) => (args as { path: string }).path === "b.txt" })
      const stopped = yield* Effect.flatMap(AgentRuntime.AgentRuntime, (rt) =>
        rt.runDetailed(request({ waitForApproval: false, durable: true, budget: { maxSteps: 2 } }))).pipe(
          Effect.provide(runtimeOn(store, agentsWith(first.tool, {}, twoCalls)))
        )
      assert.strictEqual(stopped.stopReason, "awaiting_approval")
      assert.strictEqual(stopped.usage.llmCalls, 2)
      const second = writer()
      const continued = yield* Effect.flatMap(AgentRuntime.AgentRuntime, (rt) => rt.approve("r", "call_1")).pipe(
        Effect.provide(runtimeOn(store, agentsWith(second.tool, {}, twoCalls)))
      )
      const result = Option.getOrThrow(continued)
      // the approved call runs; the answer after it would be a third model call, beyond the run's 2
      assert.deepStrictEqual(second.runs, [{ path: "b.txt", size: 2 }])
      assert.strictEqual(result.stopReason, "max_steps")
      assert.strictEqual(result.usage.llmCalls, 2)
    }))

  it.effect("a stopped run rejected from another runtime goes on with the rejection", () =>
    Effect.gen(function*() {
      const store = yield* InMemorySessionStore.make
      const first = writer()
      const stopped = yield* Effect.flatMap(AgentRuntime.AgentRuntime, (rt) => rt.runDetailed(request({ waitForApproval: false })))
        .pipe(Effect.provide(runtimeOn(store, agentsWith(first.tool))))
      assert.strictEqual(stopped.stopReason, "awaiting_approval")
      const second = writer()
      const continued = yield* Effect.flatMap(AgentRuntime.AgentRuntime, (rt) => rt.reject("r", "call_0", "no"))
        .pipe(Effect.provide(runtimeOn(store, agentsWith(second.tool))))
      const result = Option.getOrThrow(continued)
      assert.strictEqual(result.stopReason, "completed")
      assert.deepStrictEqual([...first.runs, ...second.runs], [])
      assert.deepStrictEqual(yield* store.listPendingApprovals(), [])
    }))
})

describe("tool approval: several calls of one answer", () => {
  it.effect("each call is gated; a stopped run goes on once its calls are decided, each running once", () =>
    Effect.gen(function*() {
      const store = yield* InMemorySessionStore.make
      const model = MockModel.layer({
        script: [
          {
            toolCalls: [
              { id: "c1", name: "write", arguments: { path: "one.txt", size: 1 } },
              { id: "c2", name: "write", arguments: { path: "two.txt", size: 2 } }
            ]
          },
          { text: "done" }
        ]
      })
      const first = writer()
      const stopped = yield* Effect.flatMap(AgentRuntime.AgentRuntime, (rt) => rt.runDetailed(request({ waitForApproval: false })))
        .pipe(Effect.provide(runtimeOn(store, [{ id: "a", tools: [first.tool], model }])))
      assert.strictEqual(stopped.stopReason, "awaiting_approval")
      assert.deepStrictEqual(stopped.pendingApprovals?.map((p) => p.callId), ["c1"])
      const second = writer()
      const [afterFirst, afterSecond] = yield* Effect.gen(function*() {
        const rt = yield* AgentRuntime.AgentRuntime
        // c1 approved: the run goes on, runs c1, and stops again at c2
        const a = Option.getOrThrow(yield* rt.approve("r", "c1"))
        const b = Option.getOrThrow(yield* rt.approve("r", "c2", { arguments: { path: "2.txt" } }))
        return [a, b] as const
      }).pipe(Effect.provide(runtimeOn(store, [{ id: "a", tools: [second.tool], model }])))
      assert.strictEqual(afterFirst.stopReason, "awaiting_approval")
      assert.deepStrictEqual(afterFirst.pendingApprovals?.map((p) => p.callId), ["c2"])
      assert.strictEqual(afterSecond.stopReason, "completed")
      assert.strictEqual(afterSecond.finalOutput, "done")
      assert.deepStrictEqual(second.runs, [{ path: "one.txt", size: 1 }, { path: "2.txt", size: 2 }])
      assert.strictEqual(afterSecond.usage.toolCalls, 2)
      const tags = (yield* store.loadMessages("s")).map((m) => m.message._tag)
      assert.deepStrictEqual(tags, ["user", "assistant", "tool", "tool", "assistant"])
    }))
})
