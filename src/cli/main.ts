/**
 * The `openagents` command line.
 *
 * Start-up is lazy: this module imports nothing but the table below. The command named on the command
 * line is imported with the CLI machinery, in parallel, and no other: `openagents version` never loads
 * the runtime, `openagents run` never loads the session browser. Help, a mistyped command and no
 * command at all load every command (to list them). Adding a command is one line in `COMMANDS`.
 */
import { installPipeGuard } from "./internal/pipe.js"

/** A command module: its `command` (an @effect/cli Command). */
type CommandModule = { readonly command: import("./internal/app.js").AnyCommand }

/**
 * The commands, by name, each with the import of its module.
 *
 * @since 0.2.0
 * @category commands
 */
export const COMMANDS: ReadonlyArray<{ readonly name: string; readonly load: () => Promise<CommandModule> }> = [
  { name: "run", load: () => import("./run.js") },
  { name: "chat", load: () => import("./chat.js") },
  { name: "dev", load: () => import("./dev.js") },
  { name: "resume", load: () => import("./resume.js") },
  { name: "sessions", load: () => import("./sessions.js") },
  { name: "replay", load: () => import("./replay.js") },
  { name: "approvals", load: () => import("./approvals.js") },
  { name: "approve", load: () => import("./approve.js") },
  { name: "reject", load: () => import("./reject.js") },
  { name: "traces", load: () => import("./traces.js") },
  { name: "feedback", load: () => import("./feedback.js") },
  { name: "experiences", load: () => import("./experiences.js") },
  { name: "validate", load: () => import("./validate.js") },
  { name: "config", load: () => import("./config.js") },
  { name: "schema", load: () => import("./schema.js") },
  { name: "list-plugins", load: () => import("./listPlugins.js") },
  { name: "init", load: () => import("./init.js") },
  { name: "doctor", load: () => import("./doctor.js") },
  { name: "serve", load: () => import("./serve.js") },
  { name: "runner", load: () => import("./runner.js") },
  { name: "version", load: () => import("./version.js") }
]

/**
 * Runs the CLI on `argv` and resolves with the exit code.
 *
 * @since 0.1.0
 * @category entry points
 */
export const main = async (argv: ReadonlyArray<string>): Promise<number> => {
  const word = argv[2]
  const named = COMMANDS.filter((c) => c.name === word)
  const wanted = named.length === 1 ? named : COMMANDS
  const [app, ...modules] = await Promise.all([import("./internal/app.js"), ...wanted.map((c) => c.load())])
  return app.runCli(modules.map((m) => m.command), argv)
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
