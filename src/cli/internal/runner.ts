/**
 * Running one request from the CLI: the runtime of a config file, the agent to run, and the run printed
 * as text, JSON or events with the exit code of its stop reason (shared by `run` and `resume`).
 *
 * @since 0.2.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Runtime from "effect/Runtime"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as ConfigLoader from "../../config/ConfigLoader.js"
import * as Plugins from "../../config/Plugins.js"
import { RunResult } from "../../kernel/Run.js"
import * as RunStreamChunk from "../../kernel/RunStreamChunk.js"
import { AgentRuntime, layer as runtimeLayer, type RunInput, type StartError } from "../../runtime/AgentRuntime.js"
import { EventBus } from "../../events/EventBus.js"
import type { RuntimeEvent } from "../../kernel/EventTaxonomy.js"
import { SessionStore } from "../../sessions/SessionStore.js"
import { configFailure } from "./configErrors.js"
import * as Status from "./status.js"
import { CliExit, EXIT, exitCodeFor, write } from "./exit.js"

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
    return {
      loaded,
      agents: built.agents,
      runtime: Context.get(ctx, AgentRuntime),
      store: Context.get(ctx, SessionStore),
      bus: Context.get(ctx, EventBus)
    }
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

/**
 * Warns on stderr when the run `runId` has a cost budget that its model's missing price makes
 * unenforceable (the runtime's `budget.cost_unknown` event): the run goes on, and a user who asked for
 * `--max-cost-usd` must not believe they are protected. Listens for the rest of the scope; the returned
 * effect prints what is still queued, for the end of a run that finished before the listener ran.
 *
 * @since 0.2.0
 * @category helpers
 */
export const warnCostUnknown = (bus: EventBus["Type"], runId: string) =>
  Effect.gen(function*() {
    const events = yield* bus.subscribe
    let warned = false
    const handle = (event: RuntimeEvent) =>
      Effect.sync(() => {
        if (warned || event.runId !== runId || event.name !== "budget.cost_unknown") return
        warned = true
        process.stderr.write(
          `warning: --max-cost-usd ${event.payload.limit} cannot be enforced: model '${event.payload.model}' has no price, ` +
            "so the run's cost is unknown and does not stop it\n" +
            "  hint: set llm.pricing (USD per million input and output tokens) in the config\n"
        )
      })
    yield* Queue.take(events).pipe(Effect.flatMap(handle), Effect.forever, Effect.forkScoped)
    return Queue.takeAll(events).pipe(Effect.flatMap(Effect.forEach(handle, { discard: true })))
  })

/**
 * The error line of a run that did not complete (with the limit it hit, and its hint), or "".
 *
 * @since 0.2.0
 * @category formatting
 */
export const describeError = (result: RunResult): string => {
  const e = result.error
  if (!e) return ""
  const limit = result.metadata["limit"] ? ` (limit: ${String(result.metadata["limit"])})` : ""
  return `error: run ${result.stopReason}${limit}: ${e.tag}: ${e.message}${e.hint ? `\n  hint: ${e.hint}` : ""}\n` +
    // calls waiting for a human: what they are and how to decide them (see docs/approvals.md)
    (result.pendingApprovals ?? []).map((p) =>
      `  waiting: ${p.tool} ${JSON.stringify(p.arguments)} (run ${p.runId}, call ${p.callId})\n` +
      `    openagents approve CONFIG --session ${result.sessionId} --call ${p.callId} [--arguments JSON]\n` +
      `    openagents reject CONFIG --session ${result.sessionId} --call ${p.callId} --reason TEXT\n`
    ).join("")
}

/**
 * What `streamRun` runs on: the runtime of this process, or a cluster's client (`run --cluster`), whose
 * failures arrive as a CliExit.
 *
 * @since 0.5.0
 * @category models
 */
export interface RunSource {
  readonly runStream: (input: RunInput) => Stream.Stream<RunStreamChunk.RunStreamChunk, StartError | CliExit>
  readonly cancel: (runId: string) => Effect.Effect<boolean>
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
  runtime: RunSource,
  request: RunInput,
  runId: string,
  format: "text" | "json" | "events",
  /** In text format, print a final text answer that no `llm.delta` streamed (a resumed run's journaled answer). */
  printFinalIfSilent = false,
  /** The runtime's bus, for the live status line on a terminal (none without it). */
  bus?: EventBus["Type"]
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

      const status = bus ? yield* Status.make(bus, runId, format) : undefined
      let printed = false
      let streamed = false
      let result: RunResult | undefined
      yield* Stream.runForEach(runtime.runStream(request), (chunk) =>
        Effect.promise(async () => {
          // every chunk of the tree goes out as an event; the text is the run's own (its children's answers
          // reach it as tool results), and so is the result
          if (format === "events") {
            await write(process.stdout, JSON.stringify(RunStreamChunk.toJson(chunk)) + "\n")
          }
          if (chunk.parentRunId !== undefined) return
          if (chunk.kind === "run.finished") result = chunk.result
          if (format === "events") {
            return
          } else if (format === "text" && chunk.kind === "llm.delta") {
            if (!printed && status) Effect.runSync(status.textStarted)
            printed = true
            streamed = true
            await write(process.stdout, String(chunk.payload["text"]))
          } else if (format === "text" && chunk.kind === "llm.finished" && printed) {
            await write(process.stdout, "\n")
            printed = false
            if (status) Effect.runSync(status.textEnded)
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
