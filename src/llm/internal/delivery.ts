/**
 * How the events a provider's SDK yields reach the provider's handler (`onEvent` of `streamEvents` in
 * transport.ts): the loop that reads the SDK's iterator, and the hand-over to the calling fiber.
 * Private to the providers.
 */
import * as Effect from "effect/Effect"
import type { LlmError } from "../../kernel/Errors.js"
import type { Activity } from "./activity.js"

/** The events the SDK-boundary loop has read and the fiber has not taken yet. */
class EventBuffer<A> {
  private items: Array<A> = []
  private head = 0

  push(a: A): void {
    this.items.push(a)
  }

  get size(): number {
    return this.items.length - this.head
  }

  /** The next event; call only when `size > 0`. */
  take(): A {
    const a = this.items[this.head++]!
    if (this.head === this.items.length) {
      this.items = []
      this.head = 0
    }
    return a
  }
}

/**
 * Events after which the fiber is woken at once rather than after the chunk at hand: a network read can
 * hold hundreds of events, and keeping them all until the fiber drains them costs more in GC than the
 * extra wakes.
 */
const WAKE_BATCH = 32

/** What `onEvent` returned that the fiber must run: neither `undefined` nor `Effect.void` (nothing to do). */
export const isWork = <E>(effect: Effect.Effect<void, E> | undefined): effect is Effect.Effect<void, E> =>
  effect !== undefined && effect !== Effect.void

/**
 * How events go from the SDK-boundary loop to `onEvent`, in order. While the fiber waits with nothing
 * to do, the loop hands each event to `onEvent` itself: an event with nothing to run (`undefined` or
 * `Effect.void`, as the run loop's sink returns) then costs no wake and no step of the fiber. The first
 * event that returns work is kept for the fiber, which is woken to run it; from then on events are
 * buffered, and the fiber hands them to `onEvent` itself, until it has nothing left and waits again.
 * So `onEvent` is never called while an effect it returned before has not run to its end.
 */
export class Delivery<A> {
  readonly buffer = new EventBuffer<A>()
  /** The work an event handed over in the loop returned (or the defect it threw), for the fiber. */
  pending: Effect.Effect<void, LlmError> | undefined = undefined

  constructor(
    private readonly activity: Activity,
    private readonly onEvent: (event: A) => Effect.Effect<void, LlmError> | undefined
  ) {}

  /** In the SDK-boundary loop: one event. */
  offer(event: A): void {
    const activity = this.activity
    if (activity.waiting && this.pending === undefined && this.buffer.size === 0) {
      let work: Effect.Effect<void, LlmError> | undefined
      try {
        work = this.onEvent(event)
      } catch (e) {
        // As if thrown in the fiber: a defect, after the events before it.
        work = Effect.die(e)
      }
      if (isWork(work)) {
        this.pending = work
        // After the chunk at hand, as for buffered events: the events of the same read join the buffer.
        activity.signalSoon()
      }
      return
    }
    this.buffer.push(event)
    if (this.buffer.size >= WAKE_BATCH) activity.signal()
    else activity.signalSoon()
  }

  /** In the fiber: the next work, `undefined` when there is none left. */
  next(): Effect.Effect<void, LlmError> | undefined {
    const pending = this.pending
    if (pending !== undefined) {
      this.pending = undefined
      return pending
    }
    const buffer = this.buffer
    while (buffer.size > 0) {
      const work = this.onEvent(buffer.take())
      if (isWork(work)) return work
    }
    return undefined
  }

  get ready(): boolean {
    return this.pending !== undefined || this.buffer.size > 0
  }
}

/**
 * Reads the SDK's iterator into `delivery` up to the first event `isTerminal` accepts, then on to the
 * end of the body without keeping anything, so that the connection can be reused.
 */
export const pump = async <A>(
  iterator: AsyncIterator<A>,
  isTerminal: (event: A) => boolean,
  delivery: Delivery<A>,
  activity: Activity
): Promise<void> => {
  try {
    while (true) {
      const result = await iterator.next()
      if (activity.stopped || activity.failure !== undefined) return
      // The SDKs end quietly when the signal was aborted; anything else is the end of the body.
      if (result.done) {
        activity.complete = true
        return activity.end()
      }
      if (activity.terminal) continue
      if (isTerminal(result.value)) activity.terminal = true
      delivery.offer(result.value)
    }
  } catch (e) {
    if (activity.terminal) activity.end()
    else activity.fail(e)
  }
}

