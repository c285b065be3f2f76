/**
 * The PostgreSQL of the tests: `OPENAGENTS_TEST_PG_URL` (default postgres://postgres@127.0.0.1:5432/test),
 * and schemas named `${OPENAGENTS_TEST_PG_PREFIX ?? "t"}_<random>`, one per store a test opens, dropped
 * (CASCADE) when the test file ends. PostgreSQL not being reachable fails the tests (CI guarantees it):
 * they never skip.
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import * as PgClient from "@effect/sql-pg/PgClient"
import { randomBytes } from "node:crypto"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"

/** The database of the tests. */
export const pgUrl: string = process.env["OPENAGENTS_TEST_PG_URL"] || "postgres://postgres@127.0.0.1:5432/test"

const prefix = (process.env["OPENAGENTS_TEST_PG_PREFIX"] || "t").replace(/[^A-Za-z0-9_]/g, "_").slice(0, 40)

const created = new Set<string>()
const byKey = new Map<string, string>()

/** A fresh schema name, remembered so that `dropSchemas` drops it. */
export const freshSchema = (): string => {
  const name = `${/^[A-Za-z_]/.test(prefix) ? "" : "t_"}${prefix}_${randomBytes(6).toString("hex")}`.toLowerCase()
  created.add(name)
  return name
}

/** The same fresh schema for the same key (a test's temporary directory): a restart sees the same data. */
export const schemaFor = (key: string): string => {
  let name = byKey.get(key)
  if (name === undefined) {
    name = freshSchema()
    byKey.set(key, name)
  }
  return name
}

const withClient = <A, E>(f: (sql: PgClient.PgClient) => Effect.Effect<A, E>) =>
  Effect.scoped(
    Effect.flatMap(
      PgClient.make({ url: Redacted.make(pgUrl), connectTimeout: Duration.seconds(5), maxConnections: 2 }).pipe(
        Effect.provideServiceEffect(Reactivity.Reactivity, Reactivity.make)
      ),
      f
    )
  )

/** Fails with a message that says what to do when the tests' PostgreSQL is not there. */
export const checkReachable: Effect.Effect<void, Error> = withClient((sql) => sql`SELECT 1`).pipe(
  Effect.asVoid,
  Effect.mapError((e) =>
    new Error(
      `PostgreSQL is not reachable at ${pgUrl.replace(/:[^:@/]*@/, ":***@")} (${
        String((e as { cause?: unknown }).cause ?? e)
      }): the Postgres session store tests need it. Start it (.ci/run does) or set OPENAGENTS_TEST_PG_URL.`
    )
  )
)

/** Drops every schema this file created (run in `afterAll`). */
export const dropSchemas: Effect.Effect<void> = Effect.suspend(() => {
  const names = [...created]
  created.clear()
  byKey.clear()
  return names.length === 0
    ? Effect.void
    : withClient((sql) => Effect.forEach(names, (name) => sql.unsafe(`DROP SCHEMA IF EXISTS "${name}" CASCADE`), { discard: true }))
}).pipe(Effect.orDie)

/** Runs a query in a schema (to look at the raw rows). */
export const inSchema = <A>(schema: string, f: (sql: PgClient.PgClient) => Effect.Effect<A, unknown>) =>
  withClient((sql) => sql.withTransaction(Effect.zipRight(sql.unsafe(`SET LOCAL search_path TO "${schema}"`), f(sql))))
