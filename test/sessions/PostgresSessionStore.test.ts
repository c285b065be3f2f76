import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import { SessionStoreError } from "../../src/kernel/Errors.js"
import * as PostgresSessionStore from "../../src/sessions/PostgresSessionStore.js"
import { conformance } from "../support/sessions-conformance.js"
import { captureWarnings, journalEntry, numberedMessage, openStore, sampleCheckpoint } from "../support/sessions-fixtures.js"
import { checkReachable, dropSchemas, freshSchema, inSchema, pgUrl, schemaFor } from "../support/sessions-postgres.js"

// no skipping: without PostgreSQL every test of this file fails, the first one saying why
beforeAll(() => Effect.runPromise(checkReachable))
afterAll(() => Effect.runPromise(dropSchemas))

conformance({
  name: "postgres",
  layer: (dir) => PostgresSessionStore.layer({ url: pgUrl, schema: schemaFor(dir) }),
  persistent: true,
  exclusiveAcquire: true
})

const open = (options: Partial<PostgresSessionStore.Options> = {}) =>
  openStore(PostgresSessionStore.layer({ url: pgUrl, schema: freshSchema(), ...options }))

const withPassword = (url: string, password: string) => {
  const parsed = new URL(url)
  parsed.username = parsed.username || "postgres"
  parsed.password = password
  return parsed.toString()
}

describe("PostgresSessionStore", () => {
  it.scoped("creates its schema and tables by migration, once, in the schema it is given", () =>
    Effect.gen(function*() {
      const schema = freshSchema()
      yield* Effect.scoped(open({ schema }))
      yield* Effect.scoped(open({ schema }))
      const store = yield* open({ schema })
      yield* store.appendMessages("s", [numberedMessage("r", 0)])
      const tables = yield* inSchema(schema, (sql) =>
        sql<{ table_name: string }>`SELECT table_name FROM information_schema.tables
          WHERE table_schema = ${schema} ORDER BY table_name`)
      assert.deepStrictEqual(tables.map((t) => t.table_name), [
        "artifacts",
        "checkpoints",
        "journal",
        "locks",
        "messages",
        PostgresSessionStore.migrationsTable,
        "pending_approvals",
        "session_state",
        "sessions"
      ])
      const migrations = yield* inSchema(schema, (sql) =>
        sql<{ migration_id: number; name: string }>`SELECT migration_id, name FROM openagents_migrations`)
      assert.deepStrictEqual(migrations.map((m) => [m.migration_id, m.name]), [[1, "create_session_tables"]])
    }))

  it.scoped("two schemas of one database are two stores: data and leases never mix", () =>
    Effect.gen(function*() {
      const a = yield* open()
      const b = yield* open({ lockTimeoutMs: 0 })
      yield* a.appendMessages("s", [numberedMessage("in-a", 0)])
      assert.deepStrictEqual(yield* b.listSessions, [])
      assert.deepStrictEqual(yield* b.loadMessages("s"), [])
      yield* a.acquire("s")
      // the same session id in the other schema is not held
      yield* Effect.scoped(b.acquire("s"))
    }))

  it.scoped("a durable step (journal entries and their checkpoint) and a large batch are each all or nothing", () =>
    Effect.gen(function*() {
      const store = yield* open()
      yield* store.appendJournal("s", [journalEntry("r", 0), journalEntry("r", 1)], sampleCheckpoint("c1", "one"))
      assert.deepStrictEqual((yield* store.loadJournal("s", "r")).map((e) => e.seq), [0, 1])
      assert.deepStrictEqual((yield* store.listCheckpoints("s")).map((c) => c.checkpointId), ["c1"])
      const batch = Array.from({ length: 2500 }, (_, i) => numberedMessage("big", i))
      yield* store.appendMessages("s", batch)
      assert.deepStrictEqual((yield* store.loadMessages("s")).map((m) => m.timestampMs), batch.map((m) => m.timestampMs))
    }))

  it.scoped("an unreachable server fails with SessionStoreError naming it, its password hidden, with a hint", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        open({ url: Redacted.make("postgres://me:s3cret@127.0.0.1:1/test"), connectTimeoutMs: 2000 })
      )
      assert.instanceOf(error, SessionStoreError)
      assert.strictEqual(error.operation, "open")
      assert.include(error.message, "127.0.0.1:1")
      assert.notInclude(error.message, "s3cret")
      assert.match(error.hint ?? "", /running and reachable/)
    }))

  it.scoped("a wrong database and a bad schema name fail with SessionStoreError saying which", () =>
    Effect.gen(function*() {
      const noDb = new URL(withPassword(pgUrl, "pw"))
      noDb.pathname = "/no_such_database_here"
      const e1 = yield* Effect.flip(open({ url: noDb.toString() }))
      assert.include(e1.message, "no_such_database_here")
      assert.notInclude(e1.message, ":pw@")
      const e2 = yield* Effect.flip(open({ schema: "bad-name; DROP" }))
      assert.include(e2.message, "Invalid schema name 'bad-name; DROP'")
    }))

  it.scoped("a lease whose holder's connection ended is taken over with a warning naming the holder", () =>
    Effect.gen(function*() {
      const schema = freshSchema()
      const first = yield* Scope.make()
      const holder = yield* openStore(PostgresSessionStore.layer({ url: pgUrl, schema })).pipe(Scope.extend(first))
      yield* holder.acquire("s").pipe(Scope.extend(first))
      const other = yield* open({ schema, lockTimeoutMs: 0 })
      const busy = yield* Effect.flip(Effect.scoped(other.acquire("s")))
      assert.strictEqual(busy._tag, "SessionBusy")
      assert.include((busy as { heldBy?: string }).heldBy ?? "", `pid ${process.pid}`)
      // the row of a holder whose connection is gone without releasing (as when a process is killed)
      yield* inSchema(schema, (sql) => sql`UPDATE locks SET token = 'gone' WHERE session_id = 's'`)
      yield* Scope.close(first, Exit.void)
      const warnings = captureWarnings()
      yield* Effect.scoped(other.acquire("s")).pipe(Effect.provide(warnings.layer))
      assert.isTrue(warnings.lines.some((line) => line.includes("Took over")), warnings.lines.join("\n"))
      yield* inSchema(schema, (sql) =>
        Effect.map(sql`SELECT * FROM locks`, (rows) => assert.deepStrictEqual(rows, [])))
    }))
})
