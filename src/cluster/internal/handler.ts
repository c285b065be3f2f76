/**
 * What a runner does with a `Run` of a session entity. Idempotent by run id, whatever @effect/cluster
 * delivers twice (it sends a dead runner's messages again to the shard's new owner):
 *
 * - finished (in the runs table): its stored `run.finished` chunk; unless it is the continuation of a run
 *   stopped for a human, each of whose waiting calls is now decided (the session's pending approvals
 *   give the same checkpoint): then the run is taken again and continued here;
 * - executing here: joined;
 * - taken by a runner before (the row says `running`): the session's lease decides. Held (that runner
 *   is alive and still on it, or on an earlier run of the session): wait and look again. Free (that
 *   runner is gone): a durable run resumes from its last checkpoint here, with the rerun/assume rules of
 *   today (a non-idempotent tool that started and did not finish stops it with ToolOutcomeUnknown); a
 *   non-durable one is `lost`;
 * - unknown: taken and started here (a durable run's request is kept with it, for `sweep`), once no run
 *   of the session is still running on another runner (one that drains, whose shards moved): while one
 *   is (the session's lease held), it waits and looks again.
 *
 * A draining runner takes no run (neither new nor left by another runner): its stream ends without a
 * result, and the client submits it again, to the runner that owns the session's shard once this one
 * has left.
 */
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as RunStreamChunk from "../../kernel/RunStreamChunk.js"
import { continuation } from "../../runtime/internal/approvals.js"
import { lastCheckpointOf } from "../../runtime/internal/journal.js"
import type { AgentRuntime } from "../../runtime/AgentRuntime.js"
import type { SessionStore } from "../../sessions/SessionStore.js"
import { type ClusterRunError, clusterRunError } from "../SessionEntity.js"
import type { Executions, Item } from "./executions.js"
import type { RunRow, Runs } from "./runs.js"

export interface Counters {
  started: number
  resumed: number
  finished: number
  lost: number
}

export interface Context {
  readonly runtime: AgentRuntime["Type"]
  readonly store: SessionStore["Type"]
  readonly runs: Runs
  readonly executions: Executions
  readonly runner: string
  readonly counters: Counters
  /** True once the runner drains (it is leaving the cluster): it takes no run any more. */
  readonly draining: () => boolean
}

export interface RunPayload {
  readonly runId: string
  readonly durable: boolean
  readonly request: unknown
  readonly resultOnly?: boolean | undefined
}

const storage = (runId: string) => (e: unknown) =>
  clusterRunError("storage", runId, `the cluster's PostgreSQL failed: ${String((e as Error)?.message ?? e)}`)

const finishedOf = (row: RunRow): Stream.Stream<unknown, ClusterRunError> =>
  row.status === "lost"
    ? Stream.fail(clusterRunError(
      "lost",
      row.runId,
      // a non-durable run saves its turn at its end: a runner that died between that and recording the
      // result leaves the turn in the session and the result unknown
      `run ${row.runId} was lost with the runner executing it (${row.runner}); its result is unknown ` +
        "(had it just ended, its turn is in the session)"
    ))
    : Stream.make(JSON.parse(row.result ?? "null"))

/** The error that ended an execution before it could run, as a ClusterRunError. */
const startError = (runId: string, error: unknown): ClusterRunError => {
  const cause = error as Cause.Cause<unknown>
  const failure = Cause.isCause(cause) ? Option.getOrUndefined(Cause.failureOption(cause)) : cause
  const tag = (failure as { _tag?: string })?._tag
  const message = String((failure as Error)?.message ?? (Cause.isCause(cause) ? Cause.pretty(cause) : cause))
  return tag === "SessionBusy"
    ? clusterRunError("busy", runId, message)
    : tag === "ConfigError" || tag === "UnknownAgentError"
    ? clusterRunError("rejected", runId, message)
    : clusterRunError("unavailable", runId, message)
}

/**
 * The items of an execution as the wire's encoded chunks, chunk for chunk of the stream (so that the
 * entity sends together what is there together), or only the run's own `run.finished` when the caller
 * wants the result alone (no chunk encoded nor sent for nothing); an error of the start as a ClusterRunError.
 */
const toWire = (runId: string, items: Stream.Stream<Item>, resultOnly = false): Stream.Stream<unknown, ClusterRunError> =>
  Stream.mapChunksEffect(items, (batch) => {
    const out: Array<unknown> = []
    for (const item of batch) {
      if (item._tag === "chunk") {
        const chunk = item.chunk
        if (!resultOnly || (chunk.kind === "run.finished" && chunk.parentRunId === undefined)) out.push(RunStreamChunk.toJson(chunk))
      } else if (item.error !== undefined && item.handedBack !== true) return Effect.fail(startError(runId, item.error))
    }
    return Effect.succeed(Chunk.unsafeFromArray(out))
  })

/** Starts (or joins) the execution; the result goes to the runs table before the last chunk goes out. */
const execute = (ctx: Context, payload: RunPayload, request: unknown) =>
  ctx.executions.join(payload.runId, payload.durable, () =>
    ctx.runtime.runStream(request as never).pipe(
      Stream.tap((chunk) =>
        chunk.kind === "run.finished" && chunk.parentRunId === undefined
          ? Effect.zipRight(
            Effect.sync(() => ctx.counters.finished++),
            ctx.runs.finish(payload.runId, JSON.stringify(RunStreamChunk.toJson(chunk))).pipe(
              Effect.retry(Schedule.spaced(Duration.millis(500)).pipe(Schedule.compose(Schedule.recurs(20)))),
              Effect.orDie
            )
          )
          : Effect.void
      )
    )).pipe(
      // the next run of the session is admitted once this one has its place in the runtime's lane
      Effect.tap((joined) => joined.started),
      Effect.map((joined) => toWire(payload.runId, joined.items, payload.resultOnly))
    )

/** The request of a resume from the run's last checkpoint (none: the run starts over under its id). */
const resumeRequest = (ctx: Context, sessionId: string, payload: RunPayload) =>
  Effect.map(ctx.store.listCheckpoints(sessionId), (checkpoints) => {
    const last = lastCheckpointOf(checkpoints, payload.runId)
    const request = payload.request as Record<string, unknown>
    if (last === undefined) return request
    const hints = (request["contextHints"] ?? {}) as Record<string, unknown>
    return {
      ...request,
      durable: true,
      resumeFromCheckpoint: last,
      contextHints: { ...hints, durable: { rerun: [], assume: {} } }
    }
  })

/**
 * Whether `payload` continues the finished run of `row` after a human decided what stopped it: the run
 * stopped waiting for approval, the request resumes from a checkpoint, and that checkpoint is the one
 * the session's decided calls of the run continue from. A continuation delivered twice finds the run
 * finished again, its calls no longer pending: it gets the stored result.
 */
const continues = (ctx: Context, sessionId: string, row: RunRow, payload: RunPayload) =>
  Effect.gen(function*() {
    const resumeFrom = (payload.request as { resumeFromCheckpoint?: unknown } | null)?.resumeFromCheckpoint
    if (row.status !== "finished" || typeof resumeFrom !== "string") return false
    const stopReason = (JSON.parse(row.result ?? "null") as { result?: { stopReason?: string } } | null)?.result?.stopReason
    if (stopReason !== "awaiting_approval" && stopReason !== "approval_timeout") return false
    const ofRun = (yield* ctx.store.listPendingApprovals(sessionId)).filter((p) => p.runId === row.runId)
    return continuation(ofRun, false)?.resumeFromCheckpoint === resumeFrom
  })

/** True when nobody holds the session's lease (the process that took the run is gone or done with it). */
const leaseFree = (ctx: Context, sessionId: string) =>
  Effect.scoped(ctx.store.acquire(sessionId)).pipe(
    Effect.as(true),
    Effect.catchTag("SessionBusy", () => Effect.succeed(false))
  )

export const handleRun = (
  ctx: Context,
  sessionId: string,
  payload: RunPayload,
  /** The session's admission: runs of one session reach the runtime in the order they arrived. */
  admit: <A, E>(effect: Effect.Effect<A, E>) => Effect.Effect<A, E>
): Stream.Stream<unknown, ClusterRunError> =>
  Stream.unwrap(admit(Effect.gen(function*() {
    const runId = payload.runId
    let freeSeen = false
    for (;;) {
      const local = yield* ctx.executions.attach(runId)
      if (local) return toWire(runId, local, payload.resultOnly)
      const row = yield* Effect.mapError(ctx.runs.get(runId), storage(runId))
      if (Option.isSome(row) && row.value.status !== "running") {
        const continued = yield* Effect.mapError(continues(ctx, sessionId, row.value, payload), storage(runId))
        if (!continued) return finishedOf(row.value)
        // leaving: the session's next runner continues it (the client submits it again when this stream ends)
        if (ctx.draining()) return Stream.empty
        const attempt = yield* Effect.mapError(
          ctx.runs.reopen({ runId, durable: payload.durable, runner: ctx.runner, request: payload.request }),
          storage(runId)
        )
        if (attempt === 0) continue
        ctx.counters.started++
        return yield* execute(ctx, payload, payload.request)
      }
      // leaving: the session's next runner takes it (the client submits it again when this stream ends)
      if (ctx.draining()) return Stream.empty
      if (Option.isNone(row)) {
        // the session's run on another runner (draining, or gone) first: its lease says whether it still runs
        const elsewhere = yield* Effect.mapError(ctx.runs.runningElsewhere(sessionId, ctx.runner), storage(runId))
        if (elsewhere && !(yield* Effect.mapError(leaseFree(ctx, sessionId), storage(runId)))) {
          yield* Effect.sleep(Duration.millis(250))
          continue
        }
        yield* Effect.mapError(
          ctx.runs.claim({ runId, sessionId, durable: payload.durable, runner: ctx.runner, request: payload.request }),
          storage(runId)
        )
        ctx.counters.started++
        return yield* execute(ctx, payload, payload.request)
      }
      // taken before, by a runner that may be gone: the session's lease tells
      const free = yield* Effect.mapError(leaseFree(ctx, sessionId), storage(runId))
      if (!free) {
        freeSeen = false
        yield* Effect.sleep(Duration.millis(250))
        continue
      }
      // a runner that finishes a run releases the lease a moment before it records the result: free twice,
      // half a second apart, before the run is taken as left behind
      if (!freeSeen) {
        freeSeen = true
        yield* Effect.sleep(Duration.millis(500))
        continue
      }
      if (ctx.executions.has(runId) || ctx.draining()) continue
      if (!row.value.durable) {
        yield* Effect.mapError(ctx.runs.markLost(runId), storage(runId))
        ctx.counters.lost++
        continue
      }
      const attempt = yield* Effect.mapError(
        ctx.runs.claim({ runId, sessionId, durable: true, runner: ctx.runner }),
        storage(runId)
      )
      if (attempt === 0) continue
      ctx.counters.resumed++
      const request = yield* Effect.mapError(resumeRequest(ctx, sessionId, payload), storage(runId))
      return yield* execute(ctx, payload, request)
    }
  })))

/** A Watch: the run's chunks when it executes here, else its stored end. */
export const handleWatch = (ctx: Context, runId: string): Stream.Stream<unknown, ClusterRunError> =>
  Stream.unwrap(Effect.gen(function*() {
    const local = yield* ctx.executions.attach(runId)
    if (local) return toWire(runId, local)
    const row = yield* Effect.mapError(ctx.runs.get(runId), storage(runId))
    if (Option.isSome(row) && row.value.status !== "running") return finishedOf(row.value)
    return Stream.fail(clusterRunError("rejected", runId, `run ${runId} is not executing on the runner of its session`))
  }))

/**
 * Sends a `Run` again for each durable run left by a runner that is gone, to whichever runner owns its
 * session now (which resumes it, above): a run whose client died with its runner is not left behind.
 * Every runner sweeps; a run already sent again from here is not sent twice, and the owner joins the
 * same execution whoever sends.
 */
export const sweep = (
  runs: Runs,
  send: (sessionId: string, payload: RunPayload) => Effect.Effect<void>,
  sending: Set<string>,
  staleSeconds: number,
  /** Forks a send in the runner's scope. */
  fork: (effect: Effect.Effect<void>) => Effect.Effect<unknown>
): Effect.Effect<void> =>
  runs.orphans(staleSeconds).pipe(
    Effect.flatMap((orphans) =>
      Effect.forEach(orphans, (o) => {
        if (sending.has(o.runId)) return Effect.void
        sending.add(o.runId)
        return send(o.sessionId, { runId: o.runId, durable: true, request: o.request }).pipe(
          Effect.ensuring(Effect.sync(() => sending.delete(o.runId))),
          fork
        )
      }, { discard: true })
    ),
    Effect.catchAllCause(() => Effect.void)
  )
