/**
 * The runs a runner executes, by run id, detached from the entity call that asked for them: a shard
 * moving away (which interrupts its entities) does not cancel a run; the new owner waits for it on the
 * session's lease. Each run's chunks go to a replaying PubSub, so a second delivery of the same request
 * (or a Watch) joins the run from its first chunk. At most `limit` runs execute at a time, admitted in
 * arrival order.
 *
 * A runner that drains hands back the runs still waiting for a slot (`handBack`: they end without a
 * result and never start here) and waits for the others (`whenIdle`).
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as FiberMap from "effect/FiberMap"
import * as PubSub from "effect/PubSub"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { RunStreamChunk } from "../../kernel/RunStreamChunk.js"

/**
 * What a run's PubSub carries: its chunks, then its end (an error when it could not start; `handedBack`
 * when a draining runner gave it back before it started: its stream ends without a result).
 */
export type Item =
  | { readonly _tag: "chunk"; readonly chunk: RunStreamChunk }
  | { readonly _tag: "end"; readonly error?: unknown; readonly handedBack?: true }

interface Execution {
  readonly pubsub: PubSub.PubSub<Item>
  /** Done at the run's first chunk (it has its place in the runtime's session lane) or its end. */
  readonly started: Deferred.Deferred<void>
  readonly durable: boolean
  /** It holds a slot of the limit (its run was started on the runtime). */
  slotted: boolean
  /** Given back by a draining runner: it must not start here. */
  handedBack: boolean
}

/** A run executing here, as a draining runner sees it. */
export interface Executing {
  readonly runId: string
  readonly durable: boolean
  /** It holds a slot (started on the runtime); else it waits for one. */
  readonly slotted: boolean
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
    durable: boolean,
    start: () => Stream.Stream<RunStreamChunk, unknown>
  ) => Effect.Effect<Joined>
  /** The run's chunks when it executes here. */
  readonly attach: (runId: string) => Effect.Effect<Stream.Stream<Item> | undefined>
  readonly has: (runId: string) => boolean
  readonly limiter: Limiter
  readonly size: () => number
  /** The runs executing here (those waiting for a slot too). */
  readonly list: () => ReadonlyArray<Executing>
  /** Done when no run executes here (at once when none does). */
  readonly whenIdle: Effect.Effect<void>
  /** Done when none of these runs executes here any more. */
  readonly whenDone: (runIds: ReadonlyArray<string>) => Effect.Effect<void>
  /**
   * Gives back the runs still waiting for a slot: they will not start here; `release` gives each back
   * (in the runs table), then its stream ends without a result (the client submits again, to the
   * session's next runner). The runs given back.
   */
  readonly handBack: (release: (runId: string) => Effect.Effect<void>) => Effect.Effect<ReadonlyArray<string>>
}

const subscribe = (execution: Execution): Effect.Effect<Stream.Stream<Item>, never, Scope.Scope> =>
  Effect.map(PubSub.subscribe(execution.pubsub), (queue) =>
    Stream.fromQueue(queue).pipe(Stream.takeUntil((item) => item._tag === "end")))

export const make = (limit: number): Effect.Effect<Executions, never, Scope.Scope> =>
  Effect.gen(function*() {
    const fibers = yield* FiberMap.make<string>()
    const running = new Map<string, Execution>()
    const limiter = new Limiter(limit)
    // those waiting for runs to end: checked whenever one ends
    const waiters = new Set<{ readonly done: () => boolean; readonly deferred: Deferred.Deferred<void> }>()
    const ended = () => {
      for (const w of waiters) {
        if (w.done()) {
          waiters.delete(w)
          Deferred.unsafeDone(w.deferred, Effect.void)
        }
      }
    }
    const whenTrue = (done: () => boolean): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (done()) return Effect.void
        const deferred = Deferred.unsafeMake<void>(undefined as never)
        const waiter = { done, deferred }
        waiters.add(waiter)
        return Deferred.await(deferred).pipe(Effect.ensuring(Effect.sync(() => waiters.delete(waiter))))
      })

    /** A subscription made now (so nothing is missed), read by whoever pulls the stream. */
    const streamOf = (execution: Execution) =>
      Stream.unwrapScoped(subscribe(execution))

    const join: Executions["join"] = (runId, durable, start) =>
      Effect.gen(function*() {
        const existing = running.get(runId)
        if (existing) return { items: streamOf(existing), started: Deferred.await(existing.started) }
        const pubsub = yield* PubSub.unbounded<Item>({ replay: Number.MAX_SAFE_INTEGER })
        const started = yield* Deferred.make<void>()
        const execution: Execution = { pubsub, started, durable, slotted: false, handedBack: false }
        running.set(runId, execution)
        const body = limiter.withPermit(
          Effect.suspend(() => {
            // given back while it waited for its slot: it starts on the session's next runner, not here
            if (execution.handedBack) return Effect.void
            execution.slotted = true
            return Stream.runForEach(start(), (chunk) =>
              Effect.zipRight(PubSub.publish(pubsub, { _tag: "chunk", chunk }), Deferred.succeed(started, undefined)))
          })
        ).pipe(
          Effect.matchCauseEffect({
            // a run given back had its end published then (`handBack`)
            onSuccess: () => execution.handedBack ? Effect.void : PubSub.publish(pubsub, { _tag: "end" }),
            onFailure: (cause) => PubSub.publish(pubsub, { _tag: "end", error: cause })
          }),
          Effect.ensuring(Effect.zipRight(
            Deferred.succeed(started, undefined),
            Effect.sync(() => {
              running.delete(runId)
              ended()
            })
          ))
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
      size: () => running.size,
      list: () => [...running].map(([runId, e]) => ({ runId, durable: e.durable, slotted: e.slotted })),
      whenIdle: whenTrue(() => running.size === 0),
      whenDone: (runIds) => whenTrue(() => runIds.every((id) => !running.has(id))),
      handBack: (release) => Effect.gen(function*() {
        const waiting = [...running].filter(([, e]) => !e.slotted && !e.handedBack)
        for (const [, e] of waiting) e.handedBack = true
        for (const [runId, e] of waiting) {
          yield* release(runId)
          yield* PubSub.publish(e.pubsub, { _tag: "end", handedBack: true })
        }
        // they leave the queue for a slot now (their fiber is interrupted there)
        for (const [runId] of waiting) yield* FiberMap.remove(fibers, runId)
        return waiting.map(([runId]) => runId)
      })
    }
  })
