/**
 * Background delegation: the call answers at once with a task id; the child runs as a task of the runtime;
 * `taskStatus` and `task.finished` tell how it went, its outcome kept in the session store; closing the
 * runtime cancels it.
 */
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Exit, Layer, Option, Queue, Scope, TestClock } from "effect"
import * as EventBus from "../../src/events/EventBus.js"
import type { RuntimeEvent } from "../../src/kernel/EventTaxonomy.js"
import * as AgentRuntime from "../../src/runtime/AgentRuntime.js"
import * as InMemorySessionStore from "../../src/sessions/InMemorySessionStore.js"
import { SessionStore } from "../../src/sessions/SessionStore.js"
import * as Skills from "../../src/skills/Skills.js"
import * as SubAgent from "../../src/tools/SubAgent.js"
import { scripted } from "../support/runtime.js"

const agents = [
  {
    id: "lead",
    model: scripted([{ toolCalls: [{ name: "research", arguments: { input: "dig" } }] }, { text: "started it" }]),
    tools: [SubAgent.make("research", { agent: "slow", background: true })]
  },
  { id: "slow", model: scripted([{ delayMs: 5_000, text: "found it" }]) }
]

const services = Layer.mergeAll(InMemorySessionStore.layer, EventBus.layer(), Skills.layerNone)

describe("background delegation", () => {
  it.scoped("returns a task id at once; taskStatus runs, then completed with the output; task.finished is published", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.make({ agents })
      const store = yield* SessionStore
      const sub = yield* Effect.flatMap(EventBus.EventBus, (bus) => bus.subscribe)
      const result = yield* rt.runDetailed({ agentId: "lead", sessionId: "s", runId: "p", inputText: "go" })
      // the parent did not wait for the child (its model call takes 5 s of the TestClock)
      assert.strictEqual(result.stopReason, "completed")
      assert.strictEqual(result.finalOutput, "started it")
      const toolResult = (yield* store.loadMessages("s")).find((m) => m.message._tag === "tool")
      assert.deepStrictEqual(
        JSON.parse(toolResult?.message._tag === "tool" ? toolResult.message.content : "null"),
        { taskId: "p/call_0_0", agent: "slow", status: "running" }
      )
      assert.strictEqual(Option.getOrThrow(yield* rt.taskStatus("p/call_0_0")).status, "running")
      yield* TestClock.adjust(5_000)
      yield* Effect.repeat(Effect.flatMap(rt.taskStatus("p/call_0_0"), (o) => Effect.succeed(Option.getOrThrow(o).status)), {
        until: (status) => status !== "running"
      })
      const done = Option.getOrThrow(yield* rt.taskStatus("p/call_0_0"))
      assert.deepStrictEqual(done, {
        taskId: "p/call_0_0",
        agentId: "slow",
        sessionId: "s/call_0_0",
        parentRunId: "p",
        status: "completed",
        output: "found it"
      })
      // the outcome is in the session store, on the child's session
      const saved = (yield* store.listArtifacts("s/call_0_0")).find((a) => a.name === "task")
      assert.strictEqual((saved?.payload as { output?: unknown }).output, "found it")
      const events: Array<RuntimeEvent> = Chunk.toArray(yield* Queue.takeAll(sub))
      const finished = events.find((e) => e.name === "task.finished")
      assert.deepStrictEqual(finished?.payload, { taskId: "p/call_0_0", parentRunId: "p", status: "completed" })
      assert.isTrue(Option.isNone(yield* rt.taskStatus("nope")))
    }).pipe(Effect.provide(services)))

  it.scoped("closing the runtime cancels a running task: its status says cancelled, no lease is left", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const rt = yield* Scope.extend(AgentRuntime.make({ agents }), scope)
      const store = yield* SessionStore
      yield* rt.runDetailed({ agentId: "lead", sessionId: "s", runId: "p", inputText: "go" })
      assert.strictEqual(Option.getOrThrow(yield* rt.taskStatus("p/call_0_0")).status, "running")
      yield* Scope.close(scope, Exit.void)
      const saved = (yield* store.listArtifacts("s/call_0_0")).find((a) => a.name === "task")
      assert.strictEqual((saved?.payload as { status?: string }).status, "cancelled")
      yield* Effect.scoped(store.acquire("s/call_0_0"))
    }).pipe(Effect.provide(services)))

  it.scoped("close() cancels running tasks too", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.make({ agents })
      yield* rt.runDetailed({ agentId: "lead", sessionId: "s", runId: "p", inputText: "go" })
      yield* rt.close
      assert.strictEqual(Option.getOrThrow(yield* rt.taskStatus("p/call_0_0")).status, "cancelled")
    }).pipe(Effect.provide(services)))
})
