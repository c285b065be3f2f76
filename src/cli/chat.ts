/**
 * `openagents chat CONFIG`: a conversation with one agent on one session, a turn per line.
 *
 * @since 0.2.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import { agentOption, configArg } from "./internal/args.js"

/**
 * The options of `openagents chat`.
 *
 * @since 0.2.0
 * @category options
 */
export const options = {
  config: configArg,
  agent: agentOption,
  session: Options.text("session").pipe(
    Options.withDescription("Session id to continue (default: a new cli-chat-<hex> id)"),
    Options.optional
  )
}

/**
 * The `chat` command.
 *
 * @since 0.2.0
 * @category commands
 */
export const command = Command.make("chat", options, (opts) =>
  Effect.flatMap(
    Effect.promise(() => import("./internal/repl.js")),
    ({ repl }) => repl({ ...opts, title: `openagents chat ${opts.config}` })
  )).pipe(
    Command.withDescription("Chat with an agent: a turn per line, /help for commands, Ctrl-C cancels the answer")
  )
