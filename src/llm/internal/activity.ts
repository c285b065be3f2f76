/**
 * One provider request's liveness, shared by the calling fiber, the watchdog and the loop that reads
 * the SDK (see transport.ts). Private to the providers.
 */
import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"

/**
 * One request's liveness: when bytes last arrived (on the Effect clock of the request), whether the
 * response is complete, and the first failure, if any. The watchdog and the SDK-boundary loops write
 * it; the requesting fiber parks on it when it has nothing to do.
 */
export class Activity {
  last: number
  /** Nothing more will arrive: the watchdog stands down. */
  ended = false
  /** The body was read to its end: no abort needed, the connection can be reused. */
  complete = false
  /** The response is whole (its terminal event arrived): a silence or an error after it is no failure. */
  terminal = false
  /** The request was abandoned (its scope closed): late SDK errors are nobody's business. */
  stopped = false
  failure: { readonly error: unknown } | undefined = undefined
  /** The watchdog fiber, once started. */
  watchdog: Fiber.RuntimeFiber<void> | undefined = undefined
  private wake: (() => void) | undefined = undefined

  constructor(readonly clock: Clock.Clock) {
    this.last = clock.unsafeCurrentTimeMillis()
  }

  readonly touch = (): void => {
    this.last = this.clock.unsafeCurrentTimeMillis()
  }

  /** Records the first failure and wakes the fiber. */
  fail(error: unknown): void {
    if (this.failure !== undefined || this.stopped) return
    this.failure = { error }
    this.signal()
  }

  end(): void {
    this.ended = true
    this.signal()
  }

  private deferred = false

  /**
   * Wakes the fiber once the SDK has parsed the events of the chunk at hand: one wake per network read
   * rather than per event. Waking at once would resume the fiber (a scheduler hop and a new park) for
   * every event, since the SDK's generator hands them over one microtask at a time. `setImmediate` runs
   * after those microtasks; it orders work and measures no time, so the TestClock is not concerned.
   */
  signalSoon(): void {
    if (this.wake === undefined || this.deferred) return
    this.deferred = true
    defer(() => {
      this.deferred = false
      this.signal()
    })
  }

  /** Whether the fiber is suspended in {@link park}, with nothing to do. */
  get waiting(): boolean {
    return this.wake !== undefined
  }

  signal(): void {
    const wake = this.wake
    if (wake !== undefined) {
      this.wake = undefined
      wake()
    }
  }

  /** Suspends the fiber until `signal`; `ready` is checked first so a signal is never lost. */
  park(ready: () => boolean): Effect.Effect<void> {
    return Effect.async<void>((resume) => {
      if (ready()) return resume(Effect.void)
      this.wake = () => resume(Effect.void)
    })
  }

  stop(): void {
    this.stopped = true
    this.wake = undefined
  }
}

/** After the current microtasks (Node, Bun, Deno have `setImmediate`; elsewhere a microtask). */
const defer: (f: () => void) => void =
  typeof globalThis.setImmediate === "function" ? (f) => void globalThis.setImmediate(f) : (f) => queueMicrotask(f)

