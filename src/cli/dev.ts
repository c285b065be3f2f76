/**
 * `openagents dev CONFIG`: `chat` on a config that reloads when the file changes.
 *
 * @since 0.2.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as path from "node:path"
import { agentOption, configArg } from "./internal/args.js"
import { CliExit, EXIT } from "./internal/exit.js"

/**
 * The options of `openagents dev`.
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
  ),
  pollMs: Options.integer("poll-ms").pipe(
    Options.withDescription("How often the file is checked for changes, in milliseconds"),
    Options.withDefault(300)
  )
}

/**
 * The `dev` command.
 *
 * @since 0.2.0
 * @category commands
 */
export const command = Command.make("dev", options, (opts) =>
  Effect.gen(function*() {
    const [{ repl }, { waitForChange, watchAndReload }] = yield* Effect.promise(() =>
      Promise.all([import("./internal/repl.js"), import("./internal/watch.js")])
    )
    const pollMs = Math.max(20, opts.pollMs)
    const session: Effect.Effect<void, CliExit> = repl({
      ...opts,
      title: `openagents dev ${opts.config}: edits reload the agents (restart for session, events, skills or impl modules)`,
      beside: watchAndReload(opts.config, pollMs)
    }).pipe(
      // a config that cannot start (invalid, or without the agent asked for) is waited on, not fatal
      Effect.catchIf((e): e is CliExit => e instanceof CliExit && e.code === EXIT.usage, (e) =>
        Effect.gen(function*() {
          // said once the file's state is taken, so that a fix saved right after it is seen
          yield* waitForChange(opts.config, pollMs, () =>
            process.stderr.write(`${e.message}\n[dev] waiting for ${path.basename(opts.config)} to change\n`))
          return yield* session
        }))
    )
    yield* session
  })).pipe(
    Command.withDescription("Chat with an agent while editing its config: each saved change reloads the agents")
  )
