/**
 * `chain` memory: several memories composed in order. Each injects its messages in turn (the first
 * memory's come first); the write-back runs in reverse order, each memory given the session state the one
 * after it returned (the Python SDK's order). Any Memory Layer composes: builtin, loaded from config, or
 * built in code.
 *
 * @since 0.2.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { Memory } from "./Memory.js"

/**
 * Composes memory services.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (memories: ReadonlyArray<Memory["Type"]>): Memory["Type"] => {
  const reversed = [...memories].reverse()
  return Memory.of({
    inject: (state, run) => Effect.map(Effect.forEach(memories, (m) => m.inject(state, run)), (views) => views.flat()),
    writeback: (state, turn) => Effect.reduce(reversed, state, (s, m) => m.writeback(s, turn))
  })
}

/**
 * Composes memory Layers: each is built (in the chain's scope, so a memory holding a resource keeps it
 * while the chain lives) and their services chained in the order given.
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = <E = never, R = never>(
  ...layers: ReadonlyArray<Layer.Layer<Memory, E, R>>
): Layer.Layer<Memory, E, R> =>
  Layer.scoped(
    Memory,
    Effect.map(Effect.forEach(layers, (l) => Effect.map(Layer.build(l), Context.get(Memory))), make)
  )
