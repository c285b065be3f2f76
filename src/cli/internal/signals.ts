/**
 * Waiting for the end of a long-running command (`serve`, `runner`).
 *
 * @since 0.5.0
 */
import * as Effect from "effect/Effect"

/**
 * Resolves at the first SIGINT or SIGTERM, with its name.
 *
 * @since 0.5.0
 * @category helpers
 */
export const signalled = Effect.async<string>((resume) => {
  const on = (signal: string) => () => resume(Effect.succeed(signal))
  const int = on("SIGINT")
  const term = on("SIGTERM")
  process.once("SIGINT", int)
  process.once("SIGTERM", term)
  return Effect.sync(() => {
    process.off("SIGINT", int)
    process.off("SIGTERM", term)
  })
})
