/**
 * Arguments and options that several commands share.
 *
 * @since 0.2.0
 */
import * as Args from "@effect/cli/Args"
import * as Options from "@effect/cli/Options"

/**
 * The config file argument.
 *
 * @since 0.1.0
 * @category options
 */
export const configArg = Args.text({ name: "config" }).pipe(Args.withDescription("Path to an agent.json file"))

/**
 * The session id argument.
 *
 * @since 0.1.0
 * @category options
 */
export const sessionArg = Args.text({ name: "session" }).pipe(Args.withDescription("Session id"))

/**
 * `--format text|json`.
 *
 * @since 0.1.0
 * @category options
 */
export const formatOption = Options.choice("format", ["text", "json"]).pipe(
  Options.withDescription("text: readable lines; json: machine-readable"),
  Options.withDefault("text" as const)
)

/**
 * `--agent ID` of the commands that run an agent.
 *
 * @since 0.2.0
 * @category options
 */
export const agentOption = Options.text("agent").pipe(
  Options.withDescription("Agent id (may be left out when the config has one agent)"),
  Options.optional
)

/**
 * `--format text|json|events` of the commands that run an agent.
 *
 * @since 0.2.0
 * @category options
 */
export const runFormatOption = Options.choice("format", ["text", "json", "events"]).pipe(
  Options.withDescription("text: the answer as it streams; json: the RunResult; events: one chunk JSON per line"),
  Options.withDefault("text" as const)
)
