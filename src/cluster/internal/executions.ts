/**
 * The runs a runner executes, by run id, detached from the entity call that asked for them: a shard
 * moving away (which interrupts its entities) does not cancel a run; the new owner waits for it on the
 * session's lease. Each run's chunks go to a replaying PubSub, so a second delivery of the same request
 * (or a Watch) joins the run from its first chunk. At most `limit` runs execute at a time, admitted in
 * arrival order.
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as FiberMap from "effect/FiberMap"
import * as PubSub from "effect/PubSub"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { RunStreamChunk } from "../../kernel/RunStreamChunk.js"

/** What a run's PubSub carries: its chunks, then its end (an error when it could not start). */
export type Item =
  | { readonly _tag: "chunk"; readonly chunk: RunStreamChunk }
  | { readonly _tag: "end"; readonly error?: unknown }

interface Execution {
  readonly pubsub: PubSub.PubSub<Item>
  /** Done at the run's first chunk (it has its place in the runtime's session lane) or its end. */
  readonly started: Deferred.Deferred<void>
}

/** A run's chunks, and when it has started. */
export interface Joined {
  readonly items: Stream.Stream<Item>
  readonly started: Effect.Effect<void>
}

/** A FIFO limit on runs executing at once (Effect's Semaphore does not promise order under contention). */
export class Limiter {
  private free: number
  private readonly waiters: Array<Deferred.Deferred<void>> = []
  constructor(readonly limit: number) {
    this.free = limit
  }
  get queued(): number {
    return this.waiters.length
  }
  get active(): number {
    return this.limit - this.free
  }
  private readonly take = Effect.suspend(() => {
    if (this.free > 0 && this.waiters.length === 0) {
      this.free--
      return Effect.void
    }
    const waiter = Deferred.unsafeMake<void>(undefined as never)
    this.waiters.push(waiter)
    return Deferred.await(waiter).pipe(
      Effect.onInterrupt(() =>
        Effect.sync(() => {
          const i = this.waiters.indexOf(waiter)
          if (i >= 0) this.waiters.splice(i, 1)
          // a permit handed over just as the waiter left goes on to the next
          else this.give()
        })
      )
    )
  })
  private give(): void {
    const next = this.waiters.shift()
    if (next) Deferred.unsafeDone(next, Effect.void)
    else this.free++
  }
  /** Waiting for the permit is interruptible (a cancelled run leaves the queue); the permit is always given back. */
  readonly withPermit = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(restore(this.take), () => Effect.ensuring(restore(effect), Effect.sync(() => this.give())))
    )
}

export interface Executions {
  /** The run's chunks, from its first: a run already executing here is joined, else `start` starts it. */
  readonly join: (
    runId: string,
    start: () => Stream.Stream<RunStreamChunk, unknown>
  ) => Effect.Effect<Joined>
  /** The run's chunks when it executes here. */
  readonly attach: (runId: string) => Effect.Effect<Stream.Stream<Item> | undefined>
  readonly has: (runId: string) => boolean
  readonly limiter: Limiter
  readonly size: () => number
}

const subscribe = (execution: Execution): Effect.Effect<Stream.Stream<Item>, never, Scope.Scope> =>
  Effect.map(PubSub.subscribe(execution.pubsub), (queue) =>
    Stream.fromQueue(queue).pipe(Stream.takeUntil((item) => item._tag === "end")))

export const make = (limit: number): Effect.Effect<Executions, never, Scope.Scope> =>
  Effect.gen(function*() {
    const fibers = yield* FiberMap.make<string>()
    const running = new Map<string, Execution>()
    const limiter = new Limiter(limit)

    /** A subscription made now (so nothing is missed), read by whoever pulls the stream. */
    const streamOf = (execution: Execution) =>
      Stream.unwrapScoped(subscribe(execution))

    const join: Executions["join"] = (runId, start) =>
      Effect.gen(function*() {
        const existing = running.get(runId)
        if (existing) return { items: streamOf(existing), started: Deferred.await(existing.started) }
        const pubsub = yield* PubSub.unbounded<Item>({ replay: Number.MAX_SAFE_INTEGER })
        const started = yield* Deferred.make<void>()
        const execution: Execution = { pubsub, started }
        running.set(runId, execution)
        const body = limiter.withPermit(
          Stream.runForEach(start(), (chunk) =>
            Effect.zipRight(PubSub.publish(pubsub, { _tag: "chunk", chunk }), Deferred.succeed(started, undefined)))
        ).pipe(
          Effect.matchCauseEffect({
            onSuccess: () => PubSub.publish(pubsub, { _tag: "end" }),
            onFailure: (cause) => PubSub.publish(pubsub, { _tag: "end", error: cause })
          }),
          Effect.ensuring(Effect.zipRight(Deferred.succeed(started, undefined), Effect.sync(() => running.delete(runId))))
        )
        yield* FiberMap.run(fibers, runId, body)
        return { items: streamOf(execution), started: Deferred.await(started) }
      })

    return {
      join,
      attach: (runId) => Effect.sync(() => {
        const existing = running.get(runId)
        return existing ? streamOf(existing) : undefined
      }),
      has: (runId) => running.has(runId),
      limiter,
      size: () => running.size
    }
  })
