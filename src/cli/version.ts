/**
 * `openagents version`: the package version and the Node.js that runs it (what a bug report needs).
 *
 * @since 0.2.0
 */
import * as Command from "@effect/cli/Command"
import * as Console from "effect/Console"
import { packageVersion } from "./internal/terminal.js"

/**
 * The `version` command.
 *
 * @since 0.2.0
 * @category commands
 */
export const command = Command.make("version", {}, () =>
  Console.log(`openagents ${packageVersion()} (node ${process.version}, ${process.platform}-${process.arch})`)).pipe(
    Command.withDescription("Print the version of openagents and of Node.js")
  )
