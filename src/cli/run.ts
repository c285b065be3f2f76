/**
 * `openagents run CONFIG --input TEXT`: runs one agent turn and prints it as text, JSON or events.
 *
 * @since 0.1.0
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as ConfigLoader from "../config/ConfigLoader.js"
import * as Plugins from "../config/Plugins.js"
import type { ConfigError } from "../kernel/Errors.js"
import { RunResult } from "../kernel/Run.js"
import * as RunStreamChunk from "../kernel/RunStreamChunk.js"
import { AgentRuntime, layer as runtimeLayer, type RunInput } from "../runtime/AgentRuntime.js"
import { SessionStore } from "../sessions/SessionStore.js"
import { formatConfigError } from "./configErrors.js"
import { CliExit, EXIT, exitCodeFor, write } from "./exit.js"

const configArg = Args.text({ name: "config" }).pipe(Args.withDescription("Path to an agent.json file"))

const optionalInt = (name: string, description: string) =>
  Options.integer(name).pipe(Options.withDescription(description), Options.optional)

/**
 * The options of `openagents run`.
 *
 * @since 0.1.0
 * @category options
 */
export const options = {
  config: configArg,
  input: Options.text("input").pipe(Options.withAlias("i"), Options.withDescription("The user's message")),
  agent: Options.text("agent").pipe(
    Options.withDescription("Agent id (may be left out when the config has one agent)"),
    Options.optional
  ),
  session: Options.text("session").pipe(Options.withDescription("Session id (default: a new cli-<hex> id)"), Options.optional),
  format: Options.choice("format", ["text", "json", "events"]).pipe(
    Options.withDescription("text: the answer as it streams; json: the RunResult; events: one chunk JSON per line"),
    Options.withDefault("text" as const)
  ),
  maxSteps: optionalInt("max-steps", "Stop after this many model calls (exit 3)"),
  maxDurationMs: optionalInt("max-duration-ms", "Stop after this many milliseconds (exit 3)"),
  maxToolCalls: optionalInt("max-tool-calls", "Stop after this many tool calls (exit 3)"),
  maxCostUsd: Options.float("max-cost-usd").pipe(Options.withDescription("Stop past this cost in USD (exit 3)"), Options.optional),
  durable: Options.boolean("durable").pipe(Options.withDescription("Journal every step and resume after retryable errors"))
}

/**
 * A configuration error as the CLI's exit 2, every problem printed.
 *
 * @since 0.1.0
 * @category errors
 */
export const configFailure = (error: ConfigError) =>
  new CliExit({ code: EXIT.usage, message: formatConfigError(error) })

/**
 * The runtime of a config file and the session store it runs on, or a CliExit(2).
 *
 * @since 0.1.0
 * @category constructors
 */
export const loadRuntime = (configPath: string) =>
  Effect.gen(function*() {
    const loaded = yield* ConfigLoader.loadFile(configPath).pipe(Effect.mapError(configFailure))
    const built = yield* Plugins.fromConfig(loaded).pipe(Effect.mapError(configFailure))
    const ctx = yield* Layer.build(runtimeLayer({ agents: built.agents }).pipe(Layer.provideMerge(built.services))).pipe(
      Effect.mapError(configFailure)
    )
    return { loaded, agents: built.agents, runtime: Context.get(ctx, AgentRuntime), store: Context.get(ctx, SessionStore) }
  })

/**
 * The agent a command runs: `--agent`, or the config's only agent; a CliExit(2) otherwise.
 *
 * @since 0.1.0
 * @category helpers
 */
export const chooseAgent = (
  agent: Option.Option<string>,
  agents: ReadonlyArray<{ readonly id: string }>,
  configPath: string
): Effect.Effect<string, CliExit> =>
  Option.isSome(agent)
    ? Effect.succeed(agent.value)
    : agents.length === 1
    ? Effect.succeed(agents[0]!.id)
    : Effect.fail(
      new CliExit({
        code: EXIT.usage,
        message: `--agent is required: ${configPath} has ${agents.length} agents (${agents.map((a) => a.id).join(", ")})`
      })
    )

const describeError = (result: RunResult): string => {
  const e = result.error
  if (!e) return ""
  const limit = result.metadata["limit"] ? ` (limit: ${String(result.metadata["limit"])})` : ""
  return `error: run ${result.stopReason}${limit}: ${e.tag}: ${e.message}${e.hint ? `\n  hint: ${e.hint}` : ""}\n`
}

/**
 * Runs a request and prints it in `format` (text: the answer as it streams; json: the RunResult; events:
 * one chunk per line), then ends with the exit code of its stop reason. The first Ctrl-C cancels the run
 * `runId` (it still ends with its result), a second one exits at once.
 *
 * @since 0.1.0
 * @category helpers
 */
export const streamRun = (
  runtime: AgentRuntime["Type"],
  request: RunInput,
  runId: string,
  format: "text" | "json" | "events",
  /** In text format, print a final text answer that no `llm.delta` streamed (a resumed run's journaled answer). */
  printFinalIfSilent = false
) =>
  Effect.scoped(
    Effect.gen(function*() {
      const rt = yield* Effect.runtime<never>()
      let interrupts = 0
      const onSigint = () => {
        interrupts++
        if (interrupts > 1) process.exit(EXIT.cancelled)
        Runtime.runFork(rt)(runtime.cancel(runId))
      }
      yield* Effect.acquireRelease(
        Effect.sync(() => process.on("SIGINT", onSigint)),
        () => Effect.sync(() => process.off("SIGINT", onSigint))
      )

      let printed = false
      let streamed = false
      let result: RunResult | undefined
      yield* Stream.runForEach(runtime.runStream(request), (chunk) =>
        Effect.promise(async () => {
          if (chunk.kind === "run.finished") result = chunk.result
          if (format === "events") {
            await write(process.stdout, JSON.stringify(RunStreamChunk.toJson(chunk)) + "\n")
          } else if (format === "text" && chunk.kind === "llm.delta") {
            printed = true
            streamed = true
            await write(process.stdout, String(chunk.payload["text"]))
          } else if (format === "text" && chunk.kind === "llm.finished" && printed) {
            await write(process.stdout, "\n")
            printed = false
          }
        })).pipe(
          Effect.catchTags({
            ConfigError: (e) => Effect.fail(configFailure(e)),
            UnknownAgentError: (e) => Effect.fail(new CliExit({ code: EXIT.usage, message: `${e.message}\n  hint: ${e.hint}` })),
            SessionBusy: (e) => Effect.fail(new CliExit({ code: EXIT.failed, message: e.message }))
          })
        )
      if (!result) return yield* new CliExit({ code: EXIT.failed, message: "the run ended without a result" })
      const final = result
      if (format === "json") {
        yield* Effect.promise(() => write(process.stdout, JSON.stringify(Schema.encodeSync(RunResult)(final), null, 2) + "\n"))
      } else if (format === "text" && final.stopReason === "completed" && typeof final.finalOutput !== "string") {
        yield* Effect.promise(() => write(process.stdout, JSON.stringify(final.finalOutput, null, 2) + "\n"))
      } else if (
        format === "text" && printFinalIfSilent && !streamed && final.stopReason === "completed" && final.finalOutput !== ""
      ) {
        yield* Effect.promise(() => write(process.stdout, String(final.finalOutput) + "\n"))
      }
      const code = exitCodeFor(final.stopReason)
      if (code !== EXIT.ok) return yield* new CliExit({ code, message: describeError(final).trimEnd() })
    })
  )

/**
/** Limit flags are checked here so a mistake reads as the flag, not as a schema error. */
const checkLimits = (opts: {
  readonly maxSteps: Option.Option<number>
  readonly maxDurationMs: Option.Option<number>
  readonly maxToolCalls: Option.Option<number>
  readonly maxCostUsd: Option.Option<number>
}): Effect.Effect<void, CliExit> => {
  const limits: ReadonlyArray<readonly [string, Option.Option<number>, number]> = [
    ["--max-steps", opts.maxSteps, 1],
    ["--max-duration-ms", opts.maxDurationMs, 1],
    ["--max-tool-calls", opts.maxToolCalls, 0],
    ["--max-cost-usd", opts.maxCostUsd, 0]
  ]
  for (const [flag, value, min] of limits) {
    if (Option.isSome(value) && value.value < min) {
      const bound = min === 1 ? "at least 1" : "0 or more"
      return Effect.fail(new CliExit({ code: EXIT.usage, message: `${flag} must be ${bound} (got ${value.value})` }))
    }
  }
  return Effect.void
}

/**
 * `openagents run`.
 *
 * @since 0.1.0
 * @category handlers
 */
export const handler = (opts: {
  readonly config: string
  readonly input: string
  readonly agent: Option.Option<string>
  readonly session: Option.Option<string>
  readonly format: "text" | "json" | "events"
  readonly maxSteps: Option.Option<number>
  readonly maxDurationMs: Option.Option<number>
  readonly maxToolCalls: Option.Option<number>
  readonly maxCostUsd: Option.Option<number>
  readonly durable: boolean
}) =>
  Effect.scoped(
    Effect.gen(function*() {
      const { agents, runtime } = yield* loadRuntime(opts.config)
      const agentId = yield* chooseAgent(opts.agent, agents, opts.config)
      yield* checkLimits(opts)
      const runId = crypto.randomUUID()
      const budget = {
        ...Option.match(opts.maxSteps, { onNone: () => ({}), onSome: (maxSteps) => ({ maxSteps }) }),
        ...Option.match(opts.maxDurationMs, { onNone: () => ({}), onSome: (maxDurationMs) => ({ maxDurationMs }) }),
        ...Option.match(opts.maxToolCalls, { onNone: () => ({}), onSome: (maxToolCalls) => ({ maxToolCalls }) }),
        ...Option.match(opts.maxCostUsd, { onNone: () => ({}), onSome: (maxCostUsd) => ({ maxCostUsd }) })
      }
      const request = {
        agentId,
        sessionId: Option.getOrElse(opts.session, () => `cli-${runId.slice(0, 8)}`),
        inputText: opts.input,
        runId,
        budget,
        durable: opts.durable
      }
      yield* streamRun(runtime, request, runId, opts.format)
    })
  )

/**
 * The `run` command.
 *
 * @since 0.1.0
 * @category commands
 */
export const command = Command.make("run", options, handler).pipe(
  Command.withDescription("Run one turn of an agent from an agent.json file")
)
