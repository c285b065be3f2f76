/**
 * Watching a config file for `dev`: a change (its modification time or size) reloads the runtime, a few
 * writes in a row (an editor's save) reload once, and a failed reload is reported, not fatal.
 *
 * @since 0.2.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import * as Runtime from "effect/Runtime"
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
    const changes = yield* Queue.sliding<void>(1)
    const rt = yield* Effect.runtime<never>()
    // fs.watchFile polls: it survives editors that replace the file on save, where fs.watch loses it
    yield* Effect.acquireRelease(
      Effect.sync(() =>
        fs.watchFile(absolute, { interval: intervalMs, persistent: false }, (now, before) => {
          if (now.mtimeMs !== before.mtimeMs || now.size !== before.size) Runtime.runFork(rt)(Queue.offer(changes, undefined))
        })
      ),
      () => Effect.sync(() => fs.unwatchFile(absolute))
    )
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
      yield* Queue.take(changes)
      // let an editor finish its writes
      yield* Effect.sleep(Duration.millis(50))
      yield* Queue.takeAll(changes)
      yield* ctx.runtime.reload.pipe(
        Effect.catchAll((error) =>
          Effect.sync(() => ctx.notice(`[dev] not reloaded, still running the previous config:\n${formatConfigError(error)}`))
        )
      )
    }
  }).pipe(Effect.scoped)

/**
 * Waits until `file` changes (its modification time or size), polling every `intervalMs`.
 *
 * @since 0.2.0
 * @category watching
 */
export const waitForChange = (file: string, intervalMs: number): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    const absolute = path.resolve(file)
    const listener = (now: fs.Stats, before: fs.Stats) => {
      if (now.mtimeMs !== before.mtimeMs || now.size !== before.size) resume(Effect.void)
    }
    fs.watchFile(absolute, { interval: intervalMs }, listener)
    return Effect.sync(() => fs.unwatchFile(absolute, listener))
  })
