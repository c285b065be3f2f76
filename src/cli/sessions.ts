/**
 * `openagents sessions list|show|delete CONFIG ...`: what the config's session store holds.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { JournalEntry, SessionArtifact, SessionCheckpoint, SessionMessage } from "../kernel/Session.js"
import { configArg, formatOption, sessionArg } from "./internal/args.js"
import { printLine } from "./internal/exit.js"
import { clip, formatMessage, openStore, requireSession, storeFailure } from "./internal/store.js"

/** The stop reason of a run's last `run_finished` entry, if any. */
const lastStop = (entries: ReadonlyArray<JournalEntry>): string | null => {
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i]!
    if (e.kind === "run_finished") return String((e.payload as { stopReason?: unknown })?.stopReason ?? "finished")
  }
  return null
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`

// ---------------------------------------------------------------------------------------------------------
// list
// ---------------------------------------------------------------------------------------------------------

const list = Command.make("list", { config: configArg, format: formatOption }, ({ config, format }) =>
  Effect.scoped(
    Effect.gen(function*() {
      const opened = yield* openStore(config)
      const { store } = opened
      const rows = yield* Effect.forEach(
        yield* store.listSessions,
        (sessionId) =>
          Effect.all({
            sessionId: Effect.succeed(sessionId),
            messages: Effect.map(store.loadMessages(sessionId), (m) => m.length),
            checkpoints: Effect.map(store.listCheckpoints(sessionId), (c) => c.length),
            artifacts: Effect.map(store.listArtifacts(sessionId), (a) => a.length),
            runs: Effect.map(store.listJournaledRuns(sessionId), (r) => r.length)
          })
      ).pipe(Effect.mapError(storeFailure))
      if (format === "json") return yield* printLine(JSON.stringify(rows))
      if (rows.length === 0) {
        return yield* printLine(
          `no sessions in ${opened.where}${opened.type === "in_memory" ? " (it keeps nothing once a process ends)" : ""}`
        )
      }
      const width = Math.min(48, Math.max(...rows.map((r) => r.sessionId.length)))
      for (const r of rows) {
        yield* printLine(
          `${r.sessionId.padEnd(width)}  ${plural(r.messages, "message")}, ${plural(r.checkpoints, "checkpoint")}, ` +
            `${plural(r.artifacts, "artifact")}, ${plural(r.runs, "journaled run")}`
        )
      }
    })
  )).pipe(Command.withDescription("List the sessions of the config's session store, with their counts"))

// ---------------------------------------------------------------------------------------------------------
// show
// ---------------------------------------------------------------------------------------------------------

const show = Command.make(
  "show",
  { config: configArg, session: sessionArg, format: formatOption },
  ({ config, format, session }) =>
    Effect.scoped(
      Effect.gen(function*() {
        const opened = yield* openStore(config)
        const { store } = opened
        yield* requireSession(opened, session)
        const data = yield* Effect.all({
          messages: store.loadMessages(session),
          state: store.getState(session),
          artifacts: store.listArtifacts(session),
          checkpoints: store.listCheckpoints(session),
          runs: Effect.flatMap(store.listJournaledRuns(session), (ids) =>
            Effect.forEach(ids, (runId) =>
              Effect.map(store.loadJournal(session, runId), (entries) => ({
                runId,
                entries: entries.length,
                stopReason: lastStop(entries)
              }))))
        }).pipe(Effect.mapError(storeFailure))
        if (format === "json") {
          return yield* printLine(JSON.stringify({
            sessionId: session,
            messages: data.messages.map((m) => Schema.encodeSync(SessionMessage)(m)),
            state: data.state,
            artifacts: data.artifacts.map((a) => Schema.encodeSync(SessionArtifact)(a)),
            checkpoints: data.checkpoints.map((c) => Schema.encodeSync(SessionCheckpoint)(c)),
            runs: data.runs
          }))
        }
        const lines: Array<string> = [`session ${session} (${opened.where})`, `messages (${data.messages.length}):`]
        for (const m of data.messages) lines.push(`  [${m.runId}] ${formatMessage(m.message)}`)
        lines.push(`state: ${clip(JSON.stringify(data.state), 400)}`)
        lines.push(`artifacts (${data.artifacts.length}):`)
        for (const a of data.artifacts) lines.push(`  ${a.name} (${a.kind}): ${clip(JSON.stringify(a.payload ?? null))}`)
        lines.push(`checkpoints (${data.checkpoints.length}):`)
        for (const c of data.checkpoints) {
          lines.push(
            `  ${c.checkpointId}  ${new Date(c.createdAtMs).toISOString()}  transcript ${c.transcriptLength}, ` +
              `state ${clip(JSON.stringify(c.state), 100)}`
          )
        }
        lines.push(`journaled runs (${data.runs.length}):`)
        for (const r of data.runs) {
          lines.push(`  ${r.runId}  ${r.entries} journal ${r.entries === 1 ? "entry" : "entries"}, ${r.stopReason ?? "not finished"}`)
        }
        yield* printLine(lines.join("\n"))
      })
    )
).pipe(Command.withDescription("Show a session: messages, state, artifacts, checkpoints and journaled runs"))

// ---------------------------------------------------------------------------------------------------------
// delete
// ---------------------------------------------------------------------------------------------------------

const del = Command.make("delete", { config: configArg, session: sessionArg }, ({ config, session }) =>
  Effect.scoped(
    Effect.gen(function*() {
      const opened = yield* openStore(config)
      yield* requireSession(opened, session)
      // hold the session while deleting it: a run of another process on it makes this fail (SessionBusy)
      yield* Effect.scoped(
        Effect.zipRight(opened.store.acquire(session), opened.store.deleteSession(session))
      ).pipe(Effect.mapError(storeFailure))
      yield* printLine(`deleted session '${session}' from ${opened.where}`)
    })
  )).pipe(Command.withDescription("Delete a session and everything it holds (fails while another process runs it)"))

/**
 * The `sessions` command and its subcommands.
 *
 * @since 0.1.0
 * @category commands
 */
export const command = Command.make("sessions").pipe(
  Command.withDescription("List, show and delete the sessions of a config's session store"),
  Command.withSubcommands([list, show, del])
)
