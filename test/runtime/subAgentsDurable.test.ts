/**
 * Durable delegation: a durable parent stopped while its child runs is resumed by a new runtime on the same
 * store, and resumes the child from its last checkpoint: no finished step of either is run again. The
 * agent tool, the router pattern and a forked child session.
 */
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Fiber, Layer, Queue, Schema } from "effect"
import * as EventBus from "../../src/events/EventBus.js"
import type { RuntimeEvent } from "../../src/kernel/EventTaxonomy.js"
import type { RunStreamChunk } from "../../src/kernel/RunStreamChunk.js"
import * as Router from "../../src/patterns/Router.js"
import type { AgentDefinition } from "../../src/runtime/Agent.js"
import * as AgentRuntime from "../../src/runtime/AgentRuntime.js"
import * as InMemorySessionStore from "../../src/sessions/InMemorySessionStore.js"
import { SessionStore } from "../../src/sessions/SessionStore.js"
import * as Skills from "../../src/skills/Skills.js"
import * as SubAgent from "../../src/tools/SubAgent.js"
import * as Tool from "../../src/tools/Tool.js"
import { collect, scripted } from "../support/runtime.js"

/** A tool that hangs on its first call while `hang.first` (the "crash" point), and answers after. */
const hangingAdd = (hang: { first: boolean }, calls: Array<string>) =>
  Tool.make("add", {
    description: "Adds two numbers",
    parameters: Schema.Struct({ a: Schema.Number, b: Schema.Number }),
    handler: ({ a, b }, context) =>
      Effect.suspend(() => {
        calls.push(`${context.runId}#${context.callId}`)
        if (hang.first && calls.length === 2) return Effect.never
        return Effect.succeed(a + b)
      })
  })

const add = (a: number, b: number) => ({ toolCalls: [{ name: "add", arguments: { a, b } }] })

/** A worker that adds twice, then answers; the second add hangs in the first runtime. */
const worker = (tool: Tool.Tool): AgentDefinition => ({
  id: "worker",
  model: scripted([add(1, 2), add(3, 4), { text: "3 and 7" }]),
  tools: [tool]
})

const services = Layer.mergeAll(InMemorySessionStore.layer, EventBus.layer(), Skills.layerNone)

/** Model calls and tool calls, per run, that `effect` made (from the bus). */
const counted = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.scoped(Effect.gen(function*() {
    const sub = yield* Effect.flatMap(EventBus.EventBus, (bus) => bus.subscribe)
    const value = yield* effect
    const events: Array<RuntimeEvent> = Chunk.toArray(yield* Queue.takeAll(sub))
    const count = (name: string) => {
      const by: Record<string, number> = {}
      for (const e of events) if (e.name === name) by[e.runId] = (by[e.runId] ?? 0) + 1
      return by
    }
    return { value, llm: count("llm.called"), resumed: events.filter((e) => e.name === "run.resume_succeeded").map((e) => e.runId) }
  }))

/** Starts the parent, stops it once the child's second tool call hangs, resumes it in a new runtime. */
const stopAndResume = (agentsOf: (tool: Tool.Tool) => ReadonlyArray<AgentDefinition>, input: string) =>
  Effect.gen(function*() {
    const store = yield* SessionStore
    const calls: Array<string> = []
    const first = yield* AgentRuntime.make({ agents: agentsOf(hangingAdd({ first: true }, calls)) })
    const fiber = yield* Effect.fork(first.runDetailed({ agentId: "lead", sessionId: "s", runId: "p", inputText: input, durable: true }))
    yield* Effect.repeat(Effect.sync(() => calls.length), { until: (n) => n >= 2 })
    assert.isTrue(yield* first.cancel("p"))
    assert.strictEqual((yield* Fiber.join(fiber)).stopReason, "cancelled")
    const checkpoint = (yield* store.listCheckpoints("s")).filter((c) => c.checkpointId.startsWith("p:step:")).at(-1)!.checkpointId
    const second = yield* AgentRuntime.make({ agents: agentsOf(hangingAdd({ first: false }, calls)) })
    const resumed = yield* counted(collect(second.runStream({
      agentId: "lead",
      sessionId: "s",
      inputText: input,
      durable: true,
      resumeFromCheckpoint: checkpoint
    })))
    return { ...resumed, calls }
  })

const resultOf = (chunks: ReadonlyArray<RunStreamChunk>) => {
  const last = chunks[chunks.length - 1]
  return last?.kind === "run.finished" && last.runId === "p" ? last.result : undefined
}

describe("durable delegation", () => {
  it.scoped("a parent stopped while its child runs resumes both; the child's finished steps are not run again", () =>
    Effect.gen(function*() {
      const o = yield* stopAndResume((tool) => [
        {
          id: "lead",
          model: scripted([{ toolCalls: [{ name: "worker", arguments: { input: "add things" } }] }, { text: "the worker says 3 and 7" }]),
          tools: [SubAgent.make("worker", { agent: "worker" })]
        },
        worker(tool)
      ], "go")
      const result = resultOf(o.value)
      assert.strictEqual(result?.stopReason, "completed")
      assert.strictEqual(result?.finalOutput, "the worker says 3 and 7")
      // the child's first add ran once; its second (which hung) ran again, as an idempotent tool does
      assert.deepStrictEqual(o.calls, ["p/call_0_0#call_0_0", "p/call_0_0#call_1_0", "p/call_0_0#call_1_0"])
      // both resumed from their checkpoints: the child's two model calls made before the stop are not made
      // again (only its final answer is asked for), nor the parent's first
      assert.deepStrictEqual(o.llm, { "p/call_0_0": 1, p: 1 })
      assert.deepStrictEqual(o.resumed.sort(), ["p", "p/call_0_0"])
      // the resumed child's chunks are in the resumed parent's stream
      assert.isTrue(o.value.some((c) => c.runId === "p/call_0_0" && c.kind === "run.resume_succeeded" && c.parentRunId === "p"))
    }).pipe(Effect.provide(services)))

  it.scoped("router: resumed while the chosen agent runs, it does not ask for the choice again", () =>
    Effect.gen(function*() {
      const o = yield* stopAndResume((tool) => [
        {
          id: "lead",
          model: scripted([{ text: `{"agent": "worker", "reason": "sums"}` }]),
          pattern: Router.layer({ routes: [{ agent: "worker", description: "adds numbers" }] })
        },
        worker(tool)
      ], "add some numbers")
      const result = resultOf(o.value)
      assert.strictEqual(result?.finalOutput, "3 and 7")
      assert.deepStrictEqual(result?.metadata["route"], { agent: "worker", fallback: false })
      assert.deepStrictEqual(o.calls, ["p/route#call_0_0", "p/route#call_1_0", "p/route#call_1_0"])
      // no model call of the router after the resume; the chosen agent's final answer only
      assert.deepStrictEqual(o.llm, { "p/route": 1 })
    }).pipe(Effect.provide(services)))

  it.scoped("a forked child starts from a copy of the parent's session; the parent's session does not see the child's turn", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.make({
        agents: [
          {
            id: "lead",
            model: scripted([{ text: "hello" }, { toolCalls: [{ name: "helper", arguments: { input: "what did I say?" } }] }, { text: "lead done" }]),
            tools: [SubAgent.make("helper", { agent: "helper", session: "forked" })]
          },
          // the session's history has one answer already: the helper's script starts at its second step
          { id: "helper", model: scripted([{ text: "unused" }, { text: "you said hi" }]) }
        ]
      })
      const store = yield* SessionStore
      yield* rt.runDetailed({ agentId: "lead", sessionId: "s", inputText: "hi" })
      const result = yield* rt.runDetailed({ agentId: "lead", sessionId: "s", runId: "p", inputText: "ask the helper" })
      assert.strictEqual(result.finalOutput, "lead done")
      const forked = yield* store.loadMessages("s/call_1_0")
      assert.deepStrictEqual(forked.map((m) => `${m.agentId}:${m.message._tag}`), [
        "lead:user", "lead:assistant", "helper:user", "helper:assistant"
      ])
      assert.isFalse((yield* store.loadMessages("s")).some((m) => m.agentId === "helper"))
    }).pipe(Effect.provide(services)))
})
