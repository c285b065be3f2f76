/**
 * Types a user relies on. `npm test` type-checks this file (tsc), so each `expectTypeOf` and each
 * `@ts-expect-error` is a check; the runs make sure the typed code also works.
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer, Option, Schema, Stream } from "effect"
import { expectTypeOf } from "vitest"
import { ConfigError } from "../../src/kernel/Errors.js"
import type { RuntimeEvent } from "../../src/kernel/EventTaxonomy.js"
import type { RunUsage } from "../../src/kernel/Run.js"
import type { RunStreamChunk } from "../../src/kernel/RunStreamChunk.js"
import * as MockModel from "../../src/llm/MockModel.js"
import * as AgentRuntime from "../../src/runtime/AgentRuntime.js"
import * as Tool from "../../src/tools/Tool.js"
import * as Toolkit from "../../src/tools/Toolkit.js"

class Greeter extends Context.Tag("test/Greeter")<Greeter, { readonly greet: (name: string) => string }>() {}

/** A tool whose handler requires a service: its requirement is the tool's type, then its Toolkit Layer's. */
const Greet = Tool.make("greet", {
  description: "Greets someone",
  parameters: Schema.Struct({ name: Schema.String }),
  handler: ({ name }) => Effect.map(Greeter, (g) => g.greet(name))
})

describe("types a user relies on", () => {
  it("chunk.kind narrows chunk.payload; event.name narrows event.payload", () => {
    const describe = (chunk: RunStreamChunk): string => {
      switch (chunk.kind) {
        case "llm.delta":
          expectTypeOf(chunk.payload).toEqualTypeOf<{ readonly text: string }>()
          return chunk.payload.text
        case "tool.finished":
          expectTypeOf(chunk.payload.callId).toEqualTypeOf<string>()
          return chunk.payload.error ?? "ok"
        case "run.finished":
          expectTypeOf(chunk.result.stopReason).toEqualTypeOf<AgentRuntime.TypedRunResult<unknown>["stopReason"]>()
          return chunk.payload.stopReason
        default:
          // @ts-expect-error: only llm.delta chunks have a text payload
          return chunk.payload.text
      }
    }
    const onEvent = (event: RuntimeEvent) => {
      if (event.name === "usage.updated") expectTypeOf(event.payload.usage).toEqualTypeOf<RunUsage>()
      if (event.name === "memory.failed") expectTypeOf(event.payload.phase).toEqualTypeOf<"inject" | "writeback">()
    }
    assert.isFunction(describe)
    assert.isFunction(onEvent)
  })

  it.effect("finalOutput is typed from outputType", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      const Answer = Schema.Struct({ answer: Schema.String })
      const result = yield* rt.runDetailed({ agentId: "a", inputText: "q", outputType: Answer })
      expectTypeOf(result.finalOutput).toEqualTypeOf<{ readonly answer: string } | null>()
      const output = yield* rt.run({ agentId: "a", inputText: "q", outputType: Answer })
      expectTypeOf(output).toEqualTypeOf<{ readonly answer: string }>()
      assert.deepStrictEqual(output, { answer: "42" })
      const untyped = yield* rt.run({ agentId: "a", inputText: "q" })
      expectTypeOf(untyped).toEqualTypeOf<unknown>()
    }).pipe(Effect.provide(AgentRuntime.layerInMemory({
      agents: [{ id: "a", model: MockModel.layer({ script: [{ text: `{"answer": "42"}` }] }) }]
    }))))

  it.effect("a model Layer may require services and fail with its own errors: the requirement is the runtime Layer's", () =>
    Effect.gen(function*() {
      class ModelConfig extends Context.Tag("test/ModelConfig")<ModelConfig, { readonly name: string }>() {}
      class QuotaError extends Schema.TaggedError<QuotaError>()("QuotaError", { message: Schema.String }) {}
      const configured = Layer.unwrapEffect(Effect.map(ModelConfig, (c) => MockModel.layer({ model: c.name })))
      const runtime = AgentRuntime.layerInMemory({ agents: [{ id: "a", model: configured }] })
      expectTypeOf(runtime).toEqualTypeOf<Layer.Layer<AgentRuntime.AgentRuntime, ConfigError, ModelConfig>>()
      const info = yield* Effect.gen(function*() {
        const rt = yield* AgentRuntime.AgentRuntime
        yield* rt.run({ agentId: "a", inputText: "hi" })
        return yield* rt.getAgentInfo("a")
      }).pipe(Effect.provide(runtime.pipe(Layer.provide(Layer.succeed(ModelConfig, { name: "from-context" })))))
      assert.strictEqual(Option.getOrThrow(info).model, "from-context")

      const failing = Layer.fail(new QuotaError({ message: "no quota left" }))
      const refused = yield* Effect.gen(function*() {
        const rt = yield* AgentRuntime.AgentRuntime
        return yield* Effect.flip(rt.run({ agentId: "b", inputText: "hi" }))
      }).pipe(Effect.provide(AgentRuntime.layerInMemory({ agents: [{ id: "b", model: failing }] })))
      assert.instanceOf(refused, ConfigError)
      assert.match(refused.message, /agents\.b\.model: could not be built: no quota left/)
    }))

  it.effect("a tool whose handler requires a service compiles, and its Toolkit Layer requires that service", () =>
    Effect.gen(function*() {
      expectTypeOf(Greet).toEqualTypeOf<Tool.Tool<{ readonly name: string }, Greeter>>()
      const toolkit = Toolkit.layer(Greet)
      expectTypeOf(toolkit).toEqualTypeOf<Layer.Layer<Toolkit.Toolkit, never, Greeter>>()
      // @ts-expect-error: a tool that requires a service cannot be given to an agent without its Layer
      Toolkit.make(Greet)
      const runtime = AgentRuntime.layerInMemory({ agents: [{ id: "a" }] }).pipe(
        Layer.provide(MockModel.layer()),
        Layer.provide(toolkit),
        Layer.provide(Layer.succeed(Greeter, { greet: (name) => `hello, ${name}` }))
      )
      const chunks = yield* Effect.gen(function*() {
        const rt = yield* AgentRuntime.AgentRuntime
        return yield* Stream.runCollect(rt.runStream({ agentId: "a", inputText: `/tool greet {"name": "Ada"}` }))
      }).pipe(Effect.provide(runtime))
      const finished = [...chunks].find((c) => c.kind === "tool.finished")
      assert.strictEqual(finished?.kind === "tool.finished" ? finished.payload.result : undefined, "hello, Ada")
    }))
})
