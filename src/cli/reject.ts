/**
 * `openagents reject CONFIG --session ID --call CALL_ID --reason TEXT`: rejects a tool call waiting for a
 * human; the model is told, with the reason, and the run goes on from its journal under its own id,
 * printed like `run` (see docs/approvals.md).
 *
 * @since 0.3.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import { decideAndContinue } from "./internal/approvals.js"
import { configArg, runFormatOption } from "./internal/args.js"

/**
 * The options of `openagents reject`.
 *
 * @since 0.3.0
 * @category options
 */
export const options = {
  config: configArg,
  session: Options.text("session").pipe(Options.withDescription("The session of the waiting call")),
  call: Options.text("call").pipe(Options.withDescription("The call id (see `openagents approvals list`)")),
  reason: Options.text("reason").pipe(Options.withDescription("Why: the model reads it as the call's result")),
  format: runFormatOption,
  noWaitApproval: Options.boolean("no-wait-approval").pipe(
    Options.withDescription("A later call needing approval stops the run (exit 4) instead of asking on the terminal")
  )
}

/**
 * The `reject` command.
 *
 * @since 0.3.0
 * @category commands
 */
export const command = Command.make("reject", options, (opts) =>
  decideAndContinue(opts, (runtime, runId) =>
    runtime.reject(runId, opts.call, opts.reason, { sessionId: opts.session, continueRun: false }))).pipe(
  Command.withDescription("Reject a tool call waiting for a human (the model is told why), then continue its run")
)
