/**
 * `openagents sessions list|show|delete CONFIG ...`: what the config's session store holds.
 *
 * @since 0.1.0
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as path from "node:path"
import * as ConfigLoader from "../config/ConfigLoader.js"
import * as Plugins from "../config/Plugins.js"
import type { SessionBusy, SessionStoreError } from "../kernel/Errors.js"
import { JournalEntry, SessionArtifact, SessionCheckpoint, SessionMessage } from "../kernel/Session.js"
import type { Message } from "../kernel/Transcript.js"
import { closest } from "../internal/suggest.js"
import { SessionStore } from "../sessions/SessionStore.js"
import { CliExit, EXIT, printLine } from "./exit.js"
import { configFailure } from "./run.js"

/**
 * The config file argument.
 *
 * @since 0.1.0
 * @category options
 */
export const configArg = Args.text({ name: "config" }).pipe(Args.withDescription("Path to an agent.json file"))

/**
 * The session id argument.
 *
 * @since 0.1.0
 * @category options
 */
export const sessionArg = Args.text({ name: "session" }).pipe(Args.withDescription("Session id"))

/**
 * `--format text|json`.
 *
 * @since 0.1.0
 * @category options
 */
export const formatOption = Options.choice("format", ["text", "json"]).pipe(
  Options.withDescription("text: readable lines; json: machine-readable"),
  Options.withDefault("text" as const)
)

/**
 * A session store opened from a config, and a description of it for messages.
 *
 * @since 0.1.0
 * @category models
 */
export interface OpenedStore {
  readonly store: SessionStore["Type"]
  /** E.g. `the sqlite store /abs/sessions.db`. */
  readonly where: string
  readonly type: string
}

const describeStore = (session: { readonly type?: string | undefined; readonly impl?: string | undefined; readonly config?: Readonly<Record<string, unknown>> | undefined }, dir: string): string => {
  const at = (key: string) => {
    const value = session.config?.[key]
    return typeof value === "string" ? ` ${path.resolve(dir, value)}` : ""
  }
  if (session.impl) return `the session store ${session.impl}`
  if (session.type === "jsonl_file") return `the jsonl_file store${at("root_dir")}`
  if (session.type === "sqlite") return `the sqlite store${at("db_path")}`
  return "the in_memory store"
}

/**
 * Opens the session store of a config file (its `session` block; relative paths are resolved against
 * the config file's folder), held until the scope closes. A bad config is a CliExit(2).
 *
 * @since 0.1.0
 * @category constructors
 */
export const openStore = (configPath: string) =>
  Effect.gen(function*() {
    const loaded = yield* ConfigLoader.loadFile(configPath).pipe(Effect.mapError(configFailure))
    const ctx = yield* Layer.build(Plugins.servicesLayer(loaded.config, loaded.dir)).pipe(Effect.mapError(configFailure))
    const session = loaded.config.session as { type?: string; impl?: string; config?: Record<string, unknown> }
    const opened: OpenedStore = {
      store: Context.get(ctx, SessionStore),
      where: describeStore(session, loaded.dir),
      type: session.impl ? "impl" : session.type ?? "in_memory"
    }
    return opened
  })

/**
 * A store failure as exit 1, with its hint.
 *
 * @since 0.1.0
 * @category errors
 */
export const storeFailure = (e: SessionStoreError | SessionBusy) =>
  new CliExit({ code: EXIT.failed, message: `${e.message}${e.hint ? `\n  hint: ${e.hint}` : ""}` })

/**
 * Fails with a CliExit(2) naming the known sessions when `sessionId` is not one of the store's.
 *
 * @since 0.1.0
 * @category helpers
 */
export const requireSession = (opened: OpenedStore, sessionId: string) =>
  Effect.gen(function*() {
    const sessions = yield* opened.store.listSessions.pipe(Effect.mapError(storeFailure))
    if (sessions.includes(sessionId)) return
    const suggestion = closest(sessionId, sessions)
    const hint = sessions.length === 0
      ? opened.type === "in_memory"
        ? "the config's session store is in_memory: it keeps nothing once a process ends; use jsonl_file or sqlite"
        : "the store has no sessions yet"
      : suggestion
      ? `did you mean '${suggestion}'? (sessions: ${sessions.slice(0, 10).join(", ")}${sessions.length > 10 ? ", ..." : ""})`
      : `sessions: ${sessions.slice(0, 10).join(", ")}${sessions.length > 10 ? ", ..." : ""}`
    return yield* new CliExit({ code: EXIT.usage, message: `no session '${sessionId}' in ${opened.where}\n  hint: ${hint}` })
  })

const clip = (text: string, max = 160): string => {
  const flat = text.replace(/\s+/g, " ")
  return flat.length > max ? flat.slice(0, max - 1) + "…" : flat
}

/**
 * One message as a readable line.
 *
 * @since 0.1.0
 * @category formatting
 */
export const formatMessage = (message: Message): string => {
  switch (message._tag) {
    case "system":
    case "user":
      return `${message._tag}: ${clip(message.content)}`
    case "assistant":
      return `assistant: ${
        message.content.map((p) =>
          p._tag === "text"
            ? clip(p.text)
            : p._tag === "tool_call"
            ? `${p.name}(${clip(JSON.stringify(p.arguments ?? null), 100)}) [${p.id}]`
            : `(reasoning) ${clip(p.text, 60)}`
        ).join(" ")
      }`
    case "tool":
      return `tool ${message.toolName} [${message.toolCallId}]${message.isError ? " error" : ""}: ${clip(message.content)}`
  }
}

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
