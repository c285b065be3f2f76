/**
 * A session store in one SQLite database (WAL mode), safe to share between processes.
 *
 * The schema is created by migrations defined in code (run with the `@effect/sql` Migrator, recorded in
 * `openagents_migrations`). Each kind of data has its table, ordered by an integer key and indexed by
 * session; values are the Schema encodings of kernel/Session stored as JSON text. Every write is one
 * transaction whose first statement is a write, so SQLite takes the write lock up front (waiting up to
 * `busyTimeoutMs` for another process) instead of failing on a stale read snapshot. `acquire` holds a
 * row of the `locks` table.
 *
 * @since 0.1.0
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import type * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { SessionStoreError } from "../kernel/Errors.js"
import { copyState, fromJson, schemas, toJson } from "./internal/codec.js"
import * as Lease from "./internal/lease.js"
import { chunksOf, errorText, isolated } from "./internal/sql.js"
import { copyHistory } from "./internal/sqlFork.js"
import { type SessionState, SessionStore } from "./SessionStore.js"

/**
 * Options of the SQLite store.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The database file; its directory is created if missing. */
  readonly dbPath: string
  /** How long a statement waits for another connection's write lock (`PRAGMA busy_timeout`). Default 5000 ms. */
  readonly busyTimeoutMs?: number | undefined
  /** How long `acquire` waits for a session locked by another process. Default 5000 ms. */
  readonly lockTimeoutMs?: number | undefined
  /**
   * `PRAGMA synchronous`. `normal` (the default): in WAL mode a commit survives the process being killed
   * at any point, and only an OS crash or power loss can lose the last commits; it spares an fsync per
   * write, which is most of what a durable step costs. `full`: every commit is synced to disk.
   */
  readonly synchronous?: "normal" | "full" | undefined
}

/**
 * The table recording which migrations ran.
 *
 * @since 0.1.0
 * @category constants
 */
export const migrationsTable = "openagents_migrations"

const migrations: Record<string, Effect.Effect<void, unknown, SqlClient.SqlClient>> = {
  "1_create_session_tables": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`CREATE TABLE IF NOT EXISTS sessions (
      id INTEGER PRIMARY KEY,
      session_id TEXT NOT NULL UNIQUE,
      created_at_ms INTEGER NOT NULL,
      updated_at_ms INTEGER NOT NULL
    )`
    yield* sql`CREATE TABLE IF NOT EXISTS messages (
      id INTEGER PRIMARY KEY,
      session_id TEXT NOT NULL,
      run_id TEXT NOT NULL,
      body TEXT NOT NULL
    )`
    yield* sql`CREATE INDEX IF NOT EXISTS messages_by_session ON messages (session_id, id)`
    yield* sql`CREATE TABLE IF NOT EXISTS session_state (
      session_id TEXT PRIMARY KEY,
      body TEXT NOT NULL,
      updated_at_ms INTEGER NOT NULL
    )`
    yield* sql`CREATE TABLE IF NOT EXISTS artifacts (
      id INTEGER PRIMARY KEY,
      session_id TEXT NOT NULL,
      name TEXT NOT NULL,
      body TEXT NOT NULL
    )`
    yield* sql`CREATE INDEX IF NOT EXISTS artifacts_by_session ON artifacts (session_id, id)`
    yield* sql`CREATE TABLE IF NOT EXISTS checkpoints (
      id INTEGER PRIMARY KEY,
      session_id TEXT NOT NULL,
      checkpoint_id TEXT NOT NULL,
      body TEXT NOT NULL,
      UNIQUE (session_id, checkpoint_id)
    )`
    yield* sql`CREATE INDEX IF NOT EXISTS checkpoints_by_session ON checkpoints (session_id, id)`
    yield* sql`CREATE TABLE IF NOT EXISTS journal (
      id INTEGER PRIMARY KEY,
      session_id TEXT NOT NULL,
      run_id TEXT NOT NULL,
      seq INTEGER NOT NULL,
      kind TEXT NOT NULL,
      body TEXT NOT NULL
    )`
    yield* sql`CREATE INDEX IF NOT EXISTS journal_by_run ON journal (session_id, run_id, seq, id)`
    yield* sql`CREATE TABLE IF NOT EXISTS locks (
      session_id TEXT PRIMARY KEY,
      owner_pid INTEGER NOT NULL,
      owner_host TEXT NOT NULL,
      token TEXT NOT NULL,
      acquired_at_ms INTEGER NOT NULL
    )`
  })
}

// added with approvals: a separate migration, so databases made before it are upgraded in place
migrations["2_create_pending_approvals"] = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE IF NOT EXISTS pending_approvals (
    id INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    call_id TEXT NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (session_id, run_id, call_id)
  )`
})

const LATEST_MIGRATION = Math.max(...Object.keys(migrations).map((key) => parseInt(key, 10)))

/** Rows per multi-row INSERT, well under SQLite's limit on bound parameters. */
const INSERT_CHUNK = 200

class SchemaNotReady extends Data.TaggedError("SchemaNotReady")<{ readonly version: number }> {
  override get message() {
    return `the schema is at migration ${this.version}, expected ${LATEST_MIGRATION}; another process may be migrating it`
  }
}

interface LockRow {
  readonly owner_pid: number
  readonly owner_host: string
  readonly token: string
  readonly acquired_at_ms: number
}

const sqliteCode = (error: unknown): string | undefined => {
  const cause = typeof error === "object" && error !== null && "cause" in error ? (error as { cause: unknown }).cause : error
  return typeof cause === "object" && cause !== null && typeof (cause as { code?: unknown }).code === "string"
    ? (cause as { code: string }).code
    : undefined
}

const hintFor = (error: unknown): string => {
  const code = sqliteCode(error) ?? ""
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) {
    return "Another process held the database's write lock longer than busy_timeout_ms: raise busyTimeoutMs or shorten its transactions."
  }
  if (code.startsWith("SQLITE_FULL")) return "The disk holding db_path is full: free some space."
  if (code.startsWith("SQLITE_CORRUPT") || code.startsWith("SQLITE_NOTADB")) {
    return "db_path is not a valid SQLite database (or it is damaged): restore it from a backup or point db_path elsewhere."
  }
  return "Check disk space and write permissions on db_path (and its directory, which holds the -wal and -shm files)."
}

/**
 * Opens (creating and migrating if needed) the database at `dbPath` and builds a store on it. The
 * connection is closed when the scope closes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<SessionStore["Type"], SessionStoreError, Scope.Scope> =>
  isolated(Effect.gen(function*() {
    const dbPath = options.dbPath === ":memory:" ? options.dbPath : path.resolve(options.dbPath)
    const busyTimeoutMs = Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))
    const lockTimeoutMs = options.lockTimeoutMs ?? 5000

    const openError = (operation: "open" | "migrate") => (error: unknown) =>
      new SessionStoreError({
        operation,
        message: `Cannot ${operation} the session database ${dbPath}: ${errorText(error)}`,
        hint: hintFor(error)
      })

    if (dbPath !== ":memory:") {
      yield* Effect.try({
        try: () => fs.mkdirSync(path.dirname(dbPath), { recursive: true }),
        catch: openError("open")
      })
    }

    const sql = yield* SqliteClient.make({ filename: dbPath }).pipe(
      Effect.provideServiceEffect(Reactivity.Reactivity, Reactivity.make),
      // better-sqlite3 throws when the file cannot be opened
      Effect.catchAllDefect((defect) => Effect.fail(openError("open")(defect)))
    )
    yield* sql.unsafe(`PRAGMA busy_timeout = ${busyTimeoutMs}`).pipe(Effect.mapError(openError("open")))
    yield* sql.unsafe(`PRAGMA synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`).pipe(
      Effect.mapError(openError("open"))
    )

    // Several processes may open a new database at once: the Migrator of the one that loses the race
    // reports "already running" and returns; wait until the winner's migrations are committed.
    const migrate = Migrator.make({})({ loader: Migrator.fromRecord(migrations), table: migrationsTable })
    const version = Effect.map(
      sql<{ readonly v: number | null }>`SELECT MAX(migration_id) AS v FROM ${sql(migrationsTable)}`,
      (rows) => rows[0]?.v ?? 0
    )
    yield* migrate.pipe(
      Effect.zipRight(version),
      Effect.flatMap((v) => v >= LATEST_MIGRATION ? Effect.void : Effect.fail(new SchemaNotReady({ version: v }))),
      Effect.retry({
        schedule: Schedule.spaced(Duration.millis(20)).pipe(Schedule.upTo(Duration.millis(Math.max(busyTimeoutMs, 1000)))),
        while: (e) => e._tag === "SchemaNotReady"
      }),
      Effect.provideService(SqlClient.SqlClient, sql),
      // the Migrator turns a failing migration into a defect
      Effect.catchAllDefect((defect) => Effect.fail(defect)),
      Effect.mapError(openError("migrate"))
    )

    const storeError = (sessionId: string | undefined, operation: string) => (error: unknown) =>
      new SessionStoreError({
        ...(sessionId !== undefined ? { sessionId } : {}),
        operation,
        message: `${operation} failed${sessionId !== undefined ? ` for session '${sessionId}'` : ""} (${dbPath}): ${
          errorText(error)
        }`,
        hint: hintFor(error)
      })

    /** One transaction that first marks the session as existing, which also takes the write lock. */
    const write = <A>(
      sessionId: string,
      operation: string,
      body: (now: number) => Effect.Effect<A, SqlError | SessionStoreError>
    ): Effect.Effect<A, SessionStoreError> =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        sql.withTransaction(
          sql`INSERT INTO sessions (session_id, created_at_ms, updated_at_ms) VALUES (${sessionId}, ${now}, ${now})
              ON CONFLICT (session_id) DO UPDATE SET updated_at_ms = excluded.updated_at_ms`.pipe(
            Effect.zipRight(body(now))
          )
        )).pipe(
          // a SessionStoreError of the body (a refused fork) rolls the transaction back and is kept as it is
          Effect.mapError((e) => e._tag === "SessionStoreError" ? e : storeError(sessionId, operation)(e)),
          isolated
        )

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
              else {
                yield* Effect.logWarning(
                  `Skipped an unreadable row in ${dbPath} (session '${sessionId}', ${operation}): ${decoded.left}`
                )
              }
            }
            return out
          })
        )
      )

    // -------------------------------------------------------------------------------------------------
    // locking
    // -------------------------------------------------------------------------------------------------

    const currentLock = (sessionId: string) =>
      Effect.map(
        sql<LockRow>`SELECT owner_pid, owner_host, token, acquired_at_ms FROM locks WHERE session_id = ${sessionId}`,
        (rows) => rows[0]
      )

    const insertLock = (sessionId: string, owner: Lease.LeaseOwner) =>
      sql`INSERT INTO locks (session_id, owner_pid, owner_host, token, acquired_at_ms)
          VALUES (${sessionId}, ${owner.pid}, ${owner.host}, ${owner.token}, ${owner.acquiredAtMs})
          ON CONFLICT (session_id) DO NOTHING`

    const attemptLock = (sessionId: string, owner: Lease.LeaseOwner) =>
      Effect.gen(function*() {
        const row = yield* sql.withTransaction(Effect.zipRight(insertLock(sessionId, owner), currentLock(sessionId)))
        if (row === undefined || row.token === owner.token) return Lease.acquired
        const holder: Lease.LeaseOwner = {
          pid: Number(row.owner_pid),
          host: row.owner_host,
          token: row.token,
          acquiredAtMs: Number(row.acquired_at_ms)
        }
        if (!Lease.isStale(holder)) return Lease.held(Lease.describeOwner(holder))
        // the dead owner's row is deleted only if it still is that row: a concurrent taker wins cleanly
        const taken = yield* sql.withTransaction(
          sql`DELETE FROM locks WHERE session_id = ${sessionId} AND token = ${holder.token}`.pipe(
            Effect.zipRight(insertLock(sessionId, owner)),
            Effect.zipRight(currentLock(sessionId))
          )
        )
        if (taken?.token !== owner.token) return Lease.held(`${Lease.describeOwner(holder)} (dead; being taken over)`)
        yield* Effect.logWarning(
          `Took over the lock of ${Lease.describeOwner(holder)}, a process that no longer exists (session '${sessionId}', ${dbPath})`
        )
        return Lease.acquired
      }).pipe(Effect.mapError(storeError(sessionId, "acquire")), isolated)

    const releaseLock = (sessionId: string, token: string) =>
      sql.withTransaction(sql`DELETE FROM locks WHERE session_id = ${sessionId} AND token = ${token}`).pipe(
        isolated,
        Effect.asVoid,
        Effect.catchAllCause((cause) =>
          Effect.logWarning(`Could not release the lock of session '${sessionId}' (${dbPath})`, Cause.pretty(cause))
        )
      )

    // -------------------------------------------------------------------------------------------------

    return SessionStore.of({
      appendMessages: Effect.fn("SqliteSessionStore.appendMessages")(function*(sessionId, messages) {
        const rows = yield* Effect.forEach(messages, (message) =>
          Effect.map(
            toJson(schemas.message, message, { sessionId, operation: "appendMessages" }),
            (body) => ({ session_id: sessionId, run_id: message.runId, body })
          ))
        yield* write(sessionId, "appendMessages", () =>
          Effect.forEach(chunksOf(rows, INSERT_CHUNK), (chunk) => sql`INSERT INTO messages ${sql.insert(chunk)}`, { discard: true }))
      }),
      loadMessages: (sessionId) =>
        readBodies(
          sessionId,
          "loadMessages",
          schemas.message,
          sql<{ body: string }>`SELECT body FROM messages WHERE session_id = ${sessionId} ORDER BY id`
        ),
      getState: (sessionId) =>
        readBodies(
          sessionId,
          "getState",
          schemas.state,
          sql<{ body: string }>`SELECT body FROM session_state WHERE session_id = ${sessionId}`
        ).pipe(Effect.map((rows): SessionState => rows[0] ?? {})),
      setState: Effect.fn("SqliteSessionStore.setState")(function*(sessionId, state) {
        const body = yield* toJson(schemas.state, copyState(state), { sessionId, operation: "setState" })
        yield* write(sessionId, "setState", (now) =>
          sql`INSERT INTO session_state (session_id, body, updated_at_ms) VALUES (${sessionId}, ${body}, ${now})
              ON CONFLICT (session_id) DO UPDATE SET body = excluded.body, updated_at_ms = excluded.updated_at_ms`)
      }),
      saveArtifact: Effect.fn("SqliteSessionStore.saveArtifact")(function*(sessionId, artifact) {
        const body = yield* toJson(schemas.artifact, artifact, { sessionId, operation: "saveArtifact" })
        yield* write(sessionId, "saveArtifact", () =>
          sql`INSERT INTO artifacts (session_id, name, body) VALUES (${sessionId}, ${artifact.name}, ${body})`)
      }),
      listArtifacts: (sessionId) =>
        readBodies(
          sessionId,
          "listArtifacts",
          schemas.artifact,
          sql<{ body: string }>`SELECT body FROM artifacts WHERE session_id = ${sessionId} ORDER BY id`
        ),
      saveCheckpoint: Effect.fn("SqliteSessionStore.saveCheckpoint")(function*(sessionId, checkpoint) {
        const body = yield* toJson(schemas.checkpoint, checkpoint, { sessionId, operation: "saveCheckpoint" })
        // an upsert keeps the row (and its id, hence its place in the order) of an existing checkpoint id
        yield* write(sessionId, "saveCheckpoint", () =>
          sql`INSERT INTO checkpoints (session_id, checkpoint_id, body)
              VALUES (${sessionId}, ${checkpoint.checkpointId}, ${body})
              ON CONFLICT (session_id, checkpoint_id) DO UPDATE SET body = excluded.body`)
      }),
      loadCheckpoint: (sessionId, checkpointId) =>
        readBodies(
          sessionId,
          "loadCheckpoint",
          schemas.checkpoint,
          sql<{ body: string }>`SELECT body FROM checkpoints
                                WHERE session_id = ${sessionId} AND checkpoint_id = ${checkpointId}`
        ).pipe(Effect.map((rows) => Option.fromNullable(rows[0]))),
      listCheckpoints: (sessionId) =>
        readBodies(
          sessionId,
          "listCheckpoints",
          schemas.checkpoint,
          sql<{ body: string }>`SELECT body FROM checkpoints WHERE session_id = ${sessionId} ORDER BY id`
        ),
      appendJournal: Effect.fn("SqliteSessionStore.appendJournal")(function*(sessionId, entries, checkpoint) {
        const rows = yield* Effect.forEach(entries, (entry) =>
          Effect.map(
            toJson(schemas.journal, entry, { sessionId, operation: "appendJournal" }),
            (body) => ({ session_id: sessionId, run_id: entry.runId, seq: entry.seq, kind: entry.kind, body })
          ))
        const checkpointBody = checkpoint
          ? yield* toJson(schemas.checkpoint, checkpoint, { sessionId, operation: "appendJournal" })
          : undefined
        // the entries and their checkpoint in one transaction: a durable step is one commit
        yield* write(sessionId, "appendJournal", () =>
          Effect.forEach(chunksOf(rows, INSERT_CHUNK), (chunk) => sql`INSERT INTO journal ${sql.insert(chunk)}`, { discard: true }).pipe(
            Effect.zipRight(
              checkpoint && checkpointBody !== undefined
                ? sql`INSERT INTO checkpoints (session_id, checkpoint_id, body)
                      VALUES (${sessionId}, ${checkpoint.checkpointId}, ${checkpointBody})
                      ON CONFLICT (session_id, checkpoint_id) DO UPDATE SET body = excluded.body`
                : Effect.void
            )
          ))
      }),
      loadJournal: (sessionId, runId) =>
        readBodies(
          sessionId,
          "loadJournal",
          schemas.journal,
          sql<{ body: string }>`SELECT body FROM journal
                                WHERE session_id = ${sessionId} AND run_id = ${runId} ORDER BY seq, id`
        ),
      listJournaledRuns: (sessionId) =>
        sql<{ run_id: string }>`SELECT run_id FROM journal WHERE session_id = ${sessionId}
                                GROUP BY run_id ORDER BY MIN(id)`.pipe(
          Effect.map((rows) => rows.map((row) => row.run_id)),
          Effect.mapError(storeError(sessionId, "listJournaledRuns")),
          isolated
        ),
      savePendingApproval: Effect.fn("SqliteSessionStore.savePendingApproval")(function*(sessionId, approval) {
        const body = yield* toJson(schemas.approval, approval, { sessionId, operation: "savePendingApproval" })
        // an upsert keeps the row's place in the order
        yield* write(sessionId, "savePendingApproval", () =>
          sql`INSERT INTO pending_approvals (session_id, run_id, call_id, body)
              VALUES (${sessionId}, ${approval.runId}, ${approval.callId}, ${body})
              ON CONFLICT (session_id, run_id, call_id) DO UPDATE SET body = excluded.body`)
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
      acquire: (sessionId) =>
        Effect.gen(function*() {
          const owner = Lease.newOwner(yield* Clock.currentTimeMillis)
          yield* Lease.hold({
            sessionId,
            lockTimeoutMs,
            where: `locks table of ${dbPath}`,
            attempt: attemptLock(sessionId, owner),
            release: releaseLock(sessionId, owner.token)
          })
        }),
      forkSession: (sourceId, targetId, options) =>
        write(targetId, "forkSession", (now) =>
          copyHistory(sql, { sourceId, targetId, atCheckpoint: options?.atCheckpoint, where: dbPath, now, noLimit: -1 })),
      deleteSession: (sessionId) =>
        sql.withTransaction(
          Effect.all([
            sql`DELETE FROM messages WHERE session_id = ${sessionId}`,
            sql`DELETE FROM session_state WHERE session_id = ${sessionId}`,
            sql`DELETE FROM artifacts WHERE session_id = ${sessionId}`,
            sql`DELETE FROM checkpoints WHERE session_id = ${sessionId}`,
            sql`DELETE FROM journal WHERE session_id = ${sessionId}`,
            sql`DELETE FROM pending_approvals WHERE session_id = ${sessionId}`,
            sql`DELETE FROM sessions WHERE session_id = ${sessionId}`
          ], { discard: true })
        ).pipe(Effect.mapError(storeError(sessionId, "deleteSession")), isolated)
    })
  }))

/**
 * The SQLite store as a Layer; the database is closed when the Layer is released.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<SessionStore, SessionStoreError> =>
  Layer.scoped(SessionStore, make(options))
