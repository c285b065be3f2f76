/**
 * What a failing memory does to a run, for its injection at the start and its write-back at the end.
 * Private to the runtime.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { Run } from "./env.js"

/** A memory that breaks is reported and skipped (`on_error: continue`) or breaks the run (`fail`). */
export const memoryGuard = <A>(
  run: Run,
  phase: "inject" | "writeback",
  effect: Effect.Effect<A>
): Effect.Effect<Option.Option<A>> =>
  Effect.catchAllCause(Effect.asSome(effect), (cause) =>
    run.agent.memoryOnError === "fail"
      ? Effect.failCause(cause)
      : Effect.sync(() => {
        run.emitter.emit("memory.failed", { phase, error: Cause.pretty(cause).split("\n")[0] ?? "" })
        return Option.none()
      }))
