/**
 * Test helpers for runtimes: a runtime over in-memory parts, scripted mock models, collected events.
 */
import { Chunk, Effect, Layer, Queue, Schema, Stream } from "effect"
import * as EventBus from "../../src/events/EventBus.js"
import type { RuntimeEvent } from "../../src/kernel/EventTaxonomy.js"
import type { RunStreamChunk } from "../../src/kernel/RunStreamChunk.js"
import * as MockModel from "../../src/llm/MockModel.js"
import type { AgentDefinition } from "../../src/runtime/Agent.js"
import * as AgentRuntime from "../../src/runtime/AgentRuntime.js"
import * as InMemorySessionStore from "../../src/sessions/InMemorySessionStore.js"
import * as Skills from "../../src/skills/Skills.js"
import * as Tool from "../../src/tools/Tool.js"

export const Add = Tool.make("add", {
  description: "Adds two numbers",
  parameters: Schema.Struct({ a: Schema.Number, b: Schema.Number }),
  handler: ({ a, b }) => Effect.succeed(a + b)
})

export const scripted = (script: ReadonlyArray<MockModel.MockStep>, pricing?: MockModel.Options["pricing"]) =>
  MockModel.layer({ script, pricing })

/** Runtime plus the bus it publishes to, as one layer; agents without a model of their own echo. */
export const runtimeLayer = (agents: ReadonlyArray<AgentDefinition>) => {
  const base = Layer.mergeAll(InMemorySessionStore.layer, EventBus.layer(), Skills.layerNone)
  return Layer.merge(AgentRuntime.layer({ agents }).pipe(Layer.provide(base), Layer.provide(MockModel.layer())), base)
}

export const collect = (stream: Stream.Stream<RunStreamChunk, unknown>) =>
  Effect.map(Stream.runCollect(stream), Chunk.toReadonlyArray)

/** Events published while `effect` runs. */
export const withEvents = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.scoped(
    Effect.gen(function*() {
      const bus = yield* EventBus.EventBus
      const sub = yield* bus.subscribe
      const value = yield* effect
      const events: Array<RuntimeEvent> = Chunk.toArray(yield* Queue.takeAll(sub))
      return [value, events] as const
    })
  )
