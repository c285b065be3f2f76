/**
 * Functions given by users (a policy's `evaluate`, hooks), from TypeScript or from a plain `.mjs` module:
 * they may return a value, a Promise or an Effect, and may throw. All of it becomes one Effect.
 */
import * as Effect from "effect/Effect"

const isPromiseLike = (u: unknown): u is PromiseLike<unknown> =>
  typeof u === "object" && u !== null && typeof (u as { then?: unknown }).then === "function"

/** Calls `f` and turns what it returns (or throws, or rejects with) into an Effect. */
export const call = <A>(f: () => unknown): Effect.Effect<A, unknown> =>
  Effect.suspend(() => {
    let out: unknown
    try {
      out = f()
    } catch (error) {
      return Effect.fail(error)
    }
    if (Effect.isEffect(out)) return out as Effect.Effect<A, unknown>
    if (isPromiseLike(out)) return Effect.tryPromise({ try: () => Promise.resolve(out as PromiseLike<A>), catch: (e) => e })
    return Effect.succeed(out as A)
  })

/** A readable message of anything thrown or failed with. */
export const messageOf = (error: unknown): string => {
  if (error instanceof Error) return error.message || error.name
  if (typeof error === "string") return error
  if (typeof error === "object" && error !== null && typeof (error as { message?: unknown }).message === "string") {
    return (error as { message: string }).message
  }
  return String(error)
}
