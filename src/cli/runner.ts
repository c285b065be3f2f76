/**
 * `openagents runner CONFIG`: a runner of the cluster of the config's `cluster` block, until SIGINT or
 * SIGTERM. It executes the runs of the sessions whose shards it owns; see docs/scale-out.md.
 *
 * @since 0.5.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { AgentRuntime } from "../runtime/AgentRuntime.js"
import { SessionStore } from "../sessions/SessionStore.js"
import { configArg } from "./internal/args.js"
import { clusterSettings, loadCluster } from "./internal/cluster.js"
import { CliExit, EXIT, printLine } from "./internal/exit.js"
import { loadRuntime } from "./internal/runner.js"
import { signalled } from "./internal/signals.js"

/**
 * The options of `openagents runner`.
 *
 * @since 0.5.0
 * @category options
 */
export const options = {
  config: configArg,
  port: Options.integer("port").pipe(Options.withDescription("Port of this runner (default: cluster.port)"), Options.optional),
  host: Options.text("host").pipe(
    Options.withDescription("Address the other runners reach this one at (default: cluster.host)"),
    Options.optional
  )
}

/**
 * `openagents runner`.
 *
 * @since 0.5.0
 * @category handlers
 */
export const handler = (opts: {
  readonly config: string
  readonly port: Option.Option<number>
  readonly host: Option.Option<string>
}) =>
  Effect.scoped(
    Effect.gen(function*() {
      const { loaded, runtime, store } = yield* loadRuntime(opts.config)
      const settings = yield* clusterSettings(loaded, {
        port: Option.getOrUndefined(opts.port),
        host: Option.getOrUndefined(opts.host)
      })
      const Runner = yield* loadCluster(() => import("../cluster/Runner.js"))
      const context = yield* Layer.build(
        Runner.layer(settings).pipe(
          Layer.provide(Layer.merge(Layer.succeed(AgentRuntime, runtime), Layer.succeed(SessionStore, store)))
        )
      ).pipe(
        Effect.catchAllDefect((defect) =>
          Effect.fail(
            new CliExit({
              code: EXIT.failed,
              message: `cannot join the cluster as ${settings.host}:${settings.port}: ${String((defect as Error)?.message ?? defect)}\n` +
                "  hint: check that the port is free (--port) and that the cluster's PostgreSQL is reachable"
            })
          )
        )
      )
      const runner = Context.get(context, Runner.Runner)
      yield* printLine(
        `openagents runner ${runner.address} joined the cluster (${settings.tablePrefix}_* tables, ${settings.shards} shards, ` +
          `max ${settings.maxConcurrentRuns} runs at a time)`
      )
      const signal = yield* signalled
      yield* printLine(`${signal}: leaving the cluster (runs in progress are cancelled)`)
    })
  )

/**
 * The `runner` command.
 *
 * @since 0.5.0
 * @category commands
 */
export const command = Command.make("runner", options, handler).pipe(
  Command.withDescription("Run a runner of the cluster described by an agent.json file's cluster block")
)
