/**
 * `openagents replay CONFIG SESSION [--run RUN_ID]`: the run journal of a session (or of one of its runs)
 * as events, one per line: JSON objects with `--format json`, readable lines otherwise.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type { JournalEntry } from "../kernel/Session.js"
import { Message } from "../kernel/Transcript.js"
import { closest } from "../internal/suggest.js"
import { configArg, formatOption, sessionArg } from "./internal/args.js"
import { CliExit, EXIT, printLine } from "./internal/exit.js"
import { clip, formatMessage, openStore, requireSession, storeFailure } from "./internal/store.js"

const decodeMessage = Schema.decodeUnknownOption(Message)

const json = (value: unknown) => clip(JSON.stringify(value ?? null) ?? "null", 120)

const messageText = (value: unknown): string =>
  Option.match(decodeMessage(value), { onNone: () => json(value), onSome: formatMessage })

/**
 * What an entry says, in a few words (the payload as `journal.ts` writes it; anything else as JSON).
 *
 * @since 0.1.0
 * @category formatting
 */
export const describeEntry = (entry: JournalEntry): string => {
  const p = (entry.payload ?? {}) as Record<string, any>
  switch (entry.kind) {
    case "run_started": {
      const messages: ReadonlyArray<unknown> = Array.isArray(p["messages"]) ? p["messages"] : []
      const start = typeof p["runStart"] === "number" ? p["runStart"] : 0
      const input = messages[start] as { content?: unknown } | undefined
      return `input ${JSON.stringify(typeof input?.content === "string" ? clip(input.content, 100) : "")}` +
        (start > 0 ? ` (after ${start} message${start === 1 ? "" : "s"} of history)` : "")
    }
    case "model": {
      const parts: ReadonlyArray<any> = Array.isArray(p["content"]) ? p["content"] : []
      const said = parts.map((part) =>
        part?._tag === "tool_call"
          ? `calls ${part.name}(${json(part.arguments)}) [${part.id}]`
          : part?._tag === "text"
          ? JSON.stringify(clip(String(part.text), 100))
          : `(${String(part?._tag)})`
      ).join(", ")
      const usage = p["usage"] as { inputTokens?: number; outputTokens?: number } | undefined
      return `step ${String(p["step"])}: ${said || "(empty answer)"}` +
        (usage ? ` (${usage.inputTokens ?? 0} in / ${usage.outputTokens ?? 0} out tokens)` : "")
    }
    case "tool_started":
      return `${String(p["name"])} [${String(p["callId"])}] ${json(p["arguments"])}`
    case "tool":
      return `${String(p["name"])} [${String(p["callId"])}] ${p["isError"] ? "failed: " : "→ "}${clip(String(p["content"]), 120)}`
    case "validation_retry":
      return `attempt ${String(p["attempt"])}: ${clip(String(p["error"]), 120)}`
    case "message":
      if (p["resume"]) {
        return `resumed from ${String(p["resume"].checkpointId)} (entries after #${String(p["resume"].upTo)} abandoned)`
      }
      if (p["artifact"]) return `artifact ${String(p["artifact"].name)} (${String(p["artifact"].kind ?? "generic")})`
      return messageText(p["message"])
    case "output":
      return `output ${json(p["value"])}`
    case "run_finished":
      return String(p["stopReason"])
  }
}

/**
 * An entry as one JSON event: `{"runId","seq","kind","timestampMs","payload"}`.
 *
 * @since 0.1.0
 * @category formatting
 */
export const entryJson = (entry: JournalEntry) => ({
  runId: entry.runId,
  seq: entry.seq,
  kind: entry.kind,
  timestampMs: entry.timestampMs,
  payload: entry.payload
})

/**
 * An entry as a readable line.
 *
 * @since 0.1.0
 * @category formatting
 */
export const entryLine = (entry: JournalEntry): string =>
  `${new Date(entry.timestampMs).toISOString()}  ${entry.runId} #${entry.seq}  ${entry.kind.padEnd(16)} ${describeEntry(entry)}`

/**
 * The `replay` command.
 *
 * @since 0.1.0
 * @category commands
 */
export const command = Command.make(
  "replay",
  {
    config: configArg,
    session: sessionArg,
    run: Options.text("run").pipe(Options.withDescription("Only this run (default: every journaled run)"), Options.optional),
    format: formatOption
  },
  ({ config, format, run, session }) =>
    Effect.scoped(
      Effect.gen(function*() {
        const opened = yield* openStore(config)
        yield* requireSession(opened, session)
        const runs = yield* opened.store.listJournaledRuns(session).pipe(Effect.mapError(storeFailure))
        if (Option.isSome(run) && !runs.includes(run.value)) {
          const suggestion = closest(run.value, runs)
          return yield* new CliExit({
            code: EXIT.usage,
            message: `session '${session}' has no journaled run '${run.value}'\n  hint: ${
              runs.length === 0
                ? "it has no journaled runs"
                : `${suggestion ? `did you mean '${suggestion}'? ` : ""}runs: ${runs.slice(-10).join(", ")}`
            }`
          })
        }
        const selected = Option.isSome(run) ? [run.value] : runs
        if (selected.length === 0 && format === "text") {
          return yield* printLine(`session '${session}' has no journaled runs`)
        }
        for (const runId of selected) {
          const entries = yield* opened.store.loadJournal(session, runId).pipe(Effect.mapError(storeFailure))
          for (const entry of entries) {
            yield* printLine(format === "json" ? JSON.stringify(entryJson(entry)) : entryLine(entry))
          }
        }
      })
    )
).pipe(Command.withDescription("Print the run journal of a session (or of one run) as events, one per line"))
