/**
 * The CLI application around a list of commands: the did-you-mean check before parsing, @effect/cli's
 * parsing and help, the plain console, the logger on stderr, and the exit code. `main.ts` hands it only
 * the commands that the command line needs (see there), so that a command's dependencies load when it
 * runs and not on every start.
 *
 * @since 0.2.0
 */
import type * as CliApp from "@effect/cli/CliApp"
import * as Command from "@effect/cli/Command"
import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import { CliExit, EXIT } from "./exit.js"
import { examplesFor } from "./help.js"
import { checkArgs, commandPathOf, loggerLayer, packageVersion, withPlainConsole } from "./terminal.js"

/**
 * A command as main.ts registers it.
 *
 * @since 0.2.0
 * @category models
 */
export type AnyCommand = Command.Command<any, any, any, any>

/**
 * What @effect/cli needs from the platform (files, paths, the terminal): three Layers, not the whole
 * NodeContext, whose child processes and workers no command uses.
 */
const platform = Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, NodeTerminal.layer, loggerLayer)

/**
 * Runs `commands` on `argv` (node, script, args...) and resolves with the exit code.
 *
 * @since 0.2.0
 * @category entry points
 */
export const runCli = (commands: ReadonlyArray<AnyCommand>, argv: ReadonlyArray<string>): Promise<number> => {
  const args = argv.slice(2)
  const mistake = checkArgs(commands, "openagents", args)
  if (mistake !== undefined) {
    process.stderr.write(mistake + "\n")
    return Promise.resolve(EXIT.usage)
  }
  const root = Command.make("openagents").pipe(
    Command.withDescription("An agent runtime on Effect: run, validate and inspect agent.json configs"),
    Command.withSubcommands(commands as [AnyCommand, ...Array<AnyCommand>])
  )
  const cli = Command.run(root, { name: "openagents", version: packageVersion() }) as (
    argv: ReadonlyArray<string>
  ) => Effect.Effect<void, unknown, CliApp.CliApp.Environment>
  return Effect.runPromiseExit(
    withPlainConsole(cli(argv), commandPathOf(commands, "openagents", args)).pipe(Effect.provide(platform))
  ).then((exit) => {
    if (Exit.isSuccess(exit)) {
      const examples = examplesFor(args)
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
