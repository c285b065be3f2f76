/**
 * Sub-agents as tools: a child run on a session of its own, within the parent's budget, cancelled with
 * it, its usage the parent's; cycles and depth refused with the chain named.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Schema, TestClock } from "effect"
import * as ConfigLoader from "../../src/config/ConfigLoader.js"
import type { RuntimeEvent } from "../../src/kernel/EventTaxonomy.js"
import { AgentRuntime } from "../../src/runtime/AgentRuntime.js"
import { SessionStore } from "../../src/sessions/SessionStore.js"
import * as SubAgent from "../../src/tools/SubAgent.js"
import { runtimeLayer, scripted, withEvents } from "../support/runtime.js"

const ask = (tool: string, input: string) => ({ toolCalls: [{ name: tool, arguments: { input } }] })

const toolResults = (sessionId: string) =>
  Effect.map(Effect.flatMap(SessionStore, (store) => store.loadMessages(sessionId)), (ms) =>
    ms.flatMap((m) => (m.message._tag === "tool" ? [m.message.content] : [])))

describe("sub-agents as tools", () => {
  it.effect("the child runs on its own session and its answer is the tool's result; its usage is the parent's", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const [result, events] = yield* withEvents(rt.runDetailed({ agentId: "lead", sessionId: "s", runId: "p", inputText: "what is X?" }))
      assert.strictEqual(result.stopReason, "completed")
      assert.strictEqual(result.finalOutput, "X is 42, says the researcher")
      assert.deepStrictEqual(yield* toolResults("s"), [`"X is 42"`])
      // the child: run id and session derived from the call, parentRunId set
      const child = events.find((e): e is Extract<RuntimeEvent, { name: "run.started" }> => e.name === "run.started" && e.runId !== "p")
      assert.strictEqual(child?.runId, "p/call_0_0")
      assert.strictEqual(child?.sessionId, "s/call_0_0")
      assert.strictEqual(child?.payload.parentRunId, "p")
      assert.deepStrictEqual((yield* Effect.flatMap(SessionStore, (s) => s.loadMessages("s/call_0_0"))).map((m) => m.message._tag), ["user", "assistant"])
      // two model calls of the parent, one of the child
      assert.strictEqual(result.usage.llmCalls, 3)
      assert.strictEqual(result.metadata["steps"], 3)
      const children = result.metadata["children"] as ReadonlyArray<{ runId: string; agentId: string; stopReason: string; usage: { llmCalls: number } }>
      assert.deepStrictEqual(children.map((c) => [c.runId, c.agentId, c.stopReason, c.usage.llmCalls]), [["p/call_0_0", "researcher", "completed", 1]])
    }).pipe(Effect.provide(runtimeLayer([
      {
        id: "lead",
        model: scripted([ask("researcher", "find X"), { text: "X is 42, says the researcher" }]),
        tools: [SubAgent.make("researcher", { agent: "researcher" })]
      },
      { id: "researcher", model: scripted([{ text: "X is 42" }]) }
    ]))))

  it.effect("a parent with 5 steps cannot let its child spend 50: the child gets what is left, the parent stops", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const result = yield* rt.runDetailed({ agentId: "lead", sessionId: "s", runId: "p", inputText: "go", budget: { maxSteps: 5 } })
      assert.strictEqual(result.stopReason, "max_steps")
      // 1 step of the parent, 4 of the child (what was left), none after
      assert.strictEqual(result.usage.llmCalls, 5)
      const children = result.metadata["children"] as ReadonlyArray<{ stopReason: string; usage: { llmCalls: number } }>
      assert.deepStrictEqual(children.map((c) => [c.stopReason, c.usage.llmCalls]), [["max_steps", 4]])
      assert.match((yield* toolResults("s"))[0]!, /agent 'worker' stopped: max_steps/)
    }).pipe(Effect.provide(runtimeLayer([
      {
        id: "lead",
        model: scripted([ask("worker", "work"), { text: "never reached" }]),
        tools: [SubAgent.make("worker", { agent: "worker", budget: { maxSteps: 50 } })]
      },
      {
        id: "worker",
        // calls its tool forever
        model: scripted([{ toolCalls: [{ name: "noop", arguments: {} }] }]),
        tools: [SubAgent.make("noop", { agent: "nobody" })]
      }
    ]))))

  it.effect("a delegation cycle (a -> b -> a) is refused as a tool error naming the chain", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const result = yield* rt.runDetailed({ agentId: "a", sessionId: "s", runId: "r", inputText: "go" })
      assert.strictEqual(result.stopReason, "completed")
      assert.strictEqual(result.finalOutput, "a done")
      const inB = yield* toolResults("s/call_0_0")
      assert.match(inB[0]!, /delegation cycle: a -> b -> a/)
    }).pipe(Effect.provide(runtimeLayer([
      { id: "a", model: scripted([ask("b", "hi b"), { text: "a done" }]), tools: [SubAgent.make("b", { agent: "b" })] },
      { id: "b", model: scripted([ask("a", "hi a"), { text: "b done" }]), tools: [SubAgent.make("a", { agent: "a" })] }
    ]))))

  it.effect("delegation deeper than three levels is refused", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const result = yield* rt.runDetailed({ agentId: "d0", sessionId: "s", inputText: "go" })
      assert.strictEqual(result.stopReason, "completed")
      const deepest = yield* toolResults("s/call_0_0/call_0_0/call_0_0")
      assert.match(deepest[0]!, /delegation too deep: d0 -> d1 -> d2 -> d3 -> d4/)
    }).pipe(Effect.provide(runtimeLayer([0, 1, 2, 3, 4].map((n) => ({
      id: `d${n}`,
      model: scripted([ask(`d${n + 1}`, "deeper"), { text: `d${n} done` }]),
      tools: [SubAgent.make(`d${n + 1}`, { agent: `d${n + 1}` })]
    }))))))

  it.effect("cancelling the parent cancels the child in flight; no lease is left on either session", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const store = yield* SessionStore
      const [result, events] = yield* withEvents(Effect.gen(function*() {
        const fiber = yield* Effect.fork(rt.runDetailed({ agentId: "lead", sessionId: "s", runId: "p", inputText: "go" }))
        // until the child's slow model call is under way
        for (let i = 0; i < 50; i++) yield* TestClock.adjust(1)
        assert.isTrue(yield* rt.cancel("p"))
        return yield* Fiber.join(fiber)
      }))
      assert.strictEqual(result.stopReason, "cancelled")
      const finished = events.filter((e) => e.name === "run.finished").map((e) => [e.runId, (e.payload as { stopReason: string }).stopReason])
      assert.deepStrictEqual(finished.sort(), [["p", "cancelled"], ["p/call_0_0", "cancelled"]])
      // both leases were released: acquiring them again does not wait
      yield* Effect.scoped(Effect.zipRight(store.acquire("s"), store.acquire("s/call_0_0")))
    }).pipe(Effect.provide(runtimeLayer([
      { id: "lead", model: scripted([ask("slow", "take your time"), { text: "done" }]), tools: [SubAgent.make("slow", { agent: "slow" })] },
      { id: "slow", model: scripted([{ delayMs: 60_000, text: "late" }]) }
    ]))))

  it.effect("agent.json: a tool of type agent; naming an agent the config lacks is a config error with a did-you-mean", () =>
    Effect.gen(function*() {
      const bad = yield* Effect.flip(ConfigLoader.decode({
        agents: [{ id: "lead", tools: [{ id: "r", type: "agent", config: { agent: "reseacher" } }] }, { id: "researcher" }]
      }))
      const issue = bad.issues.find((i) => i.path === "agents[0].tools[0].config.agent")
      assert.match(issue?.message ?? JSON.stringify(bad.issues), /no agent 'reseacher' in this config \(did you mean 'researcher'\?\)/)
      const good = yield* ConfigLoader.decode({
        agents: [{ id: "lead", tools: [{ id: "r", type: "agent", config: { agent: "researcher", budget: { max_steps: 2 } } }] }, { id: "researcher" }]
      })
      assert.strictEqual(good.agents[0]!.tools[0]!.type, "agent")
    }))

  it("the tool's parameters: the input for the other agent", () => {
    const tool = SubAgent.make("helper", { agent: "h" })
    assert.deepStrictEqual(Object.keys((tool.jsonSchema as { properties: object }).properties), ["input"])
    assert.isTrue(tool.decode({ input: "x" })._tag === "Right")
    assert.isTrue(tool.decode({ input: "" })._tag === "Left")
    // calling it again resumes the child (a durable parent's child resumes from its checkpoint)
    assert.isTrue(tool.durableIdempotent)
    assert.isTrue(Schema.is(SubAgent.Parameters)({ input: "ok" }))
  })
})
