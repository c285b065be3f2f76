/**
 * Exit codes of the CLI, and the error that carries one out of a command.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import type { StopReason } from "../../kernel/Run.js"

export const EXIT = { ok: 0, failed: 1, usage: 2, limit: 3, awaitingApproval: 4, cancelled: 130 } as const

/** Ends the CLI with `code` after printing `message` (if any) to stderr. */
export class CliExit extends Data.TaggedError("CliExit")<{ readonly code: number; readonly message?: string }> {}

export const exitCodeFor = (stopReason: StopReason): number => {
  switch (stopReason) {
    case "completed":
      return EXIT.ok
    case "failed":
      return EXIT.failed
    case "cancelled":
      return EXIT.cancelled
    case "max_steps":
    case "timeout":
    case "budget_exhausted":
      return EXIT.limit
    // a tool call waits for a human: the run goes on with `openagents approve` / `reject`
    case "awaiting_approval":
    case "approval_timeout":
      return EXIT.awaitingApproval
  }
}

export const write = (stream: NodeJS.WriteStream, text: string) =>
  new Promise<void>((resolve) => (stream.write(text) ? resolve() : stream.once("drain", () => resolve())))

/** Prints a line to stdout (through process.stdout, so output is ordered with streamed chunks). */
export const printLine = (text: string) => Effect.promise(() => write(process.stdout, text + "\n"))
