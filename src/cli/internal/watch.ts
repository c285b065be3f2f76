/**
 * Watching a config file for `dev`: a change (its modification time or size) reloads the runtime, a few
 * writes in a row (an editor's save) reload once, and a failed reload is reported, not fatal.
 *
 * @since 0.2.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import * as Schedule from "effect/Schedule"
import * as fs from "node:fs"
import * as path from "node:path"
import type { ReplContext } from "./repl.js"
import { formatConfigError } from "./configErrors.js"

/**
 * Polls `file` every `intervalMs` and reloads the runtime on a change, reporting each reload (which
 * agents changed) or its config errors through `ctx.notice`, for as long as the scope lasts.
 *
 * @since 0.2.0
 * @category watching
 */
export const watchAndReload = (file: string, intervalMs: number) => (ctx: ReplContext) =>
  Effect.gen(function*() {
    const absolute = path.resolve(file)
    const name = path.basename(absolute)
    // polled against a stamp taken now, before "watching" is said: a change saved right after the notice
    // is seen (fs.watchFile takes its first stat later, and would miss it); polling also survives editors
    // that replace the file on save, where fs.watch loses it
    let last = stampOf(absolute)
    const events = yield* ctx.bus.subscribe
    const reloaded = Queue.take(events).pipe(
      Effect.flatMap((event) =>
        Effect.sync(() => {
          if (event.name !== "config.reloaded") return
          const { added, agents, removed } = event.payload
          const parts = [
            agents.length > 0 ? `changed ${agents.join(", ")}` : "",
            added.length > 0 ? `added ${added.join(", ")}` : "",
            removed.length > 0 ? `removed ${removed.join(", ")}` : ""
          ].filter((p) => p !== "")
          ctx.notice(`[dev] reloaded ${name}: ${parts.length > 0 ? parts.join("; ") : "no agent changed"}`)
        })
      ),
      Effect.forever
    )
    yield* Effect.forkScoped(reloaded)
    ctx.notice(`[dev] watching ${name}; a saved change reloads its agents`)
    while (true) {
      yield* Effect.sleep(Duration.millis(intervalMs))
      const now = stampOf(absolute)
      if (now === last) continue
      // let an editor finish its writes
      yield* Effect.sleep(Duration.millis(50))
      last = stampOf(absolute)
      yield* ctx.runtime.reload.pipe(
        Effect.catchAll((error) =>
          Effect.sync(() => ctx.notice(`[dev] not reloaded, still running the previous config:\n${formatConfigError(error)}`))
        )
      )
    }
  }).pipe(Effect.scoped)

/**
 * Waits until `file` changes (its modification time or size) from what it is when called, polling every
 * `intervalMs`; `onWatching` runs once that state is taken (say "waiting" there, not before).
 *
 * @since 0.2.0
 * @category watching
 */
export const waitForChange = (file: string, intervalMs: number, onWatching?: () => void): Effect.Effect<void> =>
  Effect.suspend(() => {
    const absolute = path.resolve(file)
    const baseline = stampOf(absolute)
    onWatching?.()
    return Effect.asVoid(
      Effect.repeat(Effect.sync(() => stampOf(absolute)), {
        schedule: Schedule.spaced(Duration.millis(intervalMs)),
        until: (stamp) => stamp !== baseline
      })
    )
  })

/** What tells a change of a file: its modification time and size (or that it is missing). */
const stampOf = (file: string): string => {
  try {
    const stat = fs.statSync(file)
    return `${stat.mtimeMs}:${stat.size}`
  } catch {
    return "missing"
  }
}
