/**
 * Handoffs and session isolation: a handoff ends the run with the other agent's answer, the conversation
 * going on with it on the session; a `shared` child works on its parent's session inside the parent's
 * turn; the `multi_agent` defaults (depth, a child's budget, its session) from agent.json and from code.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as ConfigLoader from "../../src/config/ConfigLoader.js"
import * as Plugins from "../../src/config/Plugins.js"
import * as EventBus from "../../src/events/EventBus.js"
import type { RunStreamChunk } from "../../src/kernel/RunStreamChunk.js"
import * as MockModel from "../../src/llm/MockModel.js"
import type { AgentDefinition } from "../../src/runtime/Agent.js"
import * as AgentRuntime from "../../src/runtime/AgentRuntime.js"
import * as InMemorySessionStore from "../../src/sessions/InMemorySessionStore.js"
import { SessionStore } from "../../src/sessions/SessionStore.js"
import * as Skills from "../../src/skills/Skills.js"
import * as Handoff from "../../src/tools/Handoff.js"
import * as SubAgent from "../../src/tools/SubAgent.js"
import { collect, runtimeLayer, scripted } from "../support/runtime.js"

const ask = (tool: string, input: string) => ({ toolCalls: [{ name: tool, arguments: { input } }] })

const transcript = (sessionId: string) =>
  Effect.map(Effect.flatMap(SessionStore, (store) => store.loadMessages(sessionId)), (ms) =>
    ms.map((m) => {
      const message = m.message
      const text = message._tag === "assistant"
        ? message.content.flatMap((p) => (p._tag === "text" ? [p.text] : [])).join("")
        : message.content
      return `${m.agentId}:${message._tag}:${text}`
    }))

const withOptions = (agents: ReadonlyArray<AgentDefinition>, multiAgent: AgentRuntime.Options["multiAgent"]) => {
  const base = Layer.mergeAll(InMemorySessionStore.layer, EventBus.layer(), Skills.layerNone)
  return Layer.merge(AgentRuntime.layer({ agents, multiAgent }).pipe(Layer.provide(base), Layer.provide(MockModel.layer())), base)
}

const desk = [
  {
    id: "triage",
    model: scripted([{ toolCalls: [{ name: "to_billing", arguments: { reason: "a billing question" } }] }, { text: "never reached" }]),
    tools: [Handoff.make("to_billing", { agent: "billing" })]
  },
  { id: "billing", model: scripted([{ text: "Your invoice is paid." }, { text: "You owe nothing." }]) }
]

describe("handoff", () => {
  it.effect("the run ends with the other agent's answer and metadata.handoffFrom; the conversation goes on with it on the session", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      const chunks: ReadonlyArray<RunStreamChunk> = yield* collect(
        rt.runStream({ agentId: "triage", sessionId: "s", runId: "r", inputText: "Is my invoice paid?" })
      )
      const last = chunks[chunks.length - 1]!
      assert.strictEqual(last.kind, "run.finished")
      const result = last.kind === "run.finished" ? last.result : undefined
      assert.strictEqual(result?.runId, "r")
      assert.strictEqual(result?.stopReason, "completed")
      assert.strictEqual(result?.finalOutput, "Your invoice is paid.")
      assert.strictEqual(result?.metadata["handoffFrom"], "r/call_0_0")
      assert.deepStrictEqual(result?.metadata["handoffChain"], ["triage", "billing"])
      // the triage agent made one model call: the second of its script is never reached
      assert.strictEqual(result?.usage.llmCalls, 2)
      // the other agent answered the user's input on the session itself (in the parent's turn)
      const child = chunks.find((c) => c.kind === "run.started" && c.runId === "r/call_0_0")
      assert.strictEqual(child?.sessionId, "s")
      assert.strictEqual(child?.kind === "run.started" ? child.payload.inputText : "", "Is my invoice paid?")
      assert.deepStrictEqual(yield* transcript("s"), ["billing:user:Is my invoice paid?", "billing:assistant:Your invoice is paid."])
      // the next turn on the session, with the other agent, sees the conversation
      const next = yield* rt.runDetailed({ agentId: "billing", sessionId: "s", inputText: "And next month?" })
      assert.strictEqual(next.finalOutput, "You owe nothing.")
      assert.strictEqual((yield* transcript("s")).length, 4)
    }).pipe(Effect.provide(runtimeLayer(desk))))

  it.effect("a handoff chain keeps every hop; a handoff that fails is a tool error and the run goes on", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      const chained = yield* rt.runDetailed({ agentId: "a", sessionId: "s", runId: "r", inputText: "hi" })
      assert.strictEqual(chained.finalOutput, "c answers")
      assert.deepStrictEqual(chained.metadata["handoffChain"], ["a", "b", "c"])
      const failing = yield* rt.runDetailed({ agentId: "x", sessionId: "t", runId: "q", inputText: "hi", budget: { maxSteps: 3 } })
      assert.strictEqual(failing.finalOutput, "x answers itself")
      assert.isUndefined(failing.metadata["handoffFrom"])
      const tool = (yield* Effect.flatMap(SessionStore, (s) => s.loadMessages("t"))).find((m) => m.message._tag === "tool" && m.agentId === "x")
      assert.match(tool?.message._tag === "tool" ? tool.message.content : "", /handoff to agent 'loops' failed: max_steps/)
    }).pipe(Effect.provide(runtimeLayer([
      { id: "a", model: scripted([{ toolCalls: [{ name: "to_b", arguments: {} }] }]), tools: [Handoff.make("to_b", { agent: "b" })] },
      { id: "b", model: scripted([{ toolCalls: [{ name: "to_c", arguments: {} }] }]), tools: [Handoff.make("to_c", { agent: "c" })] },
      { id: "c", model: scripted([{ text: "c answers" }]) },
      {
        id: "x",
        model: scripted([{ toolCalls: [{ name: "to_loops", arguments: {} }] }, { text: "x answers itself" }]),
        tools: [Handoff.make("to_loops", { agent: "loops", budget: { maxSteps: 1 } })]
      },
      { id: "loops", model: scripted([{ toolCalls: [{ name: "noop", arguments: {} }] }]), tools: [SubAgent.make("noop", { agent: "nobody" })] }
    ]))))
})

describe("session isolation and the multi_agent defaults", () => {
  it.effect("a shared child works on its parent's session, inside the parent's turn (no deadlock), and sees its history", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      yield* rt.runDetailed({ agentId: "helper", sessionId: "s", inputText: "remember 7" })
      const result = yield* rt.runDetailed({ agentId: "lead", sessionId: "s", runId: "p", inputText: "go" })
      assert.strictEqual(result.finalOutput, "lead done", JSON.stringify(result))
      const children = result.metadata["children"] as ReadonlyArray<{ runId: string }>
      assert.deepStrictEqual(children.map((c) => c.runId), ["p/call_1_0"])
      // the child's turn is on the session, before the parent's (which is stored when the parent ends)
      assert.deepStrictEqual((yield* transcript("s")).map((t) => t.split(":").slice(0, 2).join(":")), [
        "helper:user", "helper:assistant", "helper:user", "helper:assistant", "lead:user", "lead:assistant", "lead:tool", "lead:assistant"
      ])
      // the child answered from the session's history (the mock's script follows the conversation's length)
      assert.include(yield* transcript("s"), "helper:assistant:it was 7")
      // no session of its own was made for the child
      assert.deepStrictEqual(yield* Effect.flatMap(SessionStore, (s) => s.loadMessages("s/call_1_0")), [])
    }).pipe(Effect.provide(runtimeLayer([
      {
        id: "lead",
        // the session has one answer already: the lead's script starts at its second step
        model: scripted([{ text: "unused" }, ask("helper", "what number?"), { text: "lead done" }]),
        tools: [SubAgent.make("helper", { agent: "helper", session: "shared" })]
      },
      { id: "helper", model: scripted([{ text: "noted" }, { text: "it was 7" }]) }
    ]))))

  it.effect("from code: multiAgent sets the depth limit, a child's default budget and its default session", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      const result = yield* rt.runDetailed({ agentId: "d0", sessionId: "s", runId: "r", inputText: "go" })
      assert.strictEqual(result.stopReason, "completed")
      // depth 1: d0 -> d1 is allowed, d1 -> d2 refused
      const inD1 = (yield* transcript("s")).filter((t) => t.startsWith("d1:tool"))
      assert.match(inD1[0] ?? "", /delegation too deep: d0 -> d1 -> d2 \(at most 1 levels below the first agent\)/)
      // the child had the default budget of 2 steps (it needed them: one tool call, one answer)
      const children = result.metadata["children"] as ReadonlyArray<{ stopReason: string; usage: { llmCalls: number } }>
      assert.deepStrictEqual(children.map((c) => [c.stopReason, c.usage.llmCalls]), [["completed", 2]])
    }).pipe(Effect.provide(withOptions([0, 1, 2].map((n) => ({
      id: `d${n}`,
      model: scripted([ask(`d${n + 1}`, "deeper"), { text: `d${n} done` }]),
      tools: [SubAgent.make(`d${n + 1}`, { agent: `d${n + 1}` })]
    })), { maxDelegationDepth: 1, defaultChildBudget: { maxSteps: 2 }, defaultSessionIsolation: "shared" }))))

  it.effect("a default child budget smaller than the child needs stops the child, not the parent", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      const result = yield* rt.runDetailed({ agentId: "d0", sessionId: "s", runId: "r", inputText: "go" })
      const children = result.metadata["children"] as ReadonlyArray<{ stopReason: string; usage: { llmCalls: number } }>
      assert.deepStrictEqual(children.map((c) => [c.stopReason, c.usage.llmCalls]), [["max_steps", 1]])
      assert.strictEqual(result.stopReason, "completed")
    }).pipe(Effect.provide(withOptions([0, 1, 2].map((n) => ({
      id: `d${n}`,
      model: scripted([ask(`d${n + 1}`, "deeper"), { text: `d${n} done` }]),
      tools: [SubAgent.make(`d${n + 1}`, { agent: `d${n + 1}` })]
    })), { defaultChildBudget: { maxSteps: 1 } }))))

  it.scoped("agent.json: the multi_agent block and tools of type handoff; a bad block names its path", () =>
    Effect.gen(function*() {
      const config = {
        multi_agent: { enabled: true, max_delegation_depth: 1, default_child_budget: { max_steps: 2 } },
        agents: [
          {
            id: "triage",
            llm: { provider: "mock", script: [{ tool_calls: [{ name: "to_billing", arguments: {} }] }] },
            tools: [{ id: "to_billing", type: "handoff", config: { agent: "billing" } }]
          },
          { id: "billing", llm: { provider: "mock", script: [{ text: "paid" }] } }
        ]
      }
      const result = yield* Effect.provide(
        Effect.flatMap(AgentRuntime.AgentRuntime, (rt) => rt.runDetailed({ agentId: "triage", sessionId: "s", inputText: "invoice?" })),
        Plugins.runtimeLayer(config)
      )
      assert.strictEqual(result.finalOutput, "paid")
      assert.deepStrictEqual(result.metadata["handoffChain"], ["triage", "billing"])
      const bad = yield* Effect.flip(ConfigLoader.decode({ ...config, multi_agent: { max_delegation_depth: 0 } }))
      assert.isTrue(bad.issues.some((i) => i.path === "multi_agent.max_delegation_depth"), JSON.stringify(bad.issues))
      const unknown = yield* Effect.flip(ConfigLoader.decode({
        agents: [{ id: "a", tools: [{ id: "h", type: "handoff", config: { agent: "biling" } }] }, { id: "billing" }]
      }))
      assert.match(unknown.issues.find((i) => i.path === "agents[0].tools[0].config.agent")?.message ?? "", /did you mean 'billing'/)
    }))
})
