/**
 * The cluster's table of runs, `<prefix>_runs`: which runner took a run, whether it was durable, and its
 * result once finished (the encoded RunResult). It makes a run idempotent by run id whatever
 * @effect/cluster delivers twice, and lets a client read a result when its stream was cut. Beside it,
 * `<prefix>_runner_stats`: each runner's counters, written every second.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

/** A row of the runs table. */
export interface RunRow {
  readonly runId: string
  readonly sessionId: string
  readonly durable: boolean
  readonly runner: string
  readonly status: "running" | "finished" | "lost"
  readonly result: string | null
  readonly attempts: number
}

/** A runner's counters. */
export interface RunnerStats {
  readonly runner: string
  readonly started: number
  readonly resumed: number
  readonly finished: number
  readonly lost: number
  readonly inFlight: number
  readonly queued: number
  readonly updatedAtMs: number
}

export interface Runs {
  readonly get: (runId: string) => Effect.Effect<Option.Option<RunRow>, SqlError>
  /** Takes the run for `runner` (inserting it, or moving an unfinished one); the attempt number (0: finished meanwhile). */
  readonly claim: (
    row: { runId: string; sessionId: string; durable: boolean; runner: string; request?: unknown }
  ) => Effect.Effect<number, SqlError>
  /**
   * Durable runs left `running` by a runner that is gone (not in `<prefix>_runners`, unhealthy, or no
   * heartbeat for `staleSeconds`), with their request: nobody may be waiting for them any more.
   */
  readonly orphans: (
    staleSeconds: number
  ) => Effect.Effect<ReadonlyArray<{ readonly runId: string; readonly sessionId: string; readonly request: unknown }>, SqlError>
  /** True when a run of the session is `running` on another runner than `runner` (a drain, a crash). */
  readonly runningElsewhere: (sessionId: string, runner: string) => Effect.Effect<boolean, SqlError>
  readonly finish: (runId: string, result: string) => Effect.Effect<void, SqlError>
  /**
   * Takes a finished run again for `runner`, to continue it (a decision on a call that stopped it); the
   * attempt number (0: another took it meanwhile).
   */
  readonly reopen: (row: { runId: string; durable: boolean; runner: string; request: unknown }) => Effect.Effect<number, SqlError>
  /**
   * Gives back a run `runner` took and never started (a draining runner's run still waiting for a slot):
   * its row goes, so the session's next runner takes it as new. A run taken again after another runner
   * (attempts > 1) keeps its row: the next runner resumes it from its journal.
   */
  readonly unclaim: (runId: string, runner: string) => Effect.Effect<void, SqlError>
  readonly markLost: (runId: string) => Effect.Effect<void, SqlError>
  readonly saveStats: (stats: Omit<RunnerStats, "updatedAtMs">) => Effect.Effect<void, SqlError>
  readonly listStats: Effect.Effect<ReadonlyArray<RunnerStats>, SqlError>
}

/** Creates the tables if missing (processes starting at once take turns on an advisory lock) and returns the operations. */
export const make = (prefix: string): Effect.Effect<Runs, SqlError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const runs = sql(`${prefix}_runs`)
    const stats = sql(`${prefix}_runner_stats`)
    // @effect/cluster's table of runners (created before this one: see sharding.ts `migrate`)
    const runners = sql(`${prefix}_runners`)
    yield* sql.withTransaction(Effect.gen(function*() {
      yield* sql`SELECT pg_advisory_xact_lock(hashtext(${`openagents:${prefix}`}))`
      yield* sql`CREATE TABLE IF NOT EXISTS ${runs} (
        run_id TEXT PRIMARY KEY,
        session_id TEXT NOT NULL,
        durable BOOLEAN NOT NULL,
        runner TEXT NOT NULL,
        status TEXT NOT NULL,
        result TEXT,
        attempts INTEGER NOT NULL DEFAULT 1,
        request TEXT,
        started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        finished_at TIMESTAMPTZ
      )`
      yield* sql`ALTER TABLE ${runs} ADD COLUMN IF NOT EXISTS request TEXT`
      // the runs in progress of a session (`runningElsewhere`, asked before each new run): a small index
      yield* sql`CREATE INDEX IF NOT EXISTS ${sql(`${prefix}_runs_running`)} ON ${runs} (session_id)
        WHERE status = 'running'`
      yield* sql`CREATE TABLE IF NOT EXISTS ${stats} (
        runner TEXT PRIMARY KEY,
        started BIGINT NOT NULL,
        resumed BIGINT NOT NULL,
        finished BIGINT NOT NULL,
        lost BIGINT NOT NULL,
        in_flight INTEGER NOT NULL,
        queued INTEGER NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
      )`
    }))
    const toRow = (r: Record<string, unknown>): RunRow => ({
      runId: String(r["run_id"]),
      sessionId: String(r["session_id"]),
      durable: r["durable"] === true,
      runner: String(r["runner"]),
      status: r["status"] as RunRow["status"],
      result: r["result"] === null || r["result"] === undefined ? null : String(r["result"]),
      attempts: Number(r["attempts"])
    })
    return {
      get: (runId) =>
        Effect.map(
          sql<Record<string, unknown>>`SELECT * FROM ${runs} WHERE run_id = ${runId}`,
          (rows) => Option.map(Option.fromNullable(rows[0]), toRow)
        ),
      claim: (row) =>
        Effect.map(
          sql<{ attempts: number }>`INSERT INTO ${runs} (run_id, session_id, durable, runner, status, request)
            VALUES (${row.runId}, ${row.sessionId}, ${row.durable}, ${row.runner}, 'running',
              ${row.durable && row.request !== undefined ? JSON.stringify(row.request) : null})
            ON CONFLICT (run_id) DO UPDATE SET runner = EXCLUDED.runner, attempts = ${runs}.attempts + 1
            WHERE ${runs}.status = 'running'
            RETURNING attempts`,
          (rows) => Number(rows[0]?.attempts ?? 0)
        ),
      orphans: (staleSeconds) =>
        Effect.map(
          sql<Record<string, unknown>>`SELECT r.run_id, r.session_id, r.request FROM ${runs} r
            WHERE r.status = 'running' AND r.durable AND r.request IS NOT NULL
            AND r.started_at < now() - make_interval(secs => ${staleSeconds})
            AND NOT EXISTS (
              SELECT 1 FROM ${runners} x WHERE x.address = r.runner AND x.healthy
              AND x.last_heartbeat > NOW() - make_interval(secs => ${staleSeconds})
            )
            LIMIT 100`,
          (rows) =>
            rows.map((r) => ({
              runId: String(r["run_id"]),
              sessionId: String(r["session_id"]),
              request: JSON.parse(String(r["request"]))
            }))
        ),
      runningElsewhere: (sessionId, runner) =>
        Effect.map(
          sql`SELECT 1 FROM ${runs} WHERE session_id = ${sessionId} AND status = 'running' AND runner <> ${runner}
            LIMIT 1`,
          (rows) => rows.length > 0
        ),
      finish: (runId, result) =>
        sql`UPDATE ${runs} SET status = 'finished', result = ${result}, finished_at = now()
          WHERE run_id = ${runId}`.pipe(Effect.asVoid),
      reopen: (row) =>
        Effect.map(
          sql<{ attempts: number }>`UPDATE ${runs} SET status = 'running', runner = ${row.runner}, result = NULL,
              finished_at = NULL, started_at = now(), durable = ${row.durable}, attempts = attempts + 1,
              request = ${row.durable ? JSON.stringify(row.request) : null}
            WHERE run_id = ${row.runId} AND status = 'finished'
            RETURNING attempts`,
          (rows) => Number(rows[0]?.attempts ?? 0)
        ),
      unclaim: (runId, runner) =>
        sql`DELETE FROM ${runs} WHERE run_id = ${runId} AND runner = ${runner} AND status = 'running'
          AND attempts = 1`.pipe(Effect.asVoid),
      markLost: (runId) =>
        sql`UPDATE ${runs} SET status = 'lost', finished_at = now() WHERE run_id = ${runId} AND status = 'running'`.pipe(
          Effect.asVoid
        ),
      saveStats: (s) =>
        sql`INSERT INTO ${stats} (runner, started, resumed, finished, lost, in_flight, queued, updated_at)
          VALUES (${s.runner}, ${s.started}, ${s.resumed}, ${s.finished}, ${s.lost}, ${s.inFlight}, ${s.queued}, now())
          ON CONFLICT (runner) DO UPDATE SET started = EXCLUDED.started, resumed = EXCLUDED.resumed,
            finished = EXCLUDED.finished, lost = EXCLUDED.lost, in_flight = EXCLUDED.in_flight,
            queued = EXCLUDED.queued, updated_at = now()`.pipe(Effect.asVoid),
      listStats: Effect.map(
        sql<Record<string, unknown>>`SELECT runner, started, resumed, finished, lost, in_flight, queued,
          (extract(epoch from updated_at) * 1000)::bigint AS updated_ms FROM ${stats} ORDER BY runner`,
        (rows) =>
          rows.map((r) => ({
            runner: String(r["runner"]),
            started: Number(r["started"]),
            resumed: Number(r["resumed"]),
            finished: Number(r["finished"]),
            lost: Number(r["lost"]),
            inFlight: Number(r["in_flight"]),
            queued: Number(r["queued"]),
            updatedAtMs: Number(r["updated_ms"])
          }))
      )
    }
  })
