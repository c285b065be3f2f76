import * as Reactivity from "@effect/experimental/Reactivity"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Scope from "effect/Scope"
import * as JsonlSessionStore from "../../src/sessions/JsonlSessionStore.js"
import * as PostgresSessionStore from "../../src/sessions/PostgresSessionStore.js"
import type { SessionStore } from "../../src/sessions/SessionStore.js"
import * as SqliteSessionStore from "../../src/sessions/SqliteSessionStore.js"
import { captureWarnings, openStore, tempDir } from "../support/sessions-fixtures.js"
import { checkReachable, dropSchemas, inSchema, pgUrl, schemaFor } from "../support/sessions-postgres.js"
import { spawnWriter } from "../support/sessions-processes.js"

// PostgreSQL is one of the backends: without it these tests fail (never skip), the first one saying why
beforeAll(() => Effect.runPromise(checkReachable))
afterAll(() => Effect.runPromise(dropSchemas))

const WRITERS = 3
const ROUNDS = 40
const SESSION = "shared session/1 ü"

interface Backend {
  readonly name: string
  readonly store: "jsonl" | "sqlite" | "postgres"
  readonly path: (dir: string) => string
  readonly layer: (p: string, lockTimeoutMs?: number) => Layer.Layer<SessionStore, unknown>
  /** Checks the raw storage: every line / row is whole and parses. */
  readonly checkRaw: (p: string) => Effect.Effect<void, unknown>
}

const backends: ReadonlyArray<Backend> = [
  {
    name: "sqlite",
    store: "sqlite",
    path: (dir) => path.join(dir, "sessions.db"),
    layer: (dbPath, lockTimeoutMs) => SqliteSessionStore.layer({ dbPath, lockTimeoutMs }),
    checkRaw: (dbPath) =>
      Effect.scoped(
        Effect.gen(function*() {
          const sql = yield* SqliteClient.make({ filename: dbPath }).pipe(
            Effect.provideServiceEffect(Reactivity.Reactivity, Reactivity.make)
          )
          const [check] = yield* sql<{ integrity_check: string }>`PRAGMA integrity_check`
          assert.strictEqual(check!.integrity_check, "ok")
          for (const table of ["messages", "artifacts", "checkpoints", "journal", "session_state"]) {
            const rows = yield* sql<{ body: string }>`SELECT body FROM ${sql(table)}`
            for (const row of rows) JSON.parse(row.body)
          }
          const [count] = yield* sql<{ n: number }>`SELECT COUNT(*) AS n FROM messages`
          assert.strictEqual(count!.n, WRITERS * ROUNDS * 2)
          assert.deepStrictEqual(yield* sql`SELECT * FROM locks`, [])
        })
      )
  },
  {
    name: "postgres",
    store: "postgres",
    path: (dir) => schemaFor(dir),
    layer: (schema, lockTimeoutMs) => PostgresSessionStore.layer({ url: pgUrl, schema, lockTimeoutMs }),
    checkRaw: (schema) =>
      inSchema(schema, (sql) =>
        Effect.gen(function*() {
          for (const table of ["messages", "artifacts", "checkpoints", "journal", "session_state"]) {
            const rows = yield* sql<{ body: string }>`SELECT body FROM ${sql(table)}`
            for (const row of rows) JSON.parse(row.body)
          }
          const [count] = yield* sql<{ n: string }>`SELECT COUNT(*) AS n FROM messages`
          assert.strictEqual(Number(count!.n), WRITERS * ROUNDS * 2)
          assert.deepStrictEqual(yield* sql`SELECT * FROM locks`, [])
        }))
  },
  {
    name: "jsonl_file",
    store: "jsonl",
    path: (dir) => path.join(dir, "sessions"),
    layer: (rootDir, lockTimeoutMs) => JsonlSessionStore.layer({ rootDir, lockTimeoutMs }),
    checkRaw: (rootDir) =>
      Effect.promise(async () => {
        const names = await fs.readdir(rootDir)
        assert.strictEqual(names.filter((n) => n.endsWith(".jsonl")).length, 1)
        const text = await fs.readFile(path.join(rootDir, names.find((n) => n.endsWith(".jsonl"))!), "utf8")
        assert.isTrue(text.endsWith("\n"))
        // an empty line is legal (a writer that saw another's append in flight starts on a fresh line)
        const lines = text.slice(0, -1).split("\n").filter((line) => line !== "")
        const types = lines.map((line) => (JSON.parse(line) as { t: string }).t)
        assert.strictEqual(types.filter((t) => t === "message").length, WRITERS * ROUNDS * 2)
        assert.strictEqual(types.filter((t) => t === "journal").length, WRITERS * ROUNDS)
        // no lock file, no takeover marker left
        assert.deepStrictEqual(names.filter((n) => !n.endsWith(".jsonl")), [])
      })
  }
]

/**
 * A deadline, never a measure: child processes start slowly on a loaded machine (the suite runs files side
 * by side), and these tests wait for several of them.
 */
const CHILDREN_TIMEOUT_MS = 180_000

const range = (n: number) => Array.from({ length: n }, (_, i) => i)

// the tests spend much of their time waiting on child processes: run them side by side
describe.concurrent("session stores shared by several processes", () => {
  it.scopedLive("concurrent writer processes lose nothing and corrupt nothing", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const writers = range(WRITERS).map((w) => `writer-${w}`)
      // each process writes to the SQLite file and to the JSONL session at once; both stores do not exist
      // yet, so the processes also race to create them (and to migrate the SQLite schema)
      const targets = backends.map((backend) => ({ store: backend.store, path: backend.path(dir) }))
      const children = yield* Effect.forEach(writers, (writer) =>
        spawnWriter({ mode: "write", targets, sessionId: SESSION, writer, count: ROUNDS }))
      for (const child of children) {
        const exit = yield* child.exited
        assert.strictEqual(exit.code, 0, child.output())
      }

      for (const backend of backends) {
        const p = backend.path(dir)
        yield* backend.checkRaw(p)
        const warnings = captureWarnings()
        yield* Effect.scoped(Effect.gen(function*() {
          const store = yield* openStore(backend.layer(p))
          assert.deepStrictEqual(yield* store.listSessions, [SESSION])

          const messages = yield* store.loadMessages(SESSION)
          assert.strictEqual(messages.length, WRITERS * ROUNDS * 2)
          for (const writer of writers) {
            // every message exactly once, and each writer's in the order it wrote them
            const mine = messages.filter((m) => m.runId === writer).map((m) => m.timestampMs)
            assert.deepStrictEqual(mine, range(ROUNDS * 2), backend.name)
            const journal = yield* store.loadJournal(SESSION, writer)
            assert.deepStrictEqual(journal.map((e) => e.seq), range(ROUNDS), backend.name)
          }
          assert.deepStrictEqual([...(yield* store.listJournaledRuns(SESSION))].sort(), writers)

          const artifacts = yield* store.listArtifacts(SESSION)
          assert.strictEqual(artifacts.length, WRITERS * (ROUNDS / 10))
          assert.strictEqual(new Set(artifacts.map((a) => a.name)).size, artifacts.length)
          const checkpoints = (yield* store.listCheckpoints(SESSION)).map((c) => c.checkpointId)
          assert.strictEqual(checkpoints.length, WRITERS * (ROUNDS / 10) + 1)
          assert.strictEqual(checkpoints.filter((id) => id === "shared").length, 1)
          const state = yield* store.getState(SESSION)
          assert.include(writers, state["writer"])
          assert.strictEqual(state["i"], ROUNDS - 10)
        })).pipe(Effect.provide(warnings.layer))
        assert.deepStrictEqual(warnings.lines, [], backend.name)
      }
    }), CHILDREN_TIMEOUT_MS)

  for (const backend of backends) {
    it.scopedLive(`${backend.name}: acquire excludes other processes (wait, SessionBusy, takeover after SIGKILL)`, () =>
      Effect.gen(function*() {
        const p = backend.path(yield* tempDir)
        // created first, so that the child does not race this process on creating it
        const patient = yield* openStore(backend.layer(p, 20_000))
        const hasty = yield* openStore(backend.layer(p, 300))

        // this process holds "held-here": the child gives up on it with SessionBusy
        const heldHere = yield* Scope.make()
        yield* Scope.extend(patient.acquire("held-here"), heldHere)
        const child = yield* spawnWriter({
          mode: "locks",
          target: { store: backend.store, path: p },
          lockTimeoutMs: 300,
          busySession: "held-here",
          waitSession: "wait",
          holdMs: 500,
          killSession: "kill"
        })
        yield* child.waitFor("busy held-here")
        yield* Scope.close(heldHere, Exit.void)

        // the child holds "wait" for a while: this process waits, and gets it once the child released it
        yield* child.waitFor("acquired wait")
        yield* Effect.scoped(
          Effect.gen(function*() {
            yield* patient.acquire("wait")
            // the child finished what it did under the lock before this process got it
            const messages = yield* patient.loadMessages("wait")
            assert.deepStrictEqual(messages.map((m) => m.timestampMs), [0, 1])
          })
        )

        // the child holds "kill" past lockTimeoutMs: SessionBusy; once SIGKILLed, its lock is taken over
        yield* child.waitFor("acquired kill")
        const error = yield* Effect.flip(Effect.scoped(hasty.acquire("kill")))
        assert.strictEqual(error._tag, "SessionBusy")
        yield* child.kill("SIGKILL")
        assert.strictEqual((yield* child.exited).signal, "SIGKILL")
        const warnings = captureWarnings()
        yield* Effect.scoped(patient.acquire("kill")).pipe(Effect.provide(warnings.layer))
        assert.isTrue(warnings.lines.some((line) => line.includes("Took over") && line.includes(`pid ${child.pid}`)))
        yield* Effect.scoped(hasty.acquire("kill"))
      }).pipe(Effect.provide(Logger.remove(Logger.defaultLogger))), CHILDREN_TIMEOUT_MS)
  }
})
