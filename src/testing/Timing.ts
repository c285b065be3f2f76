/**
 * Helpers for tests that run real HTTP under the TestClock: real-time polling (the TestClock does not
 * move by itself), waiting for a pending sleep, and driving a forked call's backoffs to completion.
 */
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"

/**
 * Waits `ms` of real time, whatever clock the test runs on.
 *
 * @since 0.1.0
 * @category testing
 */
export const realSleep = (ms: number): Effect.Effect<void> =>
  Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))

/**
 * Polls `condition` in real time until it holds; dies after `timeoutMs` (real) so a broken test fails fast.
 *
 * @since 0.1.0
 * @category testing
 */
export const eventually = <E, R>(
  condition: Effect.Effect<boolean, E, R>,
  what: string,
  timeoutMs = 5_000
): Effect.Effect<void, E, R> =>
  Effect.gen(function* () {
    const deadline = performance.now() + timeoutMs
    while (!(yield* condition)) {
      if (performance.now() > deadline) return yield* Effect.dieMessage(`timed out waiting for ${what}`)
      yield* realSleep(2)
    }
  })

/** The earliest TestClock sleep that ends within `horizonMs` from now, if any. */
const nextSleep = (horizonMs: number): Effect.Effect<Option.Option<number>> =>
  Effect.gen(function* () {
    const now = yield* TestClock.currentTimeMillis
    const ends = Chunk.toReadonlyArray(yield* TestClock.sleeps()).filter((t) => t > now && t - now <= horizonMs)
    return ends.length === 0 ? Option.none() : Option.some(Math.min(...ends) - now)
  })

/**
 * Waits until some fiber sleeps on the TestClock for at most `horizonMs` (a retry backoff), and returns
 * how long that sleep is. Watchdog sleeps (idle timeouts, far longer) are outside the horizon.
  *
  * @since 0.1.0
  * @category testing
 */
export const awaitSleep = (horizonMs = 10_000): Effect.Effect<number> =>
  Effect.gen(function* () {
    let found = Option.none<number>()
    yield* eventually(
      Effect.map(nextSleep(horizonMs), (o) => {
        found = o
        return Option.isSome(o)
      }),
      "a pending sleep on the TestClock"
    )
    return Option.getOrThrow(found)
  })

/**
 * Joins `fiber`, advancing the TestClock through every short sleep it waits on (retry backoffs) and
 * never through the long ones (watchdogs), so retries happen as fast as the server answers.
  *
  * @since 0.1.0
  * @category testing
 */
export const driveClock = <A, E>(fiber: Fiber.RuntimeFiber<A, E>, horizonMs = 10_000): Effect.Effect<Exit.Exit<A, E>> =>
  Effect.gen(function* () {
    const deadline = performance.now() + 10_000
    while (true) {
      const done = yield* Fiber.poll(fiber)
      if (Option.isSome(done)) return done.value
      if (performance.now() > deadline) return yield* Effect.dieMessage("driveClock: the call did not finish")
      const next = yield* nextSleep(horizonMs)
      if (Option.isSome(next)) yield* TestClock.adjust(next.value)
      else yield* realSleep(2)
    }
  })

/**
 * Joins `fiber`, advancing the TestClock by `stepMs` whenever it is not done (a watchdog test: the
 * stalled server will never answer, so only the idle timeout can end the call).
  *
  * @since 0.1.0
  * @category testing
 */
export const adjustUntilDone = <A, E>(fiber: Fiber.RuntimeFiber<A, E>, stepMs: number): Effect.Effect<Exit.Exit<A, E>> =>
  Effect.gen(function* () {
    const deadline = performance.now() + 10_000
    while (true) {
      yield* realSleep(5)
      const done = yield* Fiber.poll(fiber)
      if (Option.isSome(done)) return done.value
      if (performance.now() > deadline) return yield* Effect.dieMessage("adjustUntilDone: the call did not finish")
      yield* TestClock.adjust(stepMs)
    }
  })
