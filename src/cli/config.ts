/**
 * `openagents config show CONFIG [--redact]`: the config as the runtime sees it, defaults applied and
 * `${VAR}` substituted, as JSON.
 *
 * @since 0.2.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import { configArg } from "./internal/args.js"
import { printLine } from "./internal/exit.js"

const show = Command.make(
  "show",
  {
    config: configArg,
    redact: Options.boolean("redact").pipe(
      Options.withDescription("Hide secrets: api keys, tokens, passwords, header and env values, URL credentials")
    )
  },
  ({ config, redact }) =>
    Effect.gen(function*() {
      const [ConfigLoader, { AppConfig }, { configFailure }, Redact, Schema] = yield* Effect.promise(() =>
        Promise.all([
          import("../config/ConfigLoader.js"),
          import("../config/AppConfig.js"),
          import("./internal/configErrors.js"),
          import("./internal/redact.js"),
          import("effect/Schema")
        ])
      )
      const loaded = yield* ConfigLoader.loadFile(config).pipe(Effect.mapError(configFailure))
      const json = Schema.encodeSync(AppConfig)(loaded.config)
      yield* printLine(JSON.stringify(redact ? Redact.redact(json) : json, null, 2))
    })
).pipe(Command.withDescription("Print the resolved config (defaults applied, ${VAR} substituted) as JSON"))

/**
 * The `config` command and its subcommands.
 *
 * @since 0.2.0
 * @category commands
 */
export const command = Command.make("config").pipe(
  Command.withDescription("Inspect a config: config show CONFIG [--redact]"),
  Command.withSubcommands([show])
)
