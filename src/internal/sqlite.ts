/**
 * Opens a SQLite database for a store that keeps its own tables beside others in one file (traces and
 * experiences beside the sessions): WAL, a busy timeout, and the store's migrations recorded in a table of
 * its own, so two stores never mistake each other's migration ids. Only modules loaded on demand import
 * this (the driver is an optional peer dependency).
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as fs from "node:fs"
import * as path from "node:path"

export const errorText = (error: unknown): string => {
  const cause = typeof error === "object" && error !== null && "cause" in error ? (error as { cause: unknown }).cause : undefined
  const text = (u: unknown) => (u instanceof Error ? u.message : typeof (u as { message?: unknown })?.message === "string" ? (u as { message: string }).message : String(u))
  return cause !== undefined && cause !== null ? `${text(error)}: ${text(cause)}` : text(error)
}

/**
 * Runs `effect` outside any transaction of the caller (`@effect/sql` finds the current transaction
 * through one tag shared by every client).
 */
export const isolated = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.mapInputContext(effect, (context: Context.Context<R>) =>
    Context.omit(SqlClient.TransactionConnection)(context) as Context.Context<R>)

/** Opens `dbPath` (creating its folder), migrates it, and closes it with the scope. */
export const open = (options: {
  readonly dbPath: string
  readonly migrationsTable: string
  readonly migrations: Record<string, Effect.Effect<void, unknown, SqlClient.SqlClient>>
  readonly busyTimeoutMs?: number | undefined
}): Effect.Effect<SqlClient.SqlClient, string, Scope.Scope> =>
  isolated(Effect.gen(function*() {
    const dbPath = options.dbPath === ":memory:" ? options.dbPath : path.resolve(options.dbPath)
    const busy = Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))
    if (dbPath !== ":memory:") {
      yield* Effect.try({ try: () => fs.mkdirSync(path.dirname(dbPath), { recursive: true }), catch: errorText })
    }
    const sql = yield* SqliteClient.make({ filename: dbPath }).pipe(
      Effect.provideServiceEffect(Reactivity.Reactivity, Reactivity.make),
      Effect.catchAllDefect((defect) => Effect.fail(defect)),
      Effect.mapError(errorText)
    )
    yield* sql.unsafe(`PRAGMA busy_timeout = ${busy}`).pipe(Effect.mapError(errorText))
    yield* sql.unsafe(`PRAGMA synchronous = NORMAL`).pipe(Effect.mapError(errorText))
    const latest = Math.max(...Object.keys(options.migrations).map((k) => parseInt(k, 10)))
    const version = Effect.map(
      sql<{ readonly v: number | null }>`SELECT MAX(migration_id) AS v FROM ${sql(options.migrationsTable)}`,
      (rows) => rows[0]?.v ?? 0
    )
    // another process opening the same new file may be migrating it: wait for its commit
    yield* Migrator.make({})({ loader: Migrator.fromRecord(options.migrations), table: options.migrationsTable }).pipe(
      Effect.zipRight(version),
      Effect.flatMap((v) => (v >= latest ? Effect.void : Effect.fail("not ready" as const))),
      Effect.retry({
        schedule: Schedule.spaced(Duration.millis(20)).pipe(Schedule.upTo(Duration.millis(Math.max(busy, 1000)))),
        while: (e) => e === "not ready"
      }),
      Effect.provideService(SqlClient.SqlClient, sql),
      Effect.catchAllDefect((defect) => Effect.fail(defect)),
      Effect.mapError((e) => `cannot migrate ${dbPath}: ${errorText(e)}`)
    )
    return sql
  }))
