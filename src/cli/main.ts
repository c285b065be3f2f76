/**
 * The `openagents` command line.
 */
import * as Command from "@effect/cli/Command"
import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import { CliExit, EXIT } from "./internal/exit.js"
import { examplesFor } from "./internal/help.js"
import { checkArgs, commandPathOf, installPipeGuard, loggerLayer, packageVersion, withPlainConsole } from "./internal/terminal.js"
import * as Approvals from "./approvals.js"
import * as Approve from "./approve.js"
import * as Experiences from "./experiences.js"
import * as Feedback from "./feedback.js"
import * as ListPlugins from "./listPlugins.js"
import * as Reject from "./reject.js"
import * as Replay from "./replay.js"
import * as Resume from "./resume.js"
import * as Run from "./run.js"
import * as SchemaCommand from "./schema.js"
import * as Sessions from "./sessions.js"
import * as Traces from "./traces.js"
import * as Validate from "./validate.js"
import * as Version from "./version.js"

const commands = [
  Run.command,
  Resume.command,
  Sessions.command,
  Replay.command,
  Approvals.command,
  Approve.command,
  Reject.command,
  Traces.command,
  Feedback.command,
  Experiences.command,
  Validate.command,
  SchemaCommand.command,
  ListPlugins.command,
  Version.command
] as const

const root = Command.make("openagents").pipe(
  Command.withDescription("An agent runtime on Effect: run, validate and inspect agent.json configs"),
  Command.withSubcommands(commands)
)

const cli = Command.run(root, { name: "openagents", version: packageVersion() })

/**
 * Runs the CLI on `argv` and resolves with the exit code.
 *
 * @since 0.1.0
 * @category entry points
 */
export const main = (argv: ReadonlyArray<string>): Promise<number> => {
  const mistake = checkArgs(commands, "openagents", argv.slice(2))
  if (mistake !== undefined) {
    process.stderr.write(mistake + "\n")
    return Promise.resolve(EXIT.usage)
  }
  return Effect.runPromiseExit(
    withPlainConsole(cli(argv), commandPathOf(commands, "openagents", argv.slice(2))).pipe(Effect.provide(Layer.merge(NodeContext.layer, loggerLayer)))
  ).then((exit) => {
    if (Exit.isSuccess(exit)) {
      const examples = examplesFor(argv.slice(2))
      if (examples !== undefined) process.stdout.write(examples)
      return EXIT.ok
    }
    const error = Cause.squash(exit.cause)
    if (error instanceof CliExit) {
      if (error.message) process.stderr.write(error.message + "\n")
      return error.code
    }
    if (ValidationError.isValidationError(error)) {
      // @effect/cli has printed the problem (or the help that was asked for) already
      return ValidationError.isHelpRequested(error) ? EXIT.ok : EXIT.usage
    }
    process.stderr.write(`openagents: unexpected error: ${Cause.pretty(exit.cause)}\n`)
    return EXIT.failed
  })
}

/**
 * Runs the CLI as the process: `process.argv`, a quiet end on a closed stdout, and the exit code set.
 *
 * @since 0.2.0
 * @category entry points
 */
export const runMain = async (): Promise<void> => {
  installPipeGuard()
  process.exitCode = await main(process.argv)
}

const isEntry = process.argv[1] !== undefined && /cli[\\/]main\.[jt]s$/.test(process.argv[1])
if (isEntry) void runMain()
