/**
 * Traces in a SQLite database: two tables (`traces`, `trace_steps`) that can live in the same file as the
 * sessions (their migrations are recorded apart, in `openagents_trace_migrations`). A trace and its new
 * steps are one transaction. Steps are unique by (trace, sequence): a step recorded twice fails the
 * write instead of duplicating.
 *
 * @since 0.3.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { errorText, isolated, open } from "../internal/sqlite.js"
import { Trace, TraceStep, TraceStore, TraceStoreError } from "./TraceStore.js"

/**
 * Options of the SQLite trace store.
 *
 * @since 0.3.0
 * @category models
 */
export interface Options {
  readonly dbPath: string
  readonly busyTimeoutMs?: number | undefined
}

const migrations: Record<string, Effect.Effect<void, unknown, SqlClient.SqlClient>> = {
  "1_create_trace_tables": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`CREATE TABLE IF NOT EXISTS traces (
      trace_id TEXT PRIMARY KEY,
      agent_id TEXT NOT NULL,
      session_id TEXT NOT NULL,
      started_at_ms INTEGER NOT NULL,
      body TEXT NOT NULL
    )`
    yield* sql`CREATE INDEX IF NOT EXISTS traces_by_agent ON traces (agent_id, started_at_ms)`
    yield* sql`CREATE INDEX IF NOT EXISTS traces_by_session ON traces (session_id, started_at_ms)`
    yield* sql`CREATE TABLE IF NOT EXISTS trace_steps (
      id INTEGER PRIMARY KEY,
      trace_id TEXT NOT NULL,
      step_id TEXT NOT NULL UNIQUE,
      sequence INTEGER NOT NULL,
      body TEXT NOT NULL,
      UNIQUE (trace_id, sequence)
    )`
  })
}

const encodeTrace = Schema.encodeSync(Schema.parseJson(Trace))
const decodeTrace = Schema.decodeUnknownOption(Schema.parseJson(Trace))
const encodeStep = Schema.encodeSync(Schema.parseJson(TraceStep))
const decodeStep = Schema.decodeUnknownOption(Schema.parseJson(TraceStep))

/**
 * Opens (creating and migrating) the database and builds a store on it, closed with the scope.
 *
 * @since 0.3.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<TraceStore["Type"], TraceStoreError, Scope.Scope> =>
  Effect.gen(function*() {
    const sql = yield* open({
      dbPath: options.dbPath,
      migrationsTable: "openagents_trace_migrations",
      migrations,
      busyTimeoutMs: options.busyTimeoutMs
    }).pipe(Effect.mapError((message) =>
      new TraceStoreError({
        operation: "open",
        message: `Cannot open the trace database ${options.dbPath}: ${message}`,
        hint: "check db_path and the permissions of its folder"
      })
    ))
    const failed = (operation: string) => (error: unknown) =>
      new TraceStoreError({ operation, message: `${operation} failed (${options.dbPath}): ${errorText(error)}` })
    const encodeError = (operation: string) => (error: unknown) =>
      new TraceStoreError({ operation, message: `${operation}: cannot encode as JSON: ${errorText(error)}` })
    return TraceStore.of({
      record: (trace, steps) =>
        Effect.gen(function*() {
          const body = yield* Effect.try({ try: () => encodeTrace(trace), catch: encodeError("record") })
          const rows = yield* Effect.try({
            try: () =>
              steps.map((s) => ({ trace_id: s.traceId, step_id: s.stepId, sequence: s.sequence, body: encodeStep(s) })),
            catch: encodeError("record")
          })
          yield* sql.withTransaction(
            sql`INSERT INTO traces (trace_id, agent_id, session_id, started_at_ms, body)
                VALUES (${trace.traceId}, ${trace.agentId}, ${trace.sessionId}, ${trace.startedAtMs}, ${body})
                ON CONFLICT (trace_id) DO UPDATE SET body = excluded.body`.pipe(
              Effect.zipRight(rows.length > 0 ? sql`INSERT INTO trace_steps ${sql.insert(rows)}` : Effect.void)
            )
          ).pipe(Effect.mapError(failed("record")), isolated)
        }),
      getTrace: (traceId) =>
        sql<{ body: string }>`SELECT body FROM traces WHERE trace_id = ${traceId}`.pipe(
          Effect.map((rows) => (rows[0] ? decodeTrace(rows[0].body) : Option.none())),
          Effect.mapError(failed("getTrace")),
          isolated
        ),
      getSteps: (traceId) =>
        sql<{ body: string }>`SELECT body FROM trace_steps WHERE trace_id = ${traceId} ORDER BY sequence`.pipe(
          Effect.map((rows) => rows.flatMap((r) => Option.toArray(decodeStep(r.body)))),
          Effect.mapError(failed("getSteps")),
          isolated
        ),
      listTraces: (filter) => {
        const where = [
          ...(filter?.agentId !== undefined ? [sql`agent_id = ${filter.agentId}`] : []),
          ...(filter?.sessionId !== undefined ? [sql`session_id = ${filter.sessionId}`] : [])
        ]
        const limit = filter?.limit ?? -1
        return sql<{ body: string }>`SELECT body FROM traces ${where.length > 0 ? sql`WHERE ${sql.and(where)}` : sql``}
                                     ORDER BY started_at_ms DESC, rowid DESC LIMIT ${limit}`.pipe(
          Effect.map((rows) => rows.flatMap((r) => Option.toArray(decodeTrace(r.body)))),
          Effect.mapError(failed("listTraces")),
          isolated
        )
      }
    })
  })

/**
 * The SQLite trace store as a Layer.
 *
 * @since 0.3.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<TraceStore, TraceStoreError> => Layer.scoped(TraceStore, make(options))
