import * as Reactivity from "@effect/experimental/Reactivity"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import { assert, describe, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as SqliteSessionStore from "../../src/sessions/SqliteSessionStore.js"
import {
  advanceUntil,
  captureWarnings,
  journalEntry,
  numberedMessage,
  openStore,
  tempDir
} from "../support/sessions-fixtures.js"

const open = (dbPath: string, options: Partial<SqliteSessionStore.Options> = {}) =>
  openStore(SqliteSessionStore.layer({ dbPath, ...options }))

/** A second, independent connection to the same database file. */
const rawClient = (dbPath: string) =>
  SqliteClient.make({ filename: dbPath }).pipe(Effect.provideServiceEffect(Reactivity.Reactivity, Reactivity.make))

const deadPid = (): number => spawnSync(process.execPath, ["-e", ""]).pid

describe("SqliteSessionStore", () => {
  it.scoped("creates its schema by migration, in WAL mode, once", () =>
    Effect.gen(function*() {
      const dbPath = path.join(yield* tempDir, "deep", "dir", "sessions.db")
      yield* Effect.scoped(open(dbPath))
      yield* Effect.scoped(open(dbPath))
      const store = yield* open(dbPath)
      yield* store.appendMessages("s", [numberedMessage("r", 0)])

      const sql = yield* rawClient(dbPath)
      const [mode] = yield* sql<{ journal_mode: string }>`PRAGMA journal_mode`
      assert.strictEqual(mode!.journal_mode, "wal")
      const migrations = yield* sql<{ migration_id: number; name: string }>`
        SELECT migration_id, name FROM ${sql(SqliteSessionStore.migrationsTable)}`
      assert.deepStrictEqual(migrations.map((m) => [m.migration_id, m.name]), [
        [1, "create_session_tables"],
        [2, "create_pending_approvals"]
      ])
      const tables = yield* sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`
      for (const table of ["artifacts", "checkpoints", "journal", "locks", "messages", "pending_approvals", "session_state", "sessions"]) {
        assert.include(tables.map((t) => t.name), table)
      }
      const [check] = yield* sql<{ integrity_check: string }>`PRAGMA integrity_check`
      assert.strictEqual(check!.integrity_check, "ok")
    }))

  // also checks that the store never joins a transaction of another SqlClient running in the same fiber
  it.scoped("a write waiting on another connection's lock longer than busyTimeoutMs fails with a hint", () =>
    Effect.gen(function*() {
      const dbPath = path.join(yield* tempDir, "sessions.db")
      const store = yield* open(dbPath, { busyTimeoutMs: 50 })
      const other = yield* rawClient(dbPath)
      const error = yield* other.withTransaction(
        Effect.gen(function*() {
          // the other connection holds the write lock for the whole transaction
          yield* other`INSERT INTO sessions (session_id, created_at_ms, updated_at_ms) VALUES ('holder', 0, 0)`
          return yield* Effect.flip(store.appendMessages("s", [numberedMessage("r", 0)]))
        })
      )
      assert.strictEqual(error._tag, "SessionStoreError")
      assert.strictEqual(error.operation, "appendMessages")
      assert.include(error.hint ?? "", "busy_timeout")
      // the failed write left nothing behind, and the store works once the lock is released
      assert.deepStrictEqual(yield* store.loadMessages("s"), [])
      yield* store.appendMessages("s", [numberedMessage("r", 0)])
      assert.strictEqual((yield* store.loadMessages("s")).length, 1)
    }))

  it.scoped("a database that cannot be opened fails the layer with SessionStoreError", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* Effect.promise(() => fs.writeFile(path.join(dir, "file"), "x"))
      const e1 = yield* Effect.flip(open(path.join(dir, "file", "sessions.db")))
      assert.strictEqual(e1._tag, "SessionStoreError")
      assert.strictEqual(e1.operation, "open")
      assert.include(e1.hint ?? "", "db_path")

      const garbage = path.join(dir, "garbage.db")
      yield* Effect.promise(() => fs.writeFile(garbage, "this is not a database".repeat(100)))
      const e2 = yield* Effect.flip(open(garbage))
      assert.strictEqual(e2._tag, "SessionStoreError")
      assert.include(e2.hint ?? "", "not a valid SQLite database")
    }))

  it.scoped("an unreadable row is skipped and reported", () =>
    Effect.gen(function*() {
      const dbPath = path.join(yield* tempDir, "sessions.db")
      const store = yield* open(dbPath)
      yield* store.appendMessages("s", [0, 1, 2].map((i) => numberedMessage("r", i)))
      const sql = yield* rawClient(dbPath)
      yield* sql`UPDATE messages SET body = '{"broken": true}' WHERE id = (SELECT MIN(id) + 1 FROM messages)`
      const warnings = captureWarnings()
      const loaded = yield* store.loadMessages("s").pipe(Effect.provide(warnings.layer))
      assert.deepStrictEqual(loaded.map((m) => m.timestampMs), [0, 2])
      assert.strictEqual(warnings.lines.length, 1)
      assert.include(warnings.lines[0]!, "unreadable row")
    }))

  it.scoped("storage per journal entry stays constant", () =>
    Effect.gen(function*() {
      const dbPath = path.join(yield* tempDir, "sessions.db")
      const store = yield* open(dbPath)
      const sql = yield* rawClient(dbPath)
      const payload = { text: "x".repeat(8000) }
      const size = Effect.gen(function*() {
        yield* sql`PRAGMA wal_checkpoint(TRUNCATE)`
        return (yield* Effect.promise(() => fs.stat(dbPath))).size
      })
      let seq = 0
      const append = (count: number) =>
        Effect.gen(function*() {
          const before = yield* size
          for (let i = 0; i < count; i++) yield* store.appendJournal("s", [journalEntry("run", seq++, payload)])
          return ((yield* size) - before) / count
        })
      yield* append(1)
      const ten = yield* append(10)
      const hundred = yield* append(100)
      assert.isBelow(Math.abs(hundred - ten) / ten, 0.1, `${ten} vs ${hundred} bytes per entry`)
    }))

  describe("acquire", () => {
    it.scoped("takes over a lock row whose process is dead, and never one from another host", () =>
      Effect.gen(function*() {
        const dbPath = path.join(yield* tempDir, "sessions.db")
        const store = yield* open(dbPath, { lockTimeoutMs: 500 })
        const sql = yield* rawClient(dbPath)
        const pid = deadPid()
        yield* sql`INSERT INTO locks (session_id, owner_pid, owner_host, token, acquired_at_ms)
                   VALUES ('dead', ${pid}, ${os.hostname()}, 'dead-token', 0),
                          ('remote', ${pid}, ${os.hostname() + "-elsewhere"}, 'remote-token', 0)`
        const warnings = captureWarnings()
        yield* store.acquire("dead").pipe(Effect.provide(warnings.layer))
        const [row] = yield* sql<{ owner_pid: number }>`SELECT owner_pid FROM locks WHERE session_id = 'dead'`
        assert.strictEqual(row!.owner_pid, process.pid)
        assert.isTrue(warnings.lines.some((line) => line.includes("Took over") && line.includes(`pid ${pid}`)))

        const waiter = yield* Effect.fork(Effect.scoped(store.acquire("remote")))
        yield* advanceUntil(Effect.map(waiter.poll, Option.isSome), { step: 50 })
        const error = yield* Effect.flip(Fiber.join(waiter))
        assert.strictEqual(error._tag, "SessionBusy")
        const [remote] = yield* sql<{ token: string }>`SELECT token FROM locks WHERE session_id = 'remote'`
        assert.strictEqual(remote!.token, "remote-token")
      }))

    it.scoped("release deletes only the row it owns", () =>
      Effect.gen(function*() {
        const dbPath = path.join(yield* tempDir, "sessions.db")
        const store = yield* open(dbPath)
        const sql = yield* rawClient(dbPath)
        const scope = yield* Scope.make()
        yield* Scope.extend(store.acquire("s"), scope)
        const [held] = yield* sql<{ owner_pid: number }>`SELECT owner_pid FROM locks WHERE session_id = 's'`
        assert.strictEqual(held!.owner_pid, process.pid)
        yield* sql`UPDATE locks SET token = 'someone-else' WHERE session_id = 's'`
        yield* Scope.close(scope, Exit.void)
        const rows = yield* sql<{ token: string }>`SELECT token FROM locks WHERE session_id = 's'`
        assert.deepStrictEqual(rows.map((r) => r.token), ["someone-else"])

        yield* sql`DELETE FROM locks`
        yield* Effect.scoped(store.acquire("s"))
        assert.deepStrictEqual(yield* sql`SELECT * FROM locks`, [])
      }))
  })
})
