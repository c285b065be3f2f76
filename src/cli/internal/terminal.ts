/**
 * How the CLI meets its terminal, pipes and the user's typos: a Console that drops ANSI codes where they
 * would be noise, a logger on stderr, a quiet end on a closed stdout, and did-you-mean for commands and
 * flags checked before @effect/cli parses (which only reports "unknown argument").
 *
 * @since 0.2.0
 */
import * as Command from "@effect/cli/Command"
import * as Descriptor from "@effect/cli/CommandDescriptor"
import type * as Usage from "@effect/cli/Usage"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as HashMap from "effect/HashMap"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import { packageJson } from "../../internal/packageRoot.js"
import { closest } from "../../internal/suggest.js"

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g

/**
 * `text` without ANSI escape sequences.
 *
 * @since 0.2.0
 * @category formatting
 */
export const stripAnsi = (text: string): string => text.replace(ANSI, "")

/**
 * Whether a stream may receive colours: a terminal, and NO_COLOR (https://no-color.org) not set.
 *
 * @since 0.2.0
 * @category terminal
 */
export const colorAllowed = (stream: { readonly isTTY?: boolean }): boolean => {
  const noColor = process.env["NO_COLOR"]
  return stream.isTTY === true && (noColor === undefined || noColor === "")
}

const render = (args: ReadonlyArray<unknown>, color: boolean): string => {
  const text = args.map((a) => (typeof a === "string" ? a : String(a))).join(" ")
  return color ? text : stripAnsi(text)
}

/**
 * A help's usage line (`$ list [--format ...]`) with the whole command path (`$ openagents sessions list
 * [--format ...]`): @effect/cli shows a subcommand's name alone, which is not what a user types.
 *
 * @since 0.2.0
 * @category formatting
 */
export const withProgramName = (text: string, commandPath: ReadonlyArray<string> | undefined): string => {
  const last = commandPath?.at(-1)
  if (commandPath === undefined || commandPath.length < 2 || last === undefined) return text
  return text.replace(/^(\$ |(?:\u001b\[[0-9;]*m)*\$ (?:\u001b\[[0-9;]*m)*)(\S+)/m, (whole, lead: string, word: string) =>
    word === last ? `${lead}${commandPath.join(" ")}` : whole
  )
}

/**
 * Runs `effect` with a Console whose `log` goes to stdout and `error` to stderr, through
 * `process.stdout.write` (ordered with the streamed chunks) and without ANSI codes where colours are not
 * allowed: @effect/cli renders its help and errors in bold, which in a pipe or a log file is noise.
 *
 * @since 0.2.0
 * @category terminal
 */
export const withPlainConsole = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  /** The program and command words (`openagents sessions list`) that a help's usage line should show. */
  commandPath?: ReadonlyArray<string>
): Effect.Effect<A, E, R> =>
  Console.consoleWith((base) =>
    Effect.withConsole(effect, {
      ...base,
      log: (...args: ReadonlyArray<unknown>) =>
        Effect.sync(() =>
          void process.stdout.write(withProgramName(render(args, colorAllowed(process.stdout)), commandPath) + "\n")
        ),
      error: (...args: ReadonlyArray<unknown>) =>
        Effect.sync(() => void process.stderr.write(render(args, colorAllowed(process.stderr)) + "\n"))
    })
  )

/**
 * The default logger, writing to stderr: Effect's own writes to stdout, where a store's warning would
 * break `--format json | jq`.
 *
 * @since 0.2.0
 * @category terminal
 */
export const stderrLogger: Logger.Logger<unknown, void> = Logger.make((options) => {
  process.stderr.write(Logger.stringLogger.log(options) + "\n")
})

/**
 * The logger Layer of the CLI (see `stderrLogger`).
 *
 * @since 0.2.0
 * @category terminal
 */
export const loggerLayer = Logger.replace(Logger.defaultLogger, stderrLogger)

/**
 * @since 0.2.0
 * @category terminal
 */
export { installPipeGuard } from "./pipe.js"

/**
 * The version in package.json (one file up from `src/` or `dist/`).
 *
 * @since 0.2.0
 * @category metadata
 */
export const packageVersion = (): string => {
  const version = packageJson()["version"]
  return typeof version === "string" ? version : "0.0.0"
}

/**
 * The command words of `args` (argv without node and script) that name known commands, after the
 * program's name: `["openagents", "sessions", "list"]` for `sessions list agent.json --help`.
 *
 * @since 0.2.0
 * @category parsing
 */
export const commandPathOf = (
  commands: ReadonlyArray<Command.Command<any, any, any, any>>,
  program: string,
  args: ReadonlyArray<string>
): ReadonlyArray<string> => {
  const first = args[0]
  const command = first === undefined ? undefined : commands.find((c) => Array.from(Command.getNames(c)).includes(first))
  if (command === undefined || first === undefined) return [program]
  const second = args[1]
  const children = Array.from(HashMap.keys(Command.getSubcommands(command))).filter((n) => n !== first)
  return second !== undefined && children.includes(second) ? [program, first, second] : [program, first]
}

/** The flags @effect/cli adds to every command. */
const BUILT_IN_FLAGS: ReadonlyArray<string> = ["--help", "-h", "--version", "--wizard", "--completions", "--log-level"]
const BUILT_IN_WITH_VALUE = new Set(["--completions", "--log-level"])

interface FlagInfo {
  readonly names: Set<string>
  /** Flags followed by a value, whose value must not be checked as a flag. */
  readonly withValue: Set<string>
}

const collectFlags = (usage: Usage.Usage, into: FlagInfo): void => {
  switch (usage._tag) {
    case "Named":
      for (const name of usage.names) {
        if (!name.startsWith("-")) continue
        into.names.add(name)
        if (Option.isSome(usage.acceptedValues)) into.withValue.add(name)
      }
      return
    case "Optional":
    case "Repeated":
      return collectFlags(usage.usage, into)
    case "Alternation":
    case "Concat":
      collectFlags(usage.left, into)
      return collectFlags(usage.right, into)
    default:
      return
  }
}

/**
 * Checks the command and flags of `args` (argv without node and script) against `commands` before
 * @effect/cli parses them, and returns a message with a did-you-mean for the first unknown one, or
 * undefined when all are known. @effect/cli would only say "Invalid subcommand" or "unknown argument".
 *
 * @since 0.2.0
 * @category parsing
 */
export const checkArgs = (
  commands: ReadonlyArray<Command.Command<any, any, any, any>>,
  program: string,
  args: ReadonlyArray<string>
): string | undefined => {
  const first = args[0]
  if (first === undefined || first.startsWith("-")) return undefined
  const named = commands.map((command) => [Array.from(Command.getNames(command)), command] as const)
  const names = named.flatMap(([n]) => n).sort()
  const command = named.find(([n]) => n.includes(first))?.[1]
  if (command === undefined) {
    const suggestion = closest(first, names)
    return `${program}: unknown command '${first}'${suggestion ? `. Did you mean '${suggestion}'?` : ""}\n` +
      `  commands: ${names.join(", ")}\n  hint: ${program} --help`
  }
  const children = Array.from(HashMap.keys(Command.getSubcommands(command))).filter((n) => n !== first)
  const second = args[1]
  if (children.length > 0 && second !== undefined && !second.startsWith("-") && !children.includes(second)) {
    const suggestion = closest(second, children)
    return `${program} ${first}: unknown command '${second}'${suggestion ? `. Did you mean '${suggestion}'?` : ""}\n` +
      `  commands: ${children.sort().join(", ")}\n  hint: ${program} ${first} --help`
  }
  const flags: FlagInfo = { names: new Set(BUILT_IN_FLAGS), withValue: new Set(BUILT_IN_WITH_VALUE) }
  collectFlags(Command.getUsage(command), flags)
  // A command's usage leaves out its subcommands' (`sessions list --format`)
  for (const child of HashMap.values(Command.getSubcommands(command))) collectFlags(Descriptor.getUsage(child), flags)
  for (let i = 1; i < args.length; i++) {
    const arg = args[i]!
    if (arg === "--") return undefined
    if (!arg.startsWith("--")) continue
    const name = arg.includes("=") ? arg.slice(0, arg.indexOf("=")) : arg
    if (flags.names.has(name)) {
      if (flags.withValue.has(name) && !arg.includes("=")) i++
      continue
    }
    const suggestion = closest(name.slice(2), Array.from(flags.names).filter((n) => n.startsWith("--")).map((n) => n.slice(2)))
    return `${program} ${first}: unknown flag '${name}'${suggestion ? `. Did you mean '--${suggestion}'?` : ""}\n` +
      `  hint: ${program} ${first} --help`
  }
  return undefined
}
