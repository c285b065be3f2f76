import * as MockModel from "../../src/llm/MockModel.js"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Stream } from "effect"
import * as EventBus from "../../src/events/EventBus.js"
import { Memory } from "../../src/memory/Memory.js"
import * as AgentRuntime from "../../src/runtime/AgentRuntime.js"
import * as InMemorySessionStore from "../../src/sessions/InMemorySessionStore.js"
import { SessionStore } from "../../src/sessions/SessionStore.js"
import * as Skills from "../../src/skills/Skills.js"
import * as Toolkit from "../../src/tools/Toolkit.js"
import { Add, collect, runtimeLayer, scripted, withEvents } from "../support/runtime.js"

describe("robustness", () => {
  it.effect("ending a stream early while its chunk queue is full does not hang the run or its session", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      const first = yield* collect(rt.runStream({ agentId: "a", sessionId: "s", inputText: "many words in this answer" }).pipe(Stream.take(1)))
      assert.strictEqual(first.length, 1)
      // the session is free again: the next run completes
      const next = yield* rt.runDetailed({ agentId: "a", sessionId: "s", inputText: "again" })
      assert.strictEqual(next.stopReason, "completed")
    }).pipe(Effect.provide(runtimeLayer([{ id: "a", eventQueueSize: 1 }]))))

  it.effect("an output schema of draft 2020-12 is used; a schema that cannot compile fails the run, it does not hang", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      const ok = yield* rt.runDetailed({ agentId: "modern", inputText: "q" })
      assert.strictEqual(ok.stopReason, "completed")
      assert.deepStrictEqual(ok.finalOutput, { n: 1 })
      const broken = yield* rt.runDetailed({ agentId: "broken", inputText: "q" })
      assert.strictEqual(broken.stopReason, "failed")
      assert.strictEqual(broken.error?.tag, "ConfigError")
      assert.match(broken.error!.message, /output_schema: is not a valid JSON Schema/)
    }).pipe(Effect.provide(runtimeLayer([
      {
        id: "modern",
        outputSchema: {
          $schema: "https://json-schema.org/draft/2020-12/schema",
          type: "object",
          properties: { n: { type: "integer" } },
          required: ["n"],
          $defs: { unused: { type: "string" } }
        },
        model: scripted([{ text: `{"n": 1}` }])
      },
      { id: "broken", outputSchema: { type: "objekt" }, model: scripted([{ text: "{}" }]) }
    ]))))

  it.effect("the session lease is released only after the run's messages and memory are saved", () =>
    Effect.gen(function*() {
      const inner = yield* InMemorySessionStore.make
      const log: Array<string> = []
      const store = SessionStore.of({
        ...inner,
        acquire: (id) => Effect.zipRight(inner.acquire(id), Effect.addFinalizer(() => Effect.sync(() => log.push("release")))),
        appendMessages: (id, m) => Effect.zipRight(Effect.sync(() => log.push("messages")), inner.appendMessages(id, m)),
        setState: (id, s) => Effect.zipRight(Effect.sync(() => log.push("state")), inner.setState(id, s))
      })
      yield* Effect.flatMap(AgentRuntime.AgentRuntime, (rt) => rt.runDetailed({ agentId: "a", inputText: "x" })).pipe(
        Effect.provide(AgentRuntime.layer({ agents: [{ id: "a", model: MockModel.layer() }] }).pipe(
          Layer.provide(Layer.mergeAll(Layer.succeed(SessionStore, store), EventBus.layer(), Skills.layerNone))
        ))
      )
      assert.deepStrictEqual(log, ["messages", "state", "release"])
    }))

  const brokenMemory = Layer.succeed(Memory, Memory.of({ inject: () => Effect.die(new Error("memory down")), writeback: (s) => Effect.succeed(s) }))

  it.effect("a failing memory is skipped with memory.failed (on_error continue) or fails the run (fail)", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      const [ok, events] = yield* withEvents(rt.runDetailed({ agentId: "lenient", inputText: "x" }))
      assert.strictEqual(ok.stopReason, "completed")
      assert.strictEqual(events.find((e) => e.name === "memory.failed")?.payload["phase"], "inject")
      const strict = yield* rt.runDetailed({ agentId: "strict", inputText: "x" })
      assert.strictEqual(strict.stopReason, "failed")
      assert.match(strict.error!.message, /memory down/)
    }).pipe(Effect.provide(runtimeLayer([
      { id: "lenient", memory: brokenMemory },
      { id: "strict", memory: brokenMemory, memoryOnError: "fail" }
    ]))))

  it.effect("the context assembler's metadata lands in the result; a Toolkit in the context is the default tools", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      const r = yield* rt.runDetailed({ agentId: "a", inputText: `/tool add {"a": 1, "b": 1}` })
      assert.strictEqual(r.finalOutput, "Tool[add] => 2")
      assert.deepStrictEqual(r.metadata["context"], { assembler: "passthrough" })
    }).pipe(Effect.provide(runtimeLayer([{ id: "a" }])), Effect.provide(Toolkit.layer(Add))))

  it.effect("a scripted tool call keeps the id the script gives it", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      const chunks = yield* collect(rt.runStream({ agentId: "a", inputText: "x" }))
      assert.strictEqual(chunks.find((c) => c.kind === "tool.started")?.payload["callId"], "my-call")
    }).pipe(Effect.provide(runtimeLayer([{
      id: "a",
      tools: [Add],
      model: scripted([{ toolCalls: [{ id: "my-call", name: "add", arguments: { a: 1, b: 2 } }] }, { text: "done" }])
    }]))))
})

