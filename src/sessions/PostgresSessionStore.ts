/**
 * A session store in a PostgreSQL database, shared by any number of processes on any number of hosts.
 *
 * The tables are those of the SQLite store, in one PostgreSQL schema (`schema`, default `public`, created
 * if missing), made by migrations in code run with the `@effect/sql` Migrator (recorded in
 * `openagents_migrations`; processes starting at once take turns on an advisory lock). Values are the
 * Schema encodings of kernel/Session stored as JSON text. Every write is one statement (the session row
 * and the data as data-modifying CTEs: atomic and one round trip) or, for batches too large for one
 * statement and for `forkSession`, one transaction. `acquire` holds a PostgreSQL advisory lock on a
 * connection of its own, which PostgreSQL releases when that connection ends: a crashed process never
 * blocks a session, on whatever host it ran.
 *
 * @since 0.4.0
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import type * as Statement from "@effect/sql/Statement"
import * as PgClient from "@effect/sql-pg/PgClient"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { SessionStoreError } from "../kernel/Errors.js"
import { copyState, fromJson, schemas, toJson } from "./internal/codec.js"
import { makeLeases } from "./internal/pgLease.js"
import { connectionUrl, describeUrl, isSchemaName, lockKey, migrations } from "./internal/pgSchema.js"
import { chunksOf, errorText, isolated } from "./internal/sql.js"
import { copyHistory } from "./internal/sqlFork.js"
import { type SessionState, SessionStore } from "./SessionStore.js"

/**
 * Options of the PostgreSQL store.
 *
 * @since 0.4.0
 * @category models
 */
export interface Options {
  /** `postgres://user:password@host:5432/database`; a `Redacted` keeps the password out of logs. */
  readonly url: string | Redacted.Redacted<string>
  /** The PostgreSQL schema holding the tables, created if missing. Default `public`. */
  readonly schema?: string | undefined
  /** How long `acquire` waits for a session locked by another process. Default 5000 ms. */
  readonly lockTimeoutMs?: number | undefined
  /** Connections for reads and writes. Default 10. */
  readonly maxConnections?: number | undefined
  /** Connections holding leases, one per session held at a time (apart, so leases never starve writes). Default 20. */
  readonly maxLeaseConnections?: number | undefined
  /** How long connecting (or waiting for a free connection) may take. Default 5000 ms. */
  readonly connectTimeoutMs?: number | undefined
}

/**
 * The table recording which migrations ran.
 *
 * @since 0.4.0
 * @category constants
 */
export const migrationsTable = "openagents_migrations"

/** Rows per multi-row INSERT, well under PostgreSQL's 65535 bound parameters. */
const INSERT_CHUNK = 1000

const pgCode = (error: unknown): string | undefined => {
  const cause = typeof error === "object" && error !== null && "cause" in error ? (error as { cause: unknown }).cause : error
  return typeof cause === "object" && cause !== null && typeof (cause as { code?: unknown }).code === "string"
    ? (cause as { code: string }).code
    : undefined
}

const hintFor = (error: unknown): string => {
  const code = pgCode(error) ?? ""
  if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "ETIMEDOUT" || code === "57P01") {
    return "Check that PostgreSQL is running and reachable at the url's host and port."
  }
  if (code === "28P01" || code === "28000") return "PostgreSQL refused the credentials in the url: check the user and password."
  if (code === "3D000") return "The database named in the url does not exist: create it (createdb) or fix the url."
  if (code === "42501") return "The url's user lacks a privilege on the schema: grant CREATE and USAGE on it, or use another schema."
  if (code === "53300") return "PostgreSQL has no free connection: lower maxConnections / maxLeaseConnections or raise max_connections."
  return "Check the url, that PostgreSQL is reachable, and that its user may create tables in the schema."
}

/**
 * Connects to the database at `url`, creates and migrates the schema if needed, and builds a store on
 * it. The connections are closed when the scope closes.
 *
 * @since 0.4.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<SessionStore["Type"], SessionStoreError, Scope.Scope> =>
  isolated(Effect.gen(function*() {
    const url = typeof options.url === "string" ? options.url : Redacted.value(options.url)
    const schema = options.schema ?? "public"
    const lockTimeoutMs = options.lockTimeoutMs ?? 5000
    const connectTimeout = Duration.millis(options.connectTimeoutMs ?? 5000)
    const where = `${describeUrl(url)}, schema ${schema}`

    const openError = (operation: "open" | "migrate") => (error: unknown) =>
      new SessionStoreError({
        operation,
        message: `Cannot ${operation === "open" ? "connect to" : "migrate"} the session database ${where}: ${errorText(error)}`,
        hint: hintFor(error)
      })
    if (!isSchemaName(schema)) {
      return yield* new SessionStoreError({
        operation: "open",
        message: `Invalid schema name '${schema}' for the session database ${describeUrl(url)}`,
        hint: "Use letters, digits and underscores, starting with a letter or underscore (at most 63)."
      })
    }
    const full = yield* Effect.try({ try: () => connectionUrl(url, schema), catch: openError("open") })
    const client = (maxConnections: number) =>
      PgClient.make({
        url: Redacted.make(full),
        maxConnections,
        connectTimeout,
        applicationName: "openagents"
      }).pipe(Effect.provideServiceEffect(Reactivity.Reactivity, Reactivity.make), Effect.mapError(openError("open")))
    const sql = yield* client(options.maxConnections ?? 10)
    const leaseSql = yield* client(options.maxLeaseConnections ?? 20)

    // one process at a time creates the schema and migrates it: the others wait on the advisory lock
    const migrate = Migrator.make({})({ loader: Migrator.fromRecord(migrations), table: migrationsTable })
    yield* Effect.scoped(Effect.gen(function*() {
      const connection = yield* sql.reserve
      const key = lockKey(schema, "\0migrate")
      yield* connection.execute("SELECT pg_advisory_lock($1::bigint)", [key], undefined)
      yield* Effect.addFinalizer(() =>
        Effect.ignore(connection.execute("SELECT pg_advisory_unlock($1::bigint)", [key], undefined))
      )
      yield* connection.execute(`CREATE SCHEMA IF NOT EXISTS "${schema}"`, [], undefined)
      yield* Effect.provideService(migrate, SqlClient.SqlClient, sql)
    })).pipe(
      // the Migrator turns a failing migration into a defect
      Effect.catchAllDefect((defect) => Effect.fail(defect)),
      Effect.mapError(openError("migrate"))
    )

    const storeError = (sessionId: string | undefined, operation: string) => (error: unknown) =>
      new SessionStoreError({
        ...(sessionId !== undefined ? { sessionId } : {}),
        operation,
        message: `${operation} failed${sessionId !== undefined ? ` for session '${sessionId}'` : ""} (${where}): ${
          errorText(error)
        }`,
        hint: hintFor(error)
      })
    const keepOrWrap = (sessionId: string, operation: string) => (e: SqlError | SessionStoreError) =>
      e._tag === "SessionStoreError" ? e : storeError(sessionId, operation)(e)

    const touch = (sessionId: string, now: number) =>
      sql`INSERT INTO sessions (session_id, created_at_ms, updated_at_ms) VALUES (${sessionId}, ${now}, ${now})
          ON CONFLICT (session_id) DO UPDATE SET updated_at_ms = excluded.updated_at_ms`

    /**
     * One statement: the session row and the data-modifying `parts` as CTEs, all or nothing, in one round
     * trip. The parts must write different rows (their order within the statement is not defined).
     */
    const writeOnce = (
      sessionId: string,
      operation: string,
      parts: (now: number) => ReadonlyArray<Statement.Fragment>
    ): Effect.Effect<void, SessionStoreError> =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const ctes = [touch(sessionId, now), ...parts(now)].map((part, i) => sql`${sql.literal(`w${i}`)} AS (${part})`)
        return sql`WITH ${sql.join(", ", false)(ctes)} SELECT 1`
      }).pipe(Effect.asVoid, Effect.mapError(storeError(sessionId, operation)), isolated)

    /** One transaction that first marks the session as existing, which also locks its row. */
    const writeTx = <A>(
      sessionId: string,
      operation: string,
      body: (now: number) => Effect.Effect<A, SqlError | SessionStoreError>
    ): Effect.Effect<A, SessionStoreError> =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        sql.withTransaction(Effect.zipRight(touch(sessionId, now), body(now)))).pipe(
          Effect.mapError(keepOrWrap(sessionId, operation)),
          isolated
        )

    /** Inserts rows in their order: one statement when they fit, else one transaction of chunks. */
    const insertRows = (
      sessionId: string,
      operation: string,
      table: string,
      rows: ReadonlyArray<Record<string, unknown>>,
      extra: ReadonlyArray<Statement.Fragment> = []
    ) =>
      rows.length <= INSERT_CHUNK
        ? writeOnce(sessionId, operation, () => [
          ...(rows.length > 0 ? [sql`INSERT INTO ${sql(table)} ${sql.insert(rows)}`] : []),
          ...extra
        ])
        : writeTx(sessionId, operation, () =>
          Effect.zipRight(
            Effect.forEach(chunksOf(rows, INSERT_CHUNK), (chunk) => sql`INSERT INTO ${sql(table)} ${sql.insert(chunk)}`, { discard: true }),
            Effect.forEach(extra, (part) => sql`${part}`, { discard: true })
          ))

    /** Reads stored bodies and decodes them; a row its schema rejects is skipped and reported. */
    const readBodies = <A, I>(
      sessionId: string,
      operation: string,
      schema: Schema.Schema<A, I>,
      query: Effect.Effect<ReadonlyArray<{ readonly body: string }>, SqlError>
    ): Effect.Effect<Array<A>, SessionStoreError> =>
      isolated(query).pipe(
        Effect.mapError(storeError(sessionId, operation)),
        Effect.flatMap((rows) =>
          Effect.gen(function*() {
            const out: Array<A> = []
            for (const row of rows) {
              const decoded = fromJson(schema, row.body)
              if (Either.isRight(decoded)) out.push(decoded.right)
              else yield* Effect.logWarning(`Skipped an unreadable row in ${where} (session '${sessionId}', ${operation}): ${decoded.left}`)
            }
            return out
          })
        )
      )
    const upsertCheckpoint = (sessionId: string, checkpointId: string, body: string) =>
      sql`INSERT INTO checkpoints (session_id, checkpoint_id, body) VALUES (${sessionId}, ${checkpointId}, ${body})
          ON CONFLICT (session_id, checkpoint_id) DO UPDATE SET body = excluded.body`

    const leases = makeLeases({ sql, leaseSql, schema, where, lockTimeoutMs, storeError })

    return SessionStore.of({
      appendMessages: Effect.fn("PostgresSessionStore.appendMessages")(function*(sessionId, messages) {
        const rows = yield* Effect.forEach(messages, (message) =>
          Effect.map(
            toJson(schemas.message, message, { sessionId, operation: "appendMessages" }),
            (body) => ({ session_id: sessionId, run_id: message.runId, body })
          ))
        yield* insertRows(sessionId, "appendMessages", "messages", rows)
      }),
      loadMessages: (sessionId) =>
        readBodies(sessionId, "loadMessages", schemas.message, sql<{ body: string }>`SELECT body FROM messages
          WHERE session_id = ${sessionId} ORDER BY id`),
      getState: (sessionId) =>
        readBodies(sessionId, "getState", schemas.state, sql<{ body: string }>`SELECT body FROM session_state
          WHERE session_id = ${sessionId}`).pipe(Effect.map((rows): SessionState => rows[0] ?? {})),
      setState: Effect.fn("PostgresSessionStore.setState")(function*(sessionId, state) {
        const body = yield* toJson(schemas.state, copyState(state), { sessionId, operation: "setState" })
        yield* writeOnce(sessionId, "setState", (now) => [
          sql`INSERT INTO session_state (session_id, body, updated_at_ms) VALUES (${sessionId}, ${body}, ${now})
              ON CONFLICT (session_id) DO UPDATE SET body = excluded.body, updated_at_ms = excluded.updated_at_ms`
        ])
      }),
      saveArtifact: Effect.fn("PostgresSessionStore.saveArtifact")(function*(sessionId, artifact) {
        const body = yield* toJson(schemas.artifact, artifact, { sessionId, operation: "saveArtifact" })
        yield* insertRows(sessionId, "saveArtifact", "artifacts", [{ session_id: sessionId, name: artifact.name, body }])
      }),
      listArtifacts: (sessionId) =>
        readBodies(sessionId, "listArtifacts", schemas.artifact, sql<{ body: string }>`SELECT body FROM artifacts
          WHERE session_id = ${sessionId} ORDER BY id`),
      saveCheckpoint: Effect.fn("PostgresSessionStore.saveCheckpoint")(function*(sessionId, checkpoint) {
        const body = yield* toJson(schemas.checkpoint, checkpoint, { sessionId, operation: "saveCheckpoint" })
        // an upsert keeps the row (and its id, hence its place in the order) of an existing checkpoint id
        yield* writeOnce(sessionId, "saveCheckpoint", () => [upsertCheckpoint(sessionId, checkpoint.checkpointId, body)])
      }),
      loadCheckpoint: (sessionId, checkpointId) =>
        readBodies(sessionId, "loadCheckpoint", schemas.checkpoint, sql<{ body: string }>`SELECT body FROM checkpoints
          WHERE session_id = ${sessionId} AND checkpoint_id = ${checkpointId}`).pipe(
            Effect.map((rows) => Option.fromNullable(rows[0]))
          ),
      listCheckpoints: (sessionId) =>
        readBodies(sessionId, "listCheckpoints", schemas.checkpoint, sql<{ body: string }>`SELECT body FROM checkpoints
          WHERE session_id = ${sessionId} ORDER BY id`),
      appendJournal: Effect.fn("PostgresSessionStore.appendJournal")(function*(sessionId, entries, checkpoint) {
        const rows = yield* Effect.forEach(entries, (entry) =>
          Effect.map(
            toJson(schemas.journal, entry, { sessionId, operation: "appendJournal" }),
            (body) => ({ session_id: sessionId, run_id: entry.runId, seq: entry.seq, kind: entry.kind, body })
          ))
        const checkpointBody = checkpoint
          ? yield* toJson(schemas.checkpoint, checkpoint, { sessionId, operation: "appendJournal" })
          : undefined
        // a durable step (its entries and their checkpoint) is one statement: one round trip, one commit
        yield* insertRows(
          sessionId,
          "appendJournal",
          "journal",
          rows,
          checkpoint && checkpointBody !== undefined ? [upsertCheckpoint(sessionId, checkpoint.checkpointId, checkpointBody)] : []
        )
      }),
      loadJournal: (sessionId, runId) =>
        readBodies(sessionId, "loadJournal", schemas.journal, sql<{ body: string }>`SELECT body FROM journal
          WHERE session_id = ${sessionId} AND run_id = ${runId} ORDER BY seq, id`),
      listJournaledRuns: (sessionId) =>
        sql<{ run_id: string }>`SELECT run_id FROM journal WHERE session_id = ${sessionId}
                                GROUP BY run_id ORDER BY MIN(id)`.pipe(
          Effect.map((rows) => rows.map((row) => row.run_id)),
          Effect.mapError(storeError(sessionId, "listJournaledRuns")),
          isolated
        ),
      savePendingApproval: Effect.fn("PostgresSessionStore.savePendingApproval")(function*(sessionId, approval) {
        const body = yield* toJson(schemas.approval, approval, { sessionId, operation: "savePendingApproval" })
        yield* writeOnce(sessionId, "savePendingApproval", () => [
          sql`INSERT INTO pending_approvals (session_id, run_id, call_id, body)
              VALUES (${sessionId}, ${approval.runId}, ${approval.callId}, ${body})
              ON CONFLICT (session_id, run_id, call_id) DO UPDATE SET body = excluded.body`
        ])
      }),
      listPendingApprovals: (sessionId) =>
        readBodies(
          sessionId ?? "*",
          "listPendingApprovals",
          schemas.approval,
          sessionId !== undefined
            ? sql<{ body: string }>`SELECT body FROM pending_approvals WHERE session_id = ${sessionId} ORDER BY id`
            : sql<{ body: string }>`SELECT body FROM pending_approvals ORDER BY id`
        ),
      deletePendingApproval: (sessionId, runId, callId) =>
        sql`DELETE FROM pending_approvals WHERE session_id = ${sessionId} AND run_id = ${runId} AND call_id = ${callId}`.pipe(
          Effect.asVoid,
          Effect.mapError(storeError(sessionId, "deletePendingApproval")),
          isolated
        ),
      listSessions: sql<{ session_id: string }>`SELECT session_id FROM sessions ORDER BY id`.pipe(
        Effect.map((rows) => rows.map((row) => row.session_id)),
        Effect.mapError(storeError(undefined, "listSessions")),
        isolated
      ),
      acquire: leases.acquire,
      forkSession: (sourceId, targetId, options) =>
        writeTx(targetId, "forkSession", (now) =>
          copyHistory(sql, { sourceId, targetId, atCheckpoint: options?.atCheckpoint, where, now, noLimit: null })),
      deleteSession: (sessionId) =>
        // one statement: every table's rows of the session, atomically
        sql`WITH m AS (DELETE FROM messages WHERE session_id = ${sessionId}),
                 s AS (DELETE FROM session_state WHERE session_id = ${sessionId}),
                 a AS (DELETE FROM artifacts WHERE session_id = ${sessionId}),
                 c AS (DELETE FROM checkpoints WHERE session_id = ${sessionId}),
                 j AS (DELETE FROM journal WHERE session_id = ${sessionId}),
                 p AS (DELETE FROM pending_approvals WHERE session_id = ${sessionId})
            DELETE FROM sessions WHERE session_id = ${sessionId}`.pipe(
          Effect.asVoid,
          Effect.mapError(storeError(sessionId, "deleteSession")),
          isolated
        )
    })
  }))

/**
 * The PostgreSQL store as a Layer; its connections are closed when the Layer is released.
 *
 * @since 0.4.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<SessionStore, SessionStoreError> =>
  Layer.scoped(SessionStore, make(options))
