/**
 * `openagents resume CONFIG --checkpoint ID`: goes on with a durable run from one of its checkpoints, in
 * this process, under the run's own id. Tool calls the interrupted run left open are replayed (finished
 * before the interruption), re-run (idempotent tools), or need a decision: `--rerun-call CALL_ID` runs the
 * call again, `--assume-call CALL_ID=JSON` takes JSON as its result. Output and exit codes are those of
 * `openagents run`.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { runIdOfCheckpoint } from "../runtime/internal/journal.js"
import type { SessionStore } from "../sessions/SessionStore.js"
import { agentOption, configArg, runFormatOption } from "./internal/args.js"
import { CliExit, EXIT } from "./internal/exit.js"
import { chooseAgent, loadRuntime, streamRun } from "./internal/runner.js"
import { storeFailure } from "./internal/store.js"

/**
 * Parses the `--assume-call CALL_ID=JSON` values into `contextHints.durable.assume`; a CliExit(2) names
 * the first malformed one.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseAssumptions = (values: ReadonlyArray<string>): Effect.Effect<Record<string, unknown>, CliExit> =>
  Effect.suspend(() => {
    const assume: Record<string, unknown> = {}
    for (const value of values) {
      const eq = value.indexOf("=")
      const callId = eq > 0 ? value.slice(0, eq) : ""
      if (callId.trim() === "") {
        return Effect.fail(
          new CliExit({
            code: EXIT.usage,
            message: `--assume-call '${value}': expected CALL_ID=JSON\n  hint: e.g. --assume-call 'call_1={"ok":true}'`
          })
        )
      }
      const text = value.slice(eq + 1)
      try {
        assume[callId] = JSON.parse(text)
      } catch (e) {
        return Effect.fail(
          new CliExit({
            code: EXIT.usage,
            message: `--assume-call ${callId}: the result is not JSON (${(e as Error).message}): ${text}\n` +
              `  hint: quote it for the shell, e.g. --assume-call '${callId}={"ok":true}' or --assume-call '${callId}="done"'`
          })
        )
      }
    }
    return Effect.succeed(assume)
  })

const latest = (ids: ReadonlyArray<string>) => ids.slice(-10).join(", ")

/**
 * The session holding `checkpointId`: `session` when given (checked), else the one found by scanning the
 * store's sessions. A CliExit(2) lists the checkpoints there are when it is nowhere.
 *
 * @since 0.1.0
 * @category helpers
 */
export const findCheckpoint = (
  store: SessionStore["Type"],
  checkpointId: string,
  session: Option.Option<string>
): Effect.Effect<string, CliExit> =>
  Effect.gen(function*() {
    if (Option.isSome(session)) {
      const sessionId = session.value
      const found = yield* store.loadCheckpoint(sessionId, checkpointId)
      if (Option.isSome(found)) return sessionId
      const available = (yield* store.listCheckpoints(sessionId)).map((c) => c.checkpointId)
      return yield* new CliExit({
        code: EXIT.usage,
        message: `no checkpoint '${checkpointId}' in session '${sessionId}'\n  hint: ${
          available.length > 0
            ? `available: ${latest(available)}`
            : `session '${sessionId}' has no checkpoints: only durable runs (run --durable) save them`
        }`
      })
    }
    const holders: Array<string> = []
    const available: Array<string> = []
    for (const sessionId of yield* store.listSessions) {
      const checkpoints = yield* store.listCheckpoints(sessionId)
      if (checkpoints.some((c) => c.checkpointId === checkpointId)) holders.push(sessionId)
      for (const c of checkpoints) available.push(`${c.checkpointId} (session ${sessionId})`)
    }
    if (holders.length === 1) return holders[0]!
    if (holders.length > 1) {
      return yield* new CliExit({
        code: EXIT.usage,
        message: `checkpoint '${checkpointId}' is in several sessions (${holders.join(", ")})\n  hint: choose one with --session`
      })
    }
    return yield* new CliExit({
      code: EXIT.usage,
      message: `no checkpoint '${checkpointId}' in any session\n  hint: ${
        available.length > 0
          ? `available: ${latest(available)}`
          : "the store has no checkpoints: only durable runs (run --durable) save them"
      }`
    })
  }).pipe(Effect.catchTags({ SessionStoreError: (e) => Effect.fail(storeFailure(e)) }))

/** The input the run started with, from its journal (the resumed run keeps it whatever the request says). */
const originalInput = (store: SessionStore["Type"], sessionId: string, runId: string) =>
  Effect.map(store.loadJournal(sessionId, runId), (entries) => {
    const started = entries.find((e) => e.kind === "run_started")?.payload as
      | { messages?: ReadonlyArray<{ content?: unknown }>; runStart?: number }
      | undefined
    const input = started?.messages?.[started.runStart ?? 0]?.content
    return typeof input === "string" ? input : ""
  }).pipe(Effect.mapError(storeFailure))

/**
 * The options of `openagents resume`.
 *
 * @since 0.1.0
 * @category options
 */
export const options = {
  config: configArg,
  checkpoint: Options.text("checkpoint").pipe(
    Options.withDescription("The checkpoint to resume from (<runId>:step:<n>; see `sessions show`)")
  ),
  session: Options.text("session").pipe(
    Options.withDescription("The session holding the checkpoint (default: found by scanning the store)"),
    Options.optional
  ),
  agent: agentOption,
  format: runFormatOption,
  rerunCall: Options.text("rerun-call").pipe(
    Options.withDescription("Run this open tool call again (its side effect did not happen); repeatable"),
    Options.repeated
  ),
  assumeCall: Options.text("assume-call").pipe(
    Options.withDescription("CALL_ID=JSON: take JSON as the result of this open tool call (it did happen); repeatable"),
    Options.repeated
  )
}

/**
 * `openagents resume`.
 *
 * @since 0.1.0
 * @category handlers
 */
export const handler = (opts: {
  readonly config: string
  readonly checkpoint: string
  readonly session: Option.Option<string>
  readonly agent: Option.Option<string>
  readonly format: "text" | "json" | "events"
  readonly rerunCall: ReadonlyArray<string>
  readonly assumeCall: ReadonlyArray<string>
}) =>
  Effect.scoped(
    Effect.gen(function*() {
      const assume = yield* parseAssumptions(opts.assumeCall)
      const runId = runIdOfCheckpoint(opts.checkpoint)
      if (runId === undefined) {
        return yield* new CliExit({
          code: EXIT.usage,
          message: `--checkpoint '${opts.checkpoint}' is not a checkpoint id of a durable run\n` +
            `  hint: checkpoint ids read <runId>:step:<n>; \`openagents sessions show CONFIG SESSION\` lists them`
        })
      }
      const { agents, bus, runtime, store } = yield* loadRuntime(opts.config)
      const agentId = yield* chooseAgent(opts.agent, agents, opts.config)
      const sessionId = yield* findCheckpoint(store, opts.checkpoint, opts.session)
      const request = {
        agentId,
        sessionId,
        inputText: yield* originalInput(store, sessionId, runId),
        runId,
        durable: true,
        resumeFromCheckpoint: opts.checkpoint,
        contextHints: { durable: { rerun: [...opts.rerunCall], assume } }
      }
      yield* streamRun(runtime, request, runId, opts.format, true, bus)
    })
  )

/**
 * The `resume` command.
 *
 * @since 0.1.0
 * @category commands
 */
export const command = Command.make("resume", options, handler).pipe(
  Command.withDescription("Resume a durable run from a checkpoint, in this process, under the run's own id")
)
