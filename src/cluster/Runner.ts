/**
 * A runner of the cluster: it joins the runners on PostgreSQL, owns a share of the shards, and executes
 * the runs of the sessions in them on its `AgentRuntime` (whose session store must be the postgres
 * store shared by the cluster, so that any runner resumes any session's durable run). Its counters go
 * to the `<prefix>_runner_stats` table every second and to Effect metrics tagged with its address.
 *
 * @since 0.5.0
 */
import * as Entity from "@effect/cluster/Entity"
import type * as Sharding from "@effect/cluster/Sharding"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import type { ClusterSettings } from "../config/ClusterConfig.js"
import { AgentRuntime } from "../runtime/AgentRuntime.js"
import { SessionStore } from "../sessions/SessionStore.js"
import * as Executions from "./internal/executions.js"
import { type Counters, handleRun, handleWatch, sweep } from "./internal/handler.js"
import * as Runs from "./internal/runs.js"
import { migrate, pgLayer, shardingLayer } from "./internal/sharding.js"
import { clusterRunError, SessionEntity } from "./SessionEntity.js"

/**
 * A runner's counters at a moment.
 *
 * @since 0.5.0
 * @category models
 */
export interface RunnerStats extends Runs.RunnerStats {}

/**
 * The running runner: its address and its counters.
 *
 * @since 0.5.0
 * @category models
 */
export interface Service {
  /** `host:port`, as the other runners and the stats table name it. */
  readonly address: string
  readonly stats: Effect.Effect<Omit<RunnerStats, "updatedAtMs">>
}

/**
 * @since 0.5.0
 * @category tags
 */
export class Runner extends Context.Tag("openagents/cluster/Runner")<Runner, Service>() {}

const gauge = (name: string, description: string) => Metric.gauge(name, { description })

const metrics = {
  started: Metric.counter("openagents_cluster_runs_started", { description: "Runs a runner started", incremental: true }),
  resumed: Metric.counter("openagents_cluster_runs_resumed", { description: "Runs a runner resumed after another died", incremental: true }),
  finished: Metric.counter("openagents_cluster_runs_finished", { description: "Runs a runner finished", incremental: true }),
  lost: Metric.counter("openagents_cluster_runs_lost", { description: "Non-durable runs found lost", incremental: true }),
  inFlight: gauge("openagents_cluster_runs_in_flight", "Runs executing on a runner"),
  queued: gauge("openagents_cluster_runs_queued", "Runs waiting for a slot of a runner's max_concurrent_runs")
}

/**
 * Chunks go out in batches (an array of encoded chunks an element): @effect/cluster acknowledges each
 * element of a streamed reply with a message of its own, a round trip each; the chunks made while one
 * batch waits for its ack go out together in the next.
 */
const batched = <E>(stream: Stream.Stream<unknown, E>): Stream.Stream<unknown, E> =>
  // an empty chunk of the stream (a batch whose chunks were all left out) is no message
  stream.pipe(Stream.chunks, Stream.filter((chunk) => Chunk.isNonEmpty(chunk)), Stream.map(Chunk.toReadonlyArray))

/** The entity's handlers on this runner. */
const entityLayer = (ctx: Parameters<typeof handleRun>[0], sessionQueueSize: number) =>
  SessionEntity.toLayer(
    Effect.gen(function*() {
      const address = yield* Entity.CurrentAddress
      const admission = yield* Effect.makeSemaphore(1)
      // the session's runs on their way (queued or running): one queue per session, bounded
      let pending = 0
      const run = (payload: Parameters<typeof handleRun>[2]) =>
        Stream.suspend(() => {
          if (pending >= sessionQueueSize) {
            return Stream.fail(clusterRunError(
              "busy",
              payload.runId,
              `session ${address.entityId} has ${pending} runs on their way (cluster.session_queue_size ${sessionQueueSize})`
            ))
          }
          pending++
          return handleRun(ctx, address.entityId, payload, admission.withPermits(1)).pipe(
            Stream.ensuring(Effect.sync(() => pending--))
          )
        })
      return SessionEntity.of({
        Run: ({ payload }) => batched(run(payload)),
        Watch: ({ payload }) => batched(handleWatch(ctx, payload.runId)),
        Cancel: ({ payload }) => ctx.runtime.cancel(payload.runId)
      })
    }),
    // Cancel and Watch must not wait behind a run; runs of a session keep their order by `admission`
    { concurrency: "unbounded" }
  )

/**
 * The runner as a Layer over the runtime and its session store: it listens on `settings.port`, joins
 * the cluster, and leaves it (its shards moving to the others) when the Layer is released.
 *
 * @since 0.5.0
 * @category layers
 */
export const layer = (
  settings: ClusterSettings
): Layer.Layer<Runner | Sharding.Sharding, never, AgentRuntime | SessionStore> =>
  Layer.unwrapScoped(Effect.gen(function*() {
    const runtime = yield* AgentRuntime
    const store = yield* SessionStore
    const pg = yield* Layer.build(pgLayer(settings, 5)).pipe(Effect.orDie)
    yield* migrate(settings).pipe(Effect.provide(pg))
    const runs = yield* Runs.make(settings.tablePrefix).pipe(Effect.provide(pg), Effect.orDie)
    const executions = yield* Executions.make(settings.maxConcurrentRuns)
    const address = `${settings.host}:${settings.port}`
    const counters: Counters = { started: 0, resumed: 0, finished: 0, lost: 0 }
    const stats = Effect.sync(() => ({
      runner: address,
      ...counters,
      inFlight: executions.limiter.active,
      queued: executions.limiter.queued
    }))
    const tagged = <T>(m: Metric.Metric<T, any, any>) => Metric.tagged(m, "runner", address)
    let reported = { started: 0, resumed: 0, finished: 0, lost: 0 }
    const report = Effect.gen(function*() {
      const s = yield* stats
      for (const key of ["started", "resumed", "finished", "lost"] as const) {
        if (s[key] > reported[key]) yield* Metric.update(tagged(metrics[key]), s[key] - reported[key])
      }
      reported = { started: s.started, resumed: s.resumed, finished: s.finished, lost: s.lost }
      yield* Metric.set(tagged(metrics.inFlight), s.inFlight)
      yield* Metric.set(tagged(metrics.queued), s.queued)
      yield* runs.saveStats(s).pipe(Effect.catchAll(() => Effect.void))
    })
    yield* report.pipe(Effect.repeat(Schedule.spaced(Duration.seconds(1))), Effect.forkScoped)
    yield* Effect.addFinalizer(() => report)
    const ctx = { runtime, store, runs, executions, runner: address, counters }
    const interval = Duration.millis(settings.healthCheckIntervalMs)
    // a runner is gone once its heartbeat is older than the shard lock expiration (6 intervals, sharding.ts)
    const staleSeconds = Math.ceil((6 * settings.healthCheckIntervalMs) / 1000)
    const sweeper = Layer.scopedDiscard(Effect.gen(function*() {
      const entity = yield* SessionEntity.client
      const sending = new Set<string>()
      const scope = yield* Effect.scope
      const send = (sessionId: string, payload: Parameters<typeof handleRun>[2]) =>
        Stream.runDrain(entity(sessionId).Run({ ...payload, resultOnly: true })).pipe(Effect.ignore)
      yield* sweep(runs, send, sending, staleSeconds, (effect) => Effect.forkIn(effect, scope)).pipe(
        Effect.repeat(Schedule.spaced(Duration.times(interval, 2))),
        Effect.forkScoped
      )
    }))
    return Layer.merge(
      Layer.succeed(Runner, { address, stats }),
      Layer.merge(entityLayer(ctx, settings.sessionQueueSize), sweeper).pipe(
        Layer.provideMerge(shardingLayer(settings, "runner")),
        Layer.provide(Layer.succeedContext(pg))
      )
    )
  }))
