/**
 * The result of a run for the caller that waits for it: completed once by the run's fiber (the first
 * completion wins), awaited by the caller. Not a `Deferred`: `Deferred.unsafeMake` spreads Effect's
 * prototype into each instance (about 9 µs and half a kilobyte a run here), and `Deferred.await` wraps
 * its wait in an uninterruptible region with a canceler, three frames on the caller's fiber for the
 * whole run. An `Effect.async` without a canceler is one frame: interrupting the caller resumes it
 * with the interruption, and the run's later completion finds its resume already used, which the fiber
 * ignores. Private to the runtime.
 */
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"

export class PendingResult<A> {
  private exit: Exit.Exit<A> | undefined = undefined
  private waiters: Array<(exit: Exit.Exit<A>) => void> | undefined = undefined

  /** Completes it with `exit`, unless it is completed already; wakes whoever waits. */
  done(exit: Exit.Exit<A>): void {
    if (this.exit !== undefined) return
    this.exit = exit
    const waiters = this.waiters
    this.waiters = undefined
    if (waiters !== undefined) for (const resume of waiters) resume(exit)
  }

  /** Waits for the result; interruptible. */
  await(): Effect.Effect<A> {
    // one parameter: Effect.async gives a register of any other arity an AbortController
    return Effect.async<A>((resume) => {
      if (this.exit !== undefined) resume(this.exit)
      else (this.waiters ??= []).push(resume)
    })
  }
}
