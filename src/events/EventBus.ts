/**
 * The event bus: every run publishes its events here (see `EventTaxonomy`), subscribers get them through
 * a `PubSub`, and a bounded history keeps the most recent ones.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as PubSub from "effect/PubSub"
import type * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import type { RuntimeEvent } from "../kernel/EventTaxonomy.js"

/**
 * What an event bus implements.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly publish: (event: RuntimeEvent) => Effect.Effect<void>
  /**
   * The same as `publish`, synchronously: the run loop's path (about 5 ns instead of an Effect per
   * event). The bus never blocks a publisher, so nothing is lost by not waiting.
   */
  readonly unsafePublish: (event: RuntimeEvent) => void
  /** A subscription that receives every event published after it was made, until its scope closes. */
  readonly subscribe: Effect.Effect<Queue.Dequeue<RuntimeEvent>, never, Scope.Scope>
  /** The most recent events, oldest first, optionally only those named `name`. */
  readonly history: (options?: { readonly name?: string; readonly limit?: number }) => Effect.Effect<ReadonlyArray<RuntimeEvent>>
  readonly clearHistory: Effect.Effect<void>
}

/**
 * The runtime's event bus.
 *
 * @since 0.1.0
 * @category tags
 */
export class EventBus extends Context.Tag("openagents/EventBus")<EventBus, Service>() {}

/**
 * A bus on an unbounded `PubSub` (publishing never blocks a run) with a ring of the last `maxHistory`
 * events.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: { readonly maxHistory?: number }): Effect.Effect<Service, never, Scope.Scope> =>
  Effect.gen(function*() {
    const maxHistory = options?.maxHistory ?? 10_000
    const pubsub = yield* Effect.acquireRelease(PubSub.unbounded<RuntimeEvent>(), PubSub.shutdown)
    let ring: Array<RuntimeEvent> = []
    const unsafePublish = (event: RuntimeEvent): void => {
      if (maxHistory > 0) {
        ring.push(event)
        if (ring.length > maxHistory * 2) ring = ring.slice(-maxHistory)
      }
      pubsub.unsafeOffer(event)
    }
    return EventBus.of({
      publish: (event) => Effect.sync(() => unsafePublish(event)),
      unsafePublish,
      subscribe: PubSub.subscribe(pubsub),
      history: (filter) =>
        Effect.sync(() => {
          let events = ring.length > maxHistory ? ring.slice(-maxHistory) : ring
          if (filter?.name !== undefined) events = events.filter((e) => e.name === filter.name)
          if (filter?.limit !== undefined) events = events.slice(-filter.limit)
          return [...events]
        }),
      clearHistory: Effect.sync(() => {
        ring = []
      })
    })
  })

/**
 * The PubSub event bus as a Layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: { readonly maxHistory?: number }): Layer.Layer<EventBus> =>
  Layer.scoped(EventBus, make(options))
