/**
 * The `router` pattern on the scripted mock, through `runStream`: one model call picks the agent (a
 * Schema-checked JSON choice), the chosen agent answers as a handoff; a missing or invalid choice goes to
 * the fallback; agent.json rows and their checks.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import * as ConfigLoader from "../../src/config/ConfigLoader.js"
import * as Plugins from "../../src/config/Plugins.js"
import type { RunStreamChunk } from "../../src/kernel/RunStreamChunk.js"
import * as Router from "../../src/patterns/Router.js"
import * as AgentRuntime from "../../src/runtime/AgentRuntime.js"
import { collect, runtimeLayer, scripted } from "../support/runtime.js"

const routes = [
  { agent: "billing", description: "invoices, payments, refunds" },
  { agent: "support", description: "anything else" }
]

const desk = (choice: string) => [
  { id: "front", model: scripted([{ text: choice }]), pattern: Router.layer({ routes, fallback: "support" }) },
  { id: "billing", model: scripted([{ text: "Your invoice is paid." }]) },
  { id: "support", model: scripted([{ text: "How can I help?" }]) }
]

const routed = (chunks: ReadonlyArray<RunStreamChunk>) =>
  chunks.flatMap((c) => (c.kind === "pattern.routed" ? [c.payload] : []))

describe("router", () => {
  it.effect("a model call picks the agent from the descriptions; it answers, its chunks in the stream", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      const chunks = yield* collect(rt.runStream({ agentId: "front", sessionId: "s", runId: "r", inputText: "Is my invoice paid?" }))
      assert.deepStrictEqual(routed(chunks), [{ agent: "billing", reason: "about an invoice", fallback: false }])
      // the router's own chunks, then the chosen agent's, then the router's run.finished
      const kinds = chunks.map((c) => `${c.runId === "r" ? "" : "child:"}${c.kind}`)
      assert.deepStrictEqual(kinds.filter((k) => !k.endsWith("llm.delta")), [
        "run.started", "llm.finished", "pattern.routed", "child:run.started", "child:llm.finished", "child:run.finished", "run.finished"
      ])
      const last = chunks[chunks.length - 1]!
      const result = last.kind === "run.finished" ? last.result : undefined
      assert.strictEqual(result?.finalOutput, "Your invoice is paid.")
      assert.deepStrictEqual(result?.metadata["route"], { agent: "billing", fallback: false })
      assert.strictEqual(result?.metadata["handoffFrom"], "r/route")
      assert.strictEqual(result?.usage.llmCalls, 2)
      // the router's prompt lists the routes with their descriptions
      const child = chunks.find((c) => c.kind === "run.started" && c.runId === "r/route")
      assert.strictEqual(child?.kind === "run.started" ? child.payload.inputText : "", "Is my invoice paid?")
    }).pipe(Effect.provide(runtimeLayer(desk("```json\n{\"agent\": \"billing\", \"reason\": \"about an invoice\"}\n```")))))

  it.effect("an agent that is not a route goes to the fallback, the event saying why", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      const chunks = yield* collect(rt.runStream({ agentId: "front", sessionId: "s", runId: "r", inputText: "hello" }))
      const [choice] = routed(chunks)
      assert.strictEqual(choice?.agent, "support")
      assert.isTrue(choice?.fallback)
      assert.match(choice?.error ?? "", /agent/)
      assert.match(choice?.error ?? "", /"sales"/)
      const last = chunks[chunks.length - 1]!
      assert.strictEqual(last.kind === "run.finished" ? last.result.finalOutput : null, "How can I help?")
    }).pipe(Effect.provide(runtimeLayer(desk(`{"agent": "sales"}`)))))

  it.effect("an answer that is no JSON goes to the fallback too", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      const result = yield* rt.runDetailed({ agentId: "front", sessionId: "s", inputText: "hello" })
      assert.strictEqual(result.finalOutput, "How can I help?")
      assert.deepStrictEqual(result.metadata["route"], { agent: "support", fallback: true })
    }).pipe(Effect.provide(runtimeLayer(desk("I think support should answer")))))

  it.effect("a chosen agent that does not complete fails the router's run, naming it", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      const result = yield* rt.runDetailed({ agentId: "front", sessionId: "s", inputText: "hi", budget: { maxSteps: 1 } })
      // the choice took the only step: the chosen agent had none left
      assert.strictEqual(result.stopReason, "failed")
      assert.match(result.error?.message ?? "", /no step left in the budget for agent 'billing'/)
    }).pipe(Effect.provide(runtimeLayer(desk(`{"agent": "billing"}`)))))

  it("parseChoice: the Schema of the choice", () => {
    const ids = ["a", "b"] as const
    assert.deepStrictEqual(Router.parseChoice(ids as unknown as [string, ...Array<string>], `{"agent":"b"}`), Either.right({ agent: "b", reason: "" }))
    assert.isTrue(Either.isLeft(Router.parseChoice(["a"], `{"agent": 3}`)))
    assert.isTrue(Either.isLeft(Router.parseChoice(["a"], `not json`)))
  })

  it.scoped("agent.json: pattern type router; routes and fallback must name agents of the config", () =>
    Effect.gen(function*() {
      const config = {
        agents: [
          {
            id: "front",
            pattern: { type: "router", config: { routes: [{ agent: "billing", description: "invoices" }] } },
            llm: { provider: "mock", script: [{ text: `{"agent": "billing"}` }] }
          },
          { id: "billing", llm: { provider: "mock", script: [{ text: "paid" }] } }
        ]
      }
      const result = yield* Effect.provide(
        Effect.flatMap(AgentRuntime.AgentRuntime, (rt) => rt.runDetailed({ agentId: "front", sessionId: "s", inputText: "invoice?" })),
        Plugins.runtimeLayer(config)
      )
      assert.strictEqual(result.finalOutput, "paid")
      const bad = yield* Effect.flip(ConfigLoader.decode({
        agents: [
          { id: "front", pattern: { type: "router", config: { routes: [{ agent: "biling", description: "x" }], fallback: "nobody" } } },
          { id: "billing" }
        ]
      }))
      const at = (p: string) => bad.issues.find((i) => i.path === p)?.message ?? JSON.stringify(bad.issues)
      assert.match(at("agents[0].pattern.config.routes[0].agent"), /no agent 'biling' in this config \(did you mean 'billing'\?\)/)
      assert.match(at("agents[0].pattern.config.fallback"), /no agent 'nobody'/)
      const empty = yield* Effect.flip(ConfigLoader.decode({ agents: [{ id: "front", pattern: { type: "router", config: { routes: [] } } }] }))
      assert.isTrue(empty.issues.some((i) => i.path.startsWith("agents[0].pattern.config.routes")), JSON.stringify(empty.issues))
    }))
})
