/**
 * The PostgreSQL session store's schema: migrations, the connection URL it opens (with its schema on the
 * search path) and the advisory-lock keys it uses.
 *
 * @internal
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { createHash } from "node:crypto"
import * as Effect from "effect/Effect"

/**
 * The migrations, in code (run by the `@effect/sql` Migrator). The tables are those of the SQLite store
 * (so `internal/sqlFork.ts` serves both), with `BIGSERIAL` keys and `BIGINT` times.
 *
 * @since 0.4.0
 * @category internal
 * @internal
 */
export const migrations: Record<string, Effect.Effect<void, unknown, SqlClient.SqlClient>> = {
  "1_create_session_tables": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`CREATE TABLE IF NOT EXISTS sessions (
      id BIGSERIAL PRIMARY KEY,
      session_id TEXT NOT NULL UNIQUE,
      created_at_ms BIGINT NOT NULL,
      updated_at_ms BIGINT NOT NULL
    )`
    yield* sql`CREATE TABLE IF NOT EXISTS messages (
      id BIGSERIAL PRIMARY KEY,
      session_id TEXT NOT NULL,
      run_id TEXT NOT NULL,
      body TEXT NOT NULL
    )`
    yield* sql`CREATE INDEX IF NOT EXISTS messages_by_session ON messages (session_id, id)`
    yield* sql`CREATE TABLE IF NOT EXISTS session_state (
      session_id TEXT PRIMARY KEY,
      body TEXT NOT NULL,
      updated_at_ms BIGINT NOT NULL
    )`
    yield* sql`CREATE TABLE IF NOT EXISTS artifacts (
      id BIGSERIAL PRIMARY KEY,
      session_id TEXT NOT NULL,
      name TEXT NOT NULL,
      body TEXT NOT NULL
    )`
    yield* sql`CREATE INDEX IF NOT EXISTS artifacts_by_session ON artifacts (session_id, id)`
    yield* sql`CREATE TABLE IF NOT EXISTS checkpoints (
      id BIGSERIAL PRIMARY KEY,
      session_id TEXT NOT NULL,
      checkpoint_id TEXT NOT NULL,
      body TEXT NOT NULL,
      UNIQUE (session_id, checkpoint_id)
    )`
    yield* sql`CREATE INDEX IF NOT EXISTS checkpoints_by_session ON checkpoints (session_id, id)`
    yield* sql`CREATE TABLE IF NOT EXISTS journal (
      id BIGSERIAL PRIMARY KEY,
      session_id TEXT NOT NULL,
      run_id TEXT NOT NULL,
      seq INTEGER NOT NULL,
      kind TEXT NOT NULL,
      body TEXT NOT NULL
    )`
    yield* sql`CREATE INDEX IF NOT EXISTS journal_by_run ON journal (session_id, run_id, seq, id)`
    // who holds a session's advisory lock, for the messages of those who wait (the lock itself is the
    // advisory lock, which PostgreSQL releases when its connection ends)
    yield* sql`CREATE TABLE IF NOT EXISTS locks (
      session_id TEXT PRIMARY KEY,
      owner_pid INTEGER NOT NULL,
      owner_host TEXT NOT NULL,
      token TEXT NOT NULL,
      acquired_at_ms BIGINT NOT NULL
    )`
    yield* sql`CREATE TABLE IF NOT EXISTS pending_approvals (
      id BIGSERIAL PRIMARY KEY,
      session_id TEXT NOT NULL,
      run_id TEXT NOT NULL,
      call_id TEXT NOT NULL,
      body TEXT NOT NULL,
      UNIQUE (session_id, run_id, call_id)
    )`
  })
}

/**
 * A schema name the store accepts: a plain identifier, so it can go on the search path and in DDL
 * without quoting surprises (PostgreSQL keeps its case, as it is always quoted).
 *
 * @since 0.4.0
 * @category internal
 * @internal
 */
export const isSchemaName = (schema: string): boolean => /^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)

/**
 * The URL with its password hidden, for messages.
 *
 * @since 0.4.0
 * @category internal
 * @internal
 */
export const describeUrl = (url: string): string => {
  try {
    const parsed = new URL(url)
    if (parsed.password !== "") parsed.password = "***"
    return parsed.toString()
  } catch {
    return "(an unparsable URL)"
  }
}

/**
 * The URL every connection of the store opens: the given one with the schema as the search path (the
 * `options` startup parameter), so every statement finds the store's tables in it.
 *
 * @since 0.4.0
 * @category internal
 * @internal
 */
export const connectionUrl = (url: string, schema: string): string => {
  const parsed = new URL(url)
  const existing = parsed.searchParams.get("options")
  const searchPath = `-c search_path="${schema}"`
  parsed.searchParams.set("options", existing ? `${existing} ${searchPath}` : searchPath)
  return parsed.toString()
}

/**
 * The 64-bit advisory-lock key of a session. Advisory locks are per database, not per schema: the
 * schema is part of the key, so stores in two schemas of one database never block each other.
 *
 * @since 0.4.0
 * @category internal
 * @internal
 */
export const lockKey = (schema: string, name: string): string =>
  createHash("sha256").update(`openagents\0${schema}\0${name}`).digest().readBigInt64BE(0).toString()
