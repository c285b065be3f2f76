/**
 * Experiences in a SQLite database, searched with an FTS5 index ranked by `bm25`, the best candidates
 * then weighted by confidence and recency. Its tables can share the file of the sessions and traces
 * (migrations recorded in `openagents_experience_migrations`).
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
import {
  definedOf,
  Experience,
  ExperienceNotFound,
  ExperienceStore,
  ExperienceStoreError,
  weight,
  words
} from "./ExperienceStore.js"

/**
 * Options of the SQLite experience store.
 *
 * @since 0.3.0
 * @category models
 */
export interface Options {
  readonly dbPath: string
  readonly busyTimeoutMs?: number | undefined
}

const migrations: Record<string, Effect.Effect<void, unknown, SqlClient.SqlClient>> = {
  "1_create_experience_tables": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`CREATE TABLE IF NOT EXISTS experiences (
      id INTEGER PRIMARY KEY,
      experience_id TEXT NOT NULL UNIQUE,
      scope TEXT NOT NULL,
      created_at_ms INTEGER NOT NULL,
      body TEXT NOT NULL
    )`
    yield* sql`CREATE INDEX IF NOT EXISTS experiences_by_scope ON experiences (scope, created_at_ms)`
    // the index holds the words of the condition and the rule; scope and id are only carried along
    yield* sql`CREATE VIRTUAL TABLE IF NOT EXISTS experiences_fts USING fts5(
      experience_id UNINDEXED, scope UNINDEXED, text, tokenize = 'unicode61'
    )`
  })
}

const encode = Schema.encodeSync(Schema.parseJson(Experience))
const decode = Schema.decodeUnknownOption(Schema.parseJson(Experience))

/** An FTS5 query matching any of the words (each quoted: no word is read as an operator). */
const matchQuery = (text: string): string | undefined => {
  const ws = [...new Set(words(text))].slice(0, 64)
  return ws.length === 0 ? undefined : ws.map((w) => `"${w}"`).join(" OR ")
}

/**
 * Opens (creating and migrating) the database and builds a store on it, closed with the scope.
 *
 * @since 0.3.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<ExperienceStore["Type"], ExperienceStoreError, Scope.Scope> =>
  Effect.gen(function*() {
    const sql = yield* open({
      dbPath: options.dbPath,
      migrationsTable: "openagents_experience_migrations",
      migrations,
      busyTimeoutMs: options.busyTimeoutMs
    }).pipe(Effect.mapError((message) =>
      new ExperienceStoreError({ operation: "open", message: `Cannot open the experience database ${options.dbPath}: ${message}` })
    ))
    const failed = (operation: string) => (error: unknown) =>
      new ExperienceStoreError({ operation, message: `${operation} failed (${options.dbPath}): ${errorText(error)}` })
    const rowsOf = (rows: ReadonlyArray<{ readonly body: string }>) => rows.flatMap((r) => Option.toArray(decode(r.body)))
    const write = (e: Experience, replace: boolean) =>
      sql.withTransaction(Effect.all([
        replace
          ? sql`UPDATE experiences SET scope = ${e.scope}, body = ${encode(e)} WHERE experience_id = ${e.experienceId}`
          : sql`INSERT INTO experiences (experience_id, scope, created_at_ms, body)
                VALUES (${e.experienceId}, ${e.scope}, ${e.createdAtMs}, ${encode(e)})`,
        sql`DELETE FROM experiences_fts WHERE experience_id = ${e.experienceId}`,
        sql`INSERT INTO experiences_fts (experience_id, scope, text)
            VALUES (${e.experienceId}, ${e.scope}, ${`${e.condition}\n${e.rule}`})`
      ], { discard: true }))
    const get = (id: string) =>
      sql<{ body: string }>`SELECT body FROM experiences WHERE experience_id = ${id}`.pipe(
        Effect.map((rows) => Option.fromNullable(rowsOf(rows)[0])),
        Effect.mapError(failed("get")),
        isolated
      )
    return ExperienceStore.of({
      add: (e) => write(e, false).pipe(Effect.mapError(failed("add")), isolated),
      get,
      list: (filter) =>
        (filter?.scope !== undefined
          ? sql<{ body: string }>`SELECT body FROM experiences WHERE scope = ${filter.scope} ORDER BY created_at_ms DESC, id DESC`
          : sql<{ body: string }>`SELECT body FROM experiences ORDER BY created_at_ms DESC, id DESC`).pipe(
            Effect.map(rowsOf),
            Effect.mapError(failed("list")),
            isolated
          ),
      search: (q) => {
        const match = matchQuery(q.query)
        if (match === undefined || q.limit <= 0) return Effect.succeed([])
        // bm25 picks the candidates; confidence and recency reorder the best of them
        return sql<{ body: string; rank: number }>`
          SELECT e.body AS body, bm25(experiences_fts) AS rank
          FROM experiences_fts JOIN experiences e ON e.experience_id = experiences_fts.experience_id
          WHERE experiences_fts MATCH ${match} AND experiences_fts.scope = ${q.scope}
          ORDER BY rank LIMIT ${Math.max(50, q.limit * 10)}`.pipe(
          Effect.map((rows) =>
            rows.flatMap((r) => Option.toArray(Option.map(decode(r.body), (e) => ({ e, s: -r.rank * weight(e, q.nowMs) }))))
              .sort((a, b) => b.s - a.s)
              .slice(0, q.limit)
              .map((r) => r.e)
          ),
          Effect.mapError(failed("search")),
          isolated
        )
      },
      update: (id, patch, nowMs) =>
        Effect.gen(function*() {
          const found = yield* get(id)
          if (Option.isNone(found)) return yield* new ExperienceNotFound({ experienceId: id })
          const next = new Experience({ ...found.value, ...definedOf(patch), updatedAtMs: nowMs })
          yield* write(next, true).pipe(Effect.mapError(failed("update")), isolated)
          return next
        }),
      remove: (id) =>
        sql.withTransaction(Effect.zipLeft(
          sql<{ n: number }>`SELECT COUNT(*) AS n FROM experiences WHERE experience_id = ${id}`,
          Effect.all([
            sql`DELETE FROM experiences WHERE experience_id = ${id}`,
            sql`DELETE FROM experiences_fts WHERE experience_id = ${id}`
          ])
        )).pipe(Effect.map((rows) => Number(rows[0]?.n ?? 0) > 0), Effect.mapError(failed("remove")), isolated)
    })
  })

/**
 * The SQLite experience store as a Layer.
 *
 * @since 0.3.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<ExperienceStore, ExperienceStoreError> =>
  Layer.scoped(ExperienceStore, make(options))
