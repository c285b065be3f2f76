/**
 * The cluster side of the CLI: a config's `cluster` settings (a CliExit(2) naming the path when they
 * are wrong), a cluster client seen as the `RunSource` that `streamRun` prints, and the runtime whose
 * runs go to the cluster (`serve --cluster`).
 *
 * @since 0.5.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { ClusterClient } from "../../cluster/ClusterClient.js"
import { type ClusterSettings, settingsOf } from "../../config/ClusterConfig.js"
import type * as ConfigLoader from "../../config/ConfigLoader.js"
import { ConfigError } from "../../kernel/Errors.js"
import { configFailure } from "./configErrors.js"
import { CliExit, EXIT } from "./exit.js"
import { AgentRuntime } from "../../runtime/AgentRuntime.js"
import type { RunSource } from "./runner.js"

/**
 * A module of the cluster, loaded on first use: `@effect/cluster`, `@effect/rpc`, `@effect/sql` and
 * `@effect/sql-pg` are optional peers, so a CLI without them runs every other command, and `runner` or
 * `run --cluster` say what to install (exit 2) instead of crashing on an import.
 *
 * @since 0.5.0
 * @category constructors
 */
export const loadCluster = <A>(load: () => Promise<A>): Effect.Effect<A, CliExit> =>
  Effect.tryPromise({
    try: load,
    catch: (e) =>
      new CliExit({
        code: EXIT.usage,
        message: `error: the cluster needs the @effect/cluster and @effect/sql-pg packages: ${(e as Error).message.split("\n")[0]}\n` +
          "  hint: install them: npm install @effect/cluster @effect/rpc @effect/sql @effect/sql-pg @effect/experimental"
      })
  })

/**
 * The cluster settings of a loaded config, with the command line's overrides.
 *
 * @since 0.5.0
 * @category constructors
 */
export const clusterSettings = (
  loaded: ConfigLoader.LoadedConfig,
  overrides: { readonly port?: number | undefined; readonly host?: string | undefined } = {}
): Effect.Effect<ClusterSettings, CliExit> => {
  const settings = settingsOf(loaded.config as Parameters<typeof settingsOf>[0], loaded.path)
  if (settings instanceof ConfigError) return Effect.fail(configFailure(settings))
  if (overrides.port !== undefined && (overrides.port < 0 || overrides.port > 65535)) {
    return Effect.fail(new CliExit({ code: EXIT.usage, message: `--port must be 0..65535 (got ${overrides.port})` }))
  }
  return Effect.succeed({
    ...settings,
    ...(overrides.port !== undefined ? { port: overrides.port } : {}),
    ...(overrides.host !== undefined ? { host: overrides.host } : {})
  })
}

/**
 * A cluster client as the source of `streamRun`: a run's failure to reach its end is exit 1 with the
 * error's reason and hint.
 *
 * @since 0.5.0
 * @category constructors
 */
export const clusterSource = (client: ClusterClient["Type"], sessionId: string): RunSource => ({
  runStream: (input) =>
    client.runStream(input as never).pipe(
      Stream.mapError((e) =>
        new CliExit({
          code: EXIT.failed,
          message: `error: ClusterRunError (${e.reason}): ${e.message}${e.hint ? `\n  hint: ${e.hint}` : ""}`
        })
      )
    ),
  cancel: (runId) => client.cancel(sessionId, runId).pipe(Effect.orElseSucceed(() => false))
})

/**
 * The runtime of `serve --cluster`: the local one's agents, approvals and traces, its runs submitted to
 * the cluster of the config's `cluster` block (a client-only member, in the command's scope).
 *
 * @since 0.5.0
 * @category constructors
 */
export const clusterRuntime = (
  loaded: ConfigLoader.LoadedConfig,
  local: AgentRuntime["Type"]
): Effect.Effect<AgentRuntime["Type"], CliExit, Scope.Scope> =>
  Effect.gen(function*() {
    const settings = yield* clusterSettings(loaded)
    const ClusterRuntime = yield* loadCluster(() => import("../../cluster/ClusterRuntime.js"))
    const context = yield* Layer.build(
      ClusterRuntime.layer(settings).pipe(Layer.provide(Layer.succeed(AgentRuntime, local)))
    ).pipe(
      Effect.catchAllDefect((defect) =>
        Effect.fail(
          new CliExit({
            code: EXIT.failed,
            message: `cannot reach the cluster: ${String((defect as Error)?.message ?? defect)}\n` +
              "  hint: check cluster.url (the cluster's PostgreSQL) and that runners are up (openagents runner CONFIG)"
          })
        )
      )
    )
    return Context.get(context, AgentRuntime)
  })
