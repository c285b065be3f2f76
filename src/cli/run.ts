/**
 * `openagents run CONFIG --input TEXT`: runs one agent turn and prints it as text, JSON or events.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Context from "effect/Context"
import * as Layer from "effect/Layer"
import * as ConfigLoader from "../config/ConfigLoader.js"
import { askOnTerminal, canAsk } from "./internal/approvals.js"
import { clusterSettings, clusterSource, loadCluster } from "./internal/cluster.js"
import { configFailure } from "./internal/configErrors.js"
import { agentOption, configArg, runFormatOption } from "./internal/args.js"
import { CliExit, EXIT } from "./internal/exit.js"
import { readInput } from "./internal/input.js"
import { chooseAgent, loadRuntime, streamRun, warnCostUnknown } from "./internal/runner.js"

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
  input: Options.text("input").pipe(
    Options.withAlias("i"),
    Options.withDescription("The user's message (or --input-file, or piped on stdin)"),
    Options.optional
  ),
  inputFile: Options.text("input-file").pipe(
    Options.withDescription("Read the user's message from this file ('-' for stdin)"),
    Options.optional
  ),
  agent: agentOption,
  session: Options.text("session").pipe(Options.withDescription("Session id (default: a new cli-<hex> id)"), Options.optional),
  format: runFormatOption,
  maxSteps: optionalInt("max-steps", "Stop after this many model calls (exit 3)"),
  maxDurationMs: optionalInt("max-duration-ms", "Stop after this many milliseconds (exit 3)"),
  maxToolCalls: optionalInt("max-tool-calls", "Stop after this many tool calls (exit 3)"),
  maxCostUsd: Options.float("max-cost-usd").pipe(Options.withDescription("Stop past this cost in USD (exit 3)"), Options.optional),
  durable: Options.boolean("durable").pipe(Options.withDescription("Journal every step and resume after retryable errors")),
  noWaitApproval: Options.boolean("no-wait-approval").pipe(
    Options.withDescription("A tool call needing approval stops the run (exit 4) instead of asking on the terminal")
  ),
  cluster: Options.boolean("cluster").pipe(
    Options.withDescription("Submit the run to the cluster of the config's cluster block (openagents runner) instead of running it here")
  )
}

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

const budgetOf = (opts: {
  readonly maxSteps: Option.Option<number>
  readonly maxDurationMs: Option.Option<number>
  readonly maxToolCalls: Option.Option<number>
  readonly maxCostUsd: Option.Option<number>
}) => ({
  ...Option.match(opts.maxSteps, { onNone: () => ({}), onSome: (maxSteps) => ({ maxSteps }) }),
  ...Option.match(opts.maxDurationMs, { onNone: () => ({}), onSome: (maxDurationMs) => ({ maxDurationMs }) }),
  ...Option.match(opts.maxToolCalls, { onNone: () => ({}), onSome: (maxToolCalls) => ({ maxToolCalls }) }),
  ...Option.match(opts.maxCostUsd, { onNone: () => ({}), onSome: (maxCostUsd) => ({ maxCostUsd }) })
})

/**
 * `run --cluster`: the run goes to the runner owning its session's shard; no terminal approvals there
 * (a call needing one stops the run, exit 4: `openagents approve` goes on).
 */
const runOnCluster = (
  opts: Parameters<typeof checkLimits>[0] & {
    readonly config: string
    readonly agent: Option.Option<string>
    readonly session: Option.Option<string>
    readonly format: "text" | "json" | "events"
    readonly durable: boolean
  },
  inputText: string
) =>
  Effect.gen(function*() {
    const loaded = yield* ConfigLoader.loadFile(opts.config).pipe(Effect.mapError(configFailure))
    const settings = yield* clusterSettings(loaded)
    const agentId = yield* chooseAgent(opts.agent, loaded.config.agents, opts.config)
    yield* checkLimits(opts)
    const runId = crypto.randomUUID()
    const sessionId = Option.getOrElse(opts.session, () => `cli-${runId.slice(0, 8)}`)
    const ClusterClient = yield* loadCluster(() => import("../cluster/ClusterClient.js"))
    const client = yield* Layer.build(ClusterClient.layer(settings)).pipe(
      Effect.map((context) => Context.get(context, ClusterClient.ClusterClient))
    )
    const request = { agentId, sessionId, inputText, runId, budget: budgetOf(opts), durable: opts.durable, waitForApproval: false }
    yield* streamRun(clusterSource(client, sessionId), request, runId, opts.format, true)
  })

/**
 * `openagents run`.
 *
 * @since 0.1.0
 * @category handlers
 */
export const handler = (opts: {
  readonly config: string
  readonly input: Option.Option<string>
  readonly inputFile: Option.Option<string>
  readonly agent: Option.Option<string>
  readonly session: Option.Option<string>
  readonly format: "text" | "json" | "events"
  readonly maxSteps: Option.Option<number>
  readonly maxDurationMs: Option.Option<number>
  readonly maxToolCalls: Option.Option<number>
  readonly maxCostUsd: Option.Option<number>
  readonly durable: boolean
  readonly noWaitApproval: boolean
  readonly cluster: boolean
}) =>
  Effect.scoped(
    Effect.gen(function*() {
      const inputText = yield* readInput(opts.input, opts.inputFile)
      if (opts.cluster) return yield* runOnCluster(opts, inputText)
      const { agents, runtime, bus } = yield* loadRuntime(opts.config)
      const agentId = yield* chooseAgent(opts.agent, agents, opts.config)
      yield* checkLimits(opts)
      const runId = crypto.randomUUID()
      const budget = budgetOf(opts)
      const request = {
        agentId,
        sessionId: Option.getOrElse(opts.session, () => `cli-${runId.slice(0, 8)}`),
        inputText,
        runId,
        budget,
        durable: opts.durable,
        // without a terminal to ask on, a call needing approval stops the run: `openagents approve` goes on
        waitForApproval: !opts.noWaitApproval && canAsk()
      }
      if (request.waitForApproval) yield* askOnTerminal(runtime, bus, runId)
      const flushWarnings = Option.isSome(opts.maxCostUsd) ? yield* warnCostUnknown(bus, runId) : Effect.void
      yield* streamRun(runtime, request, runId, opts.format, false, bus).pipe(Effect.ensuring(flushWarnings))
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
