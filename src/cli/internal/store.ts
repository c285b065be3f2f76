/**
 * The session store of a config file, opened for the commands that read it (`sessions`, `replay`), and
 * how its messages and failures are printed.
 *
 * @since 0.2.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as path from "node:path"
import * as ConfigLoader from "../../config/ConfigLoader.js"
import * as Plugins from "../../config/Plugins.js"
import { closest } from "../../internal/suggest.js"
import type { SessionBusy, SessionStoreError } from "../../kernel/Errors.js"
import type { Message } from "../../kernel/Transcript.js"
import { SessionStore } from "../../sessions/SessionStore.js"
import { configFailure } from "./configErrors.js"
import { CliExit, EXIT } from "./exit.js"
import { redactUrl } from "./redact.js"

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
  if (session.type === "postgres") {
    const url = session.config?.["url"]
    const schema = session.config?.["schema"]
    return `the postgres store${typeof url === "string" ? ` ${redactUrl(url)}` : ""}${typeof schema === "string" ? ` (schema ${schema})` : ""}`
  }
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
        ? "the config's session store is in_memory: it keeps nothing once a process ends; use jsonl_file, sqlite or postgres"
        : "the store has no sessions yet"
      : suggestion
      ? `did you mean '${suggestion}'? (sessions: ${sessions.slice(0, 10).join(", ")}${sessions.length > 10 ? ", ..." : ""})`
      : `sessions: ${sessions.slice(0, 10).join(", ")}${sessions.length > 10 ? ", ..." : ""}`
    return yield* new CliExit({ code: EXIT.usage, message: `no session '${sessionId}' in ${opened.where}\n  hint: ${hint}` })
  })

/**
 * A text on one line, cut to `max` characters.
 *
 * @since 0.2.0
 * @category formatting
 */
export const clip = (text: string, max = 160): string => {
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

