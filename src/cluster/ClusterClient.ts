/**
 * A client of the cluster, in any process: it submits runs to the session entity that owns them (on
 * whichever runner holds the session's shard) and streams their chunks back. When a runner dies under a
 * run, @effect/cluster sends the run again to the shard's new owner, which resumes a durable run from
 * its journal; when the stream is cut anyway (an interrupted reply), the client reads how the run ended
 * in the cluster's runs table and submits it again under the same run id, which is idempotent. A
 * non-durable run whose runner died ends with `ClusterRunError` reason `lost`.
 *
 * @since 0.5.0
 */
import type * as Sharding from "@effect/cluster/Sharding"
import * as SqlClient from "@effect/sql/SqlClient"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type { ClusterSettings } from "../config/ClusterConfig.js"
import type { RunRequest, RunResult } from "../kernel/Run.js"
import * as RunStreamChunk from "../kernel/RunStreamChunk.js"
import * as Runs from "./internal/runs.js"
import { migrate, pgLayer, shardingLayer } from "./internal/sharding.js"
import { type ClusterRunError, clusterRunError, SessionEntity } from "./SessionEntity.js"

/**
 * A request as the cluster takes it: the fields of a `RunRequest` as JSON (no `outputType` Schema or
 * `deps`, which cannot cross processes). `runId` defaults to a new UUID, `sessionId` to `default`.
 *
 * @since 0.5.0
 * @category models
 */
export type ClusterRunInput = Omit<Schema.Schema.Encoded<typeof RunRequest>, "outputType" | "deps">

/**
 * @since 0.5.0
 * @category models
 */
export interface Service {
  /** Submits a run; its chunks, `run.finished` (with the result) last. */
  readonly runStream: (input: ClusterRunInput) => Stream.Stream<RunStreamChunk.RunStreamChunk, ClusterRunError>
  /** Submits a run and waits for its result. */
  readonly runDetailed: (input: ClusterRunInput) => Effect.Effect<RunResult, ClusterRunError>
  /** The chunks of a run in progress, from its first, or its result when it has finished. */
  readonly watch: (sessionId: string, runId: string) => Stream.Stream<RunStreamChunk.RunStreamChunk, ClusterRunError>
  /** Cancels a run: true when it was running. */
  readonly cancel: (sessionId: string, runId: string) => Effect.Effect<boolean, ClusterRunError>
  /** A finished run's result, from the cluster's runs table. */
  readonly result: (runId: string) => Effect.Effect<Option.Option<RunResult>, ClusterRunError>
  /** The session of a run the cluster has taken (from its runs table); none for a run it does not know. */
  readonly sessionOf: (runId: string) => Effect.Effect<Option.Option<string>, ClusterRunError>
  /** Every runner's counters (started, resumed, finished, lost, in flight, queued), as they last wrote them. */
  readonly runnerStats: Effect.Effect<ReadonlyArray<Runs.RunnerStats>, ClusterRunError>
}

/**
 * @since 0.5.0
 * @category tags
 */
export class ClusterClient extends Context.Tag("openagents/cluster/ClusterClient")<ClusterClient, Service>() {}

/** How many times a run is submitted again after its stream was cut. */
const MAX_RESUBMITS = 30

const decodeChunk = Schema.decodeUnknown(RunStreamChunk.RunStreamChunk)

/**
 * Builds the client over the cluster's Sharding (client-only, or a runner's own) and SQL client.
 *
 * @since 0.5.0
 * @category constructors
 */
export const make = (
  settings: Pick<ClusterSettings, "tablePrefix">
): Effect.Effect<Service, never, Sharding.Sharding | SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const runs = yield* Runs.make(settings.tablePrefix).pipe(Effect.orDie)
    const entity = yield* SessionEntity.client
    const storage = (runId: string) => (e: unknown) =>
      clusterRunError("storage", runId, `the cluster's PostgreSQL failed: ${String((e as Error)?.message ?? e)}`)

    /** Some runner has registered (else a send would wait for one forever). */
    const runnersTable = `${settings.tablePrefix}_runners`
    // once a runner was seen, never asked again; a failed wait is asked again at the next run
    let seenRunner = false
    const ready = Effect.suspend(() =>
      seenRunner ? Effect.void : sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql(runnersTable)} WHERE healthy`.pipe(
        Effect.map((rows) => Number(rows[0]?.n ?? 0)),
        Effect.catchAll(() => Effect.succeed(0)),
        Effect.filterOrFail((n) => n > 0, () => "none"),
        Effect.retry(Schedule.spaced(Duration.millis(250)).pipe(Schedule.upTo(Duration.seconds(30)))),
        Effect.asVoid,
        Effect.tap(() => Effect.sync(() => (seenRunner = true))),
        Effect.mapError(() =>
          clusterRunError("unavailable", "", `no runner has joined the cluster (table ${runnersTable}) in 30 s`)
        )
      )
    )

    /** A wire element holds the run's own `run.finished` (the end of its stream). */
    const endsRun = (runId: string, batch: unknown) =>
      (Array.isArray(batch) ? batch : [batch]).some((c) => {
        const chunk = c as { kind?: unknown; runId?: unknown; parentRunId?: unknown }
        return chunk?.kind === "run.finished" && chunk.runId === runId && chunk.parentRunId === undefined
      })

    const submit = (
      sessionId: string,
      runId: string,
      durable: boolean,
      request: unknown,
      attempt: number,
      resultOnly: boolean
    ): Stream.Stream<unknown, ClusterRunError> =>
      Stream.suspend(() => {
        let ended = false
        /** Cut off (the runner died, the shard moved, the stream ended early): the runs table knows how it ended. */
        const recover = (cause: Cause.Cause<unknown>) =>
          Stream.unwrap(Effect.gen(function*() {
            const row = yield* Effect.mapError(runs.get(runId), storage(runId))
            if (Option.isSome(row) && row.value.status === "finished") return Stream.make([JSON.parse(row.value.result ?? "null")])
            if (Option.isSome(row) && row.value.status === "lost") {
              return Stream.fail(clusterRunError("lost", runId, `run ${runId} was lost with its runner (${row.value.runner})`))
            }
            if (attempt >= MAX_RESUBMITS) {
              return Stream.fail(clusterRunError("unavailable", runId, `run ${runId} was cut off ${attempt} times: ${Cause.pretty(cause)}`))
            }
            yield* Effect.sleep(Duration.millis(500))
            return submit(sessionId, runId, durable, request, attempt + 1, resultOnly)
          }))
        return entity(sessionId).Run({ runId, durable, request, ...(resultOnly ? { resultOnly } : {}) }).pipe(
          Stream.tap((batch) => Effect.sync(() => ended ||= endsRun(runId, batch))),
          Stream.catchAllCause((cause): Stream.Stream<unknown, ClusterRunError> => {
            const failure = Option.getOrUndefined(Cause.failureOption(cause)) as { _tag?: string } | undefined
            if (failure?._tag === "ClusterRunError") return Stream.fail(failure as ClusterRunError)
            if (failure?._tag === "MailboxFull") return Stream.fail(clusterRunError("busy", runId, "the session's mailbox is full"))
            return recover(cause)
          }),
          Stream.concat(Stream.suspend(() => (ended ? Stream.empty : recover(Cause.empty))))
        )
      })

    /**
     * The wire's batches (arrays of encoded chunks) as chunks, up to the run's own `run.finished`. Each
     * run's `sequence` is numbered here, on from the chunks already seen: a run resumed on another runner
     * (or a stored end read after a cut) starts its own count again at 0, the stream's stays gap-free.
     */
    const decode = (runId: string, wire: Stream.Stream<unknown, ClusterRunError>) =>
      Stream.suspend(() => {
        const next = new Map<string, number>()
        return wire.pipe(
          Stream.mapConcat((batch) => (Array.isArray(batch) ? batch : [batch])),
          Stream.mapEffect((json) =>
            Effect.mapError(decodeChunk(json), (e) => clusterRunError("unavailable", runId, `a chunk did not decode: ${e.message}`))
          ),
          Stream.map((chunk) => {
            const sequence = next.get(chunk.runId) ?? 0
            next.set(chunk.runId, sequence + 1)
            return chunk.sequence === sequence ? chunk : { ...chunk, sequence }
          }),
          Stream.takeUntil((chunk) => chunk.kind === "run.finished" && chunk.parentRunId === undefined && chunk.runId === runId)
        )
      })

    const submitted = (input: ClusterRunInput, resultOnly: boolean) =>
      Stream.unwrap(Effect.gen(function*() {
        yield* ready
        const runId = input.runId ?? crypto.randomUUID()
        const sessionId = input.sessionId ?? "default"
        const request = { ...input, runId, sessionId }
        return decode(runId, submit(sessionId, runId, input.durable === true, request, 0, resultOnly))
      }))

    const runStream: Service["runStream"] = (input) => submitted(input, false)

    // the result alone comes back: no chunk is encoded, sent, acknowledged or decoded on the way
    const runDetailed: Service["runDetailed"] = (input) =>
      Effect.gen(function*() {
        const runId = input.runId ?? crypto.randomUUID()
        let result: RunResult | undefined
        yield* Stream.runForEach(submitted({ ...input, runId }, true), (chunk) =>
          Effect.sync(() => {
            if (chunk.kind === "run.finished" && chunk.parentRunId === undefined) result = chunk.result
          }))
        if (result === undefined) return yield* clusterRunError("unavailable", runId, `run ${runId} ended without a result`)
        return result
      })

    return {
      runStream,
      runDetailed,
      watch: (sessionId, runId) => decode(runId, entity(sessionId).Watch({ runId }).pipe(Stream.mapError((e) =>
        e._tag === "ClusterRunError" ? e : clusterRunError("unavailable", runId, String(e))))),
      cancel: (sessionId, runId) =>
        entity(sessionId).Cancel({ runId }).pipe(Effect.mapError((e) => clusterRunError("unavailable", runId, String(e)))),
      result: (runId) =>
        Effect.gen(function*() {
          const row = yield* Effect.mapError(runs.get(runId), storage(runId))
          if (Option.isNone(row) || row.value.status !== "finished") return Option.none()
          const chunk = yield* Effect.orDie(decodeChunk(JSON.parse(row.value.result ?? "null")))
          return chunk.kind === "run.finished" ? Option.some(chunk.result) : Option.none()
        }),
      sessionOf: (runId) => Effect.mapError(Effect.map(runs.get(runId), Option.map((row) => row.sessionId)), storage(runId)),
      runnerStats: Effect.mapError(runs.listStats, storage(""))
    } satisfies Service
  })

/**
 * A client-only member of the cluster (it hosts no session) as a Layer.
 *
 * @since 0.5.0
 * @category layers
 */
export const layer = (settings: ClusterSettings): Layer.Layer<ClusterClient> =>
  Layer.effect(ClusterClient, make(settings)).pipe(
    Layer.provide(shardingLayer(settings, "client")),
    Layer.provide(Layer.effectDiscard(migrate(settings))),
    Layer.provide(Layer.orDie(pgLayer(settings, 4)))
  )
