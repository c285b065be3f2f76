/**
 * `openagents approve CONFIG --session ID --call CALL_ID [--arguments JSON]`: approves a tool call
 * waiting for a human (with its editable arguments changed, if given), then continues its run from its
 * journal under its own id and prints it like `run` (see docs/approvals.md).
 *
 * @since 0.3.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { decideAndContinue } from "./internal/approvals.js"
import { configArg, runFormatOption } from "./internal/args.js"
import { CliExit, EXIT } from "./internal/exit.js"

const parseArguments = (text: Option.Option<string>): Effect.Effect<Record<string, unknown> | undefined, CliExit> =>
  Effect.suspend(() => {
    if (Option.isNone(text)) return Effect.succeed(undefined)
    let parsed: unknown
    try {
      parsed = JSON.parse(text.value)
    } catch (e) {
      return Effect.fail(new CliExit({ code: EXIT.usage, message: `--arguments is not JSON (${(e as Error).message}): ${text.value}` }))
    }
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? Effect.succeed(parsed as Record<string, unknown>)
      : Effect.fail(new CliExit({ code: EXIT.usage, message: `--arguments must be a JSON object, e.g. '{"path": "b.txt"}'` }))
  })

/**
 * The options of `openagents approve`.
 *
 * @since 0.3.0
 * @category options
 */
export const options = {
  config: configArg,
  session: Options.text("session").pipe(Options.withDescription("The session of the waiting call")),
  call: Options.text("call").pipe(Options.withDescription("The call id (see `openagents approvals list`)")),
  arguments: Options.text("arguments").pipe(
    Options.withDescription("JSON object of the editable arguments to change before the call runs"),
    Options.optional
  ),
  format: runFormatOption,
  noWaitApproval: Options.boolean("no-wait-approval").pipe(
    Options.withDescription("A later call needing approval stops the run (exit 4) instead of asking on the terminal")
  )
}

/**
 * The `approve` command.
 *
 * @since 0.3.0
 * @category commands
 */
export const command = Command.make("approve", options, (opts) =>
  Effect.flatMap(parseArguments(opts.arguments), (args) =>
    decideAndContinue(opts, (runtime, runId) =>
      runtime.approve(runId, opts.call, { sessionId: opts.session, continueRun: false, ...(args ? { arguments: args } : {}) })))).pipe(
  Command.withDescription("Approve a tool call waiting for a human, then continue its run to its end")
)
