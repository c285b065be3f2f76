/**
 * `openagents runner CONFIG`: a runner of the cluster of the config's `cluster` block, until SIGINT or
 * SIGTERM. It executes the runs of the sessions whose shards it owns; see docs/scale-out.md.
 *
 * A signal drains it: it takes no new run, lets its runs in flight finish (up to `--drain-timeout`,
 * default `cluster.drain_timeout_ms`), then leaves the cluster; a second signal leaves at once. Durable
 * runs still running then are left for another runner to resume from their journal: the process exits
 * at once, without cancelling them.
 *
 * @since 0.5.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
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
  ),
  drainTimeout: Options.integer("drain-timeout").pipe(
    Options.withDescription(
      "Milliseconds a stopped runner lets its runs in flight finish before it leaves (default: cluster.drain_timeout_ms, 30000)"
    ),
    Options.optional
  )
}

/** `30 s`, `1.5 s`. */
const seconds = (ms: number) => `${Number((ms / 1000).toFixed(3))} s`

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`

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
  readonly drainTimeout?: Option.Option<number>
}) =>
  Effect.scoped(
    Effect.gen(function*() {
      const drainTimeout = Option.getOrUndefined(opts.drainTimeout ?? Option.none())
      if (drainTimeout !== undefined && drainTimeout < 0) {
        return yield* new CliExit({ code: EXIT.usage, message: `--drain-timeout must be 0 or more milliseconds (got ${drainTimeout})` })
      }
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
      const timeoutMs = drainTimeout ?? settings.drainTimeoutMs
      // armed at once: a second signal leaves without waiting (with no listener, it would kill the process)
      const second = yield* Effect.fork(signalled)
      const n = yield* runner.executing
      yield* printLine(`${signal}: draining ${plural(n, "run")} (up to ${seconds(timeoutMs)}); a second signal leaves at once`)
      const summary = yield* runner.drain({
        timeout: Duration.millis(timeoutMs),
        stop: Effect.flatMap(Fiber.join(second), (again) => printLine(`${again}: leaving at once`))
      })
      yield* Fiber.interrupt(second)
      const left = summary.left.length
      yield* printLine(
        `left the cluster: ${plural(summary.finished, "run")} finished` +
          (summary.timedOut
            ? `; still there at the end of the drain: ${left} durable left running (another runner resumes them), ` +
              `${summary.cancelled} cancelled, ${summary.handedBack} not started handed back`
            : "")
      )
      // releasing the runtime would cancel the durable runs left: exit as a crash would, the journal holds them
      if (left > 0) yield* Effect.sync(() => process.exit(EXIT.ok))
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
