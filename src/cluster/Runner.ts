/**
 * A runner of the cluster: it joins the runners on PostgreSQL, owns a share of the shards, and executes
 * the runs of the sessions in them on its `AgentRuntime` (whose session store must be the postgres
 * store shared by the cluster, so that any runner resumes any session's durable run). Its counters go
 * to the `<prefix>_runner_stats` table every second and to Effect metrics tagged with its address.
 *
 * Stopping it well is `drain`: it leaves the cluster's assignment at once (its shards move to the other
 * runners), takes no run any more, lets its runs in flight finish up to a timeout, then leaves the
 * cluster (see docs/scale-out.md, "Stopping a runner").
 *
 * @since 0.5.0
 */
import * as Entity from "@effect/cluster/Entity"
import type * as Sharding from "@effect/cluster/Sharding"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
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
 * What a drain did: the runs in flight when it began and how each ended here.
 *
 * @since 0.5.0
 * @category models
 */
export interface DrainSummary {
  /** Runs executing here (or waiting for a slot) when the drain began. */
  readonly inFlight: number
  /** Runs that ended here during the drain, with their result (the cancelled ones apart). */
  readonly finished: number
  /** True when the timeout (or `stop`) came before the runs in flight had all ended. */
  readonly timedOut: boolean
  /** Non-durable runs still running at the timeout: cancelled, their `cancelled` result recorded. */
  readonly cancelled: number
  /** Runs still waiting for a slot at the timeout: given back, never started here; the next runner takes them. */
  readonly handedBack: number
  /**
   * Durable runs still running at the timeout: left `running` in the runs table. The process should
   * exit now without releasing its runtime (which would cancel them): the session's next runner then
   * resumes each from its journal, as after a crash.
   */
  readonly left: ReadonlyArray<string>
}

/**
 * The running runner: its address, its counters, and how to stop it well.
 *
 * @since 0.5.0
 * @category models
 */
export interface Service {
  /** `host:port`, as the other runners and the stats table name it. */
  readonly address: string
  readonly stats: Effect.Effect<Omit<RunnerStats, "updatedAtMs">>
  /** Runs executing here now, those waiting for a slot included. */
  readonly executing: Effect.Effect<number>
  /**
   * Leaves the cluster gracefully: unregisters at once (its shards move to the other runners, where new
   * runs of its sessions go; the streams of its runs in flight are cut, their clients get the results
   * from the new owner), takes no run any more, and waits for its runs in flight to end, up to `timeout`
   * or until `stop` completes (a second signal). What is still there then: runs waiting for a slot are given back, non-durable runs are
   * cancelled, durable runs are left to be resumed elsewhere (see `DrainSummary.left`). Then it leaves
   * (its shard locks released). Called again, it waits for the first drain's summary.
   */
  readonly drain: (options: {
    readonly timeout: Duration.DurationInput
    readonly stop?: Effect.Effect<unknown> | undefined
  }) => Effect.Effect<DrainSummary>
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

/**
 * The entity's handlers on this runner. `leaving` ends their streams (a draining runner's runs left
 * behind at its timeout): their clients submit again, to the session's next runner.
 */
const entityLayer = (ctx: Parameters<typeof handleRun>[0], sessionQueueSize: number, leaving: Deferred.Deferred<void>) =>
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
      const untilLeaving = Stream.interruptWhen(Deferred.await(leaving))
      return SessionEntity.of({
        Run: ({ payload }) => untilLeaving(batched(run(payload))),
        Watch: ({ payload }) => untilLeaving(batched(handleWatch(ctx, payload.runId))),
        Cancel: ({ payload }) => ctx.runtime.cancel(payload.runId)
      })
    }),
    // Cancel and Watch must not wait behind a run; runs of a session keep their order by `admission`
    { concurrency: "unbounded" }
  )

/**
 * The runner as a Layer over the runtime and its session store: it listens on `settings.port`, joins
 * the cluster, and leaves it (its shards moving to the others) when drained (`Service.drain`) or when
 * the Layer is released (which cancels the runs in flight).
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
    let draining = false
    const ctx = { runtime, store, runs, executions, runner: address, counters, draining: () => draining }
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
    // the cluster's part lives in scopes of its own, closed before the runs' (added after them, they
    // close first): a drain closes them while its runs go on
    const layerScope = yield* Effect.scope
    const clusterScope = yield* Scope.fork(layerScope, ExecutionStrategy.sequential)
    const sharding = yield* Layer.buildWithScope(
      shardingLayer(settings, "runner").pipe(Layer.provide(Layer.succeedContext(pg))),
      clusterScope
    )
    // closing it unregisters this runner (@effect/cluster's preemptive shutdown, on the close of an
    // entity's registration) and refuses new requests; an entity with requests in flight ends when they
    // have, or after entityTerminationTimeout (a streamed reply stalls there: see sharding.ts)
    const entityScope = yield* Scope.fork(clusterScope, ExecutionStrategy.sequential)
    const leaving = yield* Deferred.make<void>()
    yield* Layer.buildWithScope(
      Layer.merge(entityLayer(ctx, settings.sessionQueueSize, leaving), sweeper).pipe(
        Layer.provide(Layer.succeedContext(sharding))
      ),
      entityScope
    )

    const drained = yield* Deferred.make<DrainSummary>()
    const drainOnce = (options: Parameters<Service["drain"]>[0]) =>
      Effect.gen(function*() {
        const inFlight = executions.size()
        const finishedBefore = counters.finished
        const closing = yield* Effect.forkDaemon(Scope.close(entityScope, Exit.void))
        const timedOut = yield* Effect.raceFirst(
          Effect.as(executions.whenIdle, false),
          Effect.as(Effect.raceFirst(Effect.sleep(options.timeout), Effect.asVoid(options.stop ?? Effect.never)), true)
        )
        let cancelled = 0
        let handedBack = 0
        let left: ReadonlyArray<string> = []
        if (timedOut) {
          // never started here: the next runner starts them
          handedBack = (yield* executions.handBack((runId) => Effect.ignore(runs.unclaim(runId, address)))).length
          const nonDurable = executions.list().filter((e) => !e.durable).map((e) => e.runId)
          for (const runId of nonDurable) if (yield* runtime.cancel(runId)) cancelled++
          // their `cancelled` result is recorded before the runner leaves (their clients read it there)
          yield* Effect.ignore(Effect.timeout(executions.whenDone(nonDurable), Duration.seconds(10)))
          left = executions.list().filter((e) => e.durable).map((e) => e.runId)
        }
        // the entity's streams still open end (their clients submit again, to the next runner), and it closes
        yield* Deferred.succeed(leaving, undefined)
        yield* Effect.ignore(Effect.timeout(Fiber.join(closing), Duration.seconds(10)))
        yield* report
        // shard locks released; the runs left go on until the process exits
        yield* Scope.close(clusterScope, Exit.void)
        return {
          inFlight,
          finished: Math.max(0, counters.finished - finishedBefore - cancelled),
          timedOut,
          cancelled,
          handedBack,
          left
        } satisfies DrainSummary
      })
    const drain: Service["drain"] = (options) =>
      Effect.suspend(() => {
        if (draining) return Deferred.await(drained)
        draining = true
        return Effect.zipRight(Deferred.complete(drained, drainOnce(options)), Deferred.await(drained))
      })

    return Layer.succeedContext(
      Context.add(sharding, Runner, { address, stats, executing: Effect.sync(() => executions.size()), drain })
    )
  }))
