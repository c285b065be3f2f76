/**
 * Storage per step of durable runs: runs of 10, 100 and 1000 steps (one tool call per step, the planned
 * model of the durable tests) on the JSONL, SQLite and PostgreSQL session stores, and the bytes they leave.
 *
 * - bytes: what the run added to the store's files (JSONL: the session file; SQLite: the database file
 *   after `PRAGMA wal_checkpoint(TRUNCATE)`, minus the freshly migrated empty database);
 * - bytes/step: bytes / steps; marginal/step: (bytes − bytes of a 0-step run) / steps, i.e. without the
 *   fixed cost of a run (header, first entry, final answer, memory). Constant per step means the ratio of
 *   1000 to 10 steps is ~1 (the marginal one; the raw one is below 1, the fixed cost being spread);
 * - by record: journal / checkpoint / message bytes per step (JSONL: line bytes; SQLite: body lengths).
 * - postgres: at OPENAGENTS_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/test), in a schema of
 *   its own dropped afterwards; bytes are the tables' and indexes' pages (`pg_total_relation_size`), so
 *   coarse at 8 KiB; skipped with a note when PostgreSQL is not reachable. ms/step compares the stores'
 *   cost per durable step (one round trip to PostgreSQL).
 *
 *   npm run bench:storage            (STEPS="10,100,1000" by default)
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import * as PgClient from "@effect/sql-pg/PgClient"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Layer, Redacted, Schema } from "effect"
import * as EventBus from "../src/events/EventBus.js"
import * as AgentRuntime from "../src/runtime/AgentRuntime.js"
import * as JsonlSessionStore from "../src/sessions/JsonlSessionStore.js"
import * as PostgresSessionStore from "../src/sessions/PostgresSessionStore.js"
import type { SessionStore } from "../src/sessions/SessionStore.js"
import * as SqliteSessionStore from "../src/sessions/SqliteSessionStore.js"
import * as Skills from "../src/skills/Skills.js"
import * as Tool from "../src/tools/Tool.js"
import * as Planned from "../test/support/planned.js"

const STEPS = (process.env["STEPS"] ?? "10,100,1000").split(",").map((s) => Number(s.trim()))

type Kind = "jsonl" | "sqlite" | "postgres"

const PG_URL = process.env["OPENAGENTS_TEST_PG_URL"] || "postgres://postgres@127.0.0.1:5432/test"
const PG_SCHEMA = `bench_storage_${process.pid}`

const withPg = <A, E>(f: (sql: PgClient.PgClient) => Effect.Effect<A, E>) =>
  Effect.scoped(Effect.flatMap(
    PgClient.make({ url: Redacted.make(PG_URL), maxConnections: 1 }).pipe(
      Effect.provideServiceEffect(Reactivity.Reactivity, Reactivity.make)
    ),
    f
  ))

const dropPgSchema = withPg((sql) => sql.unsafe(`DROP SCHEMA IF EXISTS "${PG_SCHEMA}" CASCADE`)).pipe(Effect.ignore)

const pgSize = withPg((sql) =>
  Effect.gen(function*() {
    const body = (table: string) =>
      Effect.map(sql.unsafe<{ n: string | null }>(`SELECT SUM(octet_length(body)) AS n FROM "${PG_SCHEMA}".${table}`), (rows) =>
        Number(rows[0]?.n ?? 0))
    const byRecord = {
      journal: yield* body("journal"),
      checkpoint: yield* body("checkpoints"),
      message: yield* body("messages"),
      other: (yield* body("session_state")) + (yield* body("artifacts"))
    }
    const [total] = yield* sql<{ n: string | null }>`SELECT SUM(pg_total_relation_size(c.oid)) AS n FROM pg_class c
      JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = ${PG_SCHEMA} AND c.relkind = 'r'`
    return { size: Number(total?.n ?? 0), byRecord }
  })
)

const StepTool = Tool.make("step", {
  description: "Squares a number",
  parameters: Schema.Struct({ n: Schema.Number }),
  handler: ({ n }) => Effect.succeed({ n, squared: n * n })
})

interface Measure {
  readonly kind: Kind
  readonly steps: number
  readonly bytes: number
  readonly byRecord: Readonly<Record<"journal" | "checkpoint" | "message" | "other", number>>
  readonly ms: number
}

const sqliteSize = (dbPath: string) =>
  Effect.scoped(Effect.gen(function*() {
    const sql = yield* SqliteClient.make({ filename: dbPath }).pipe(Effect.provideServiceEffect(Reactivity.Reactivity, Reactivity.make))
    yield* sql.unsafe("PRAGMA wal_checkpoint(TRUNCATE)")
    const tables = { journal: "journal", checkpoint: "checkpoints", message: "messages" } as const
    const byRecord = { journal: 0, checkpoint: 0, message: 0, other: 0 }
    for (const [key, table] of Object.entries(tables) as Array<[keyof typeof tables, string]>) {
      const rows = yield* sql<{ n: number | null }>`SELECT SUM(LENGTH(body)) AS n FROM ${sql(table)}`
      byRecord[key] = Number(rows[0]?.n ?? 0)
    }
    const other = yield* sql<{ n: number | null }>`SELECT (SELECT COALESCE(SUM(LENGTH(body)), 0) FROM session_state) + (SELECT COALESCE(SUM(LENGTH(body)), 0) FROM artifacts) AS n`
    byRecord.other = Number(other[0]?.n ?? 0)
    return { size: fs.statSync(dbPath).size, byRecord }
  }))

const jsonlSize = (rootDir: string) => {
  const byRecord = { journal: 0, checkpoint: 0, message: 0, other: 0 }
  let size = 0
  for (const file of fs.readdirSync(rootDir).filter((f) => f.endsWith(".jsonl"))) {
    const text = fs.readFileSync(path.join(rootDir, file), "utf8")
    size += Buffer.byteLength(text)
    for (const line of text.split("\n")) {
      if (line === "") continue
      const t = (JSON.parse(line) as { t: string }).t
      const bytes = Buffer.byteLength(line) + 1
      if (t === "journal" || t === "checkpoint" || t === "message") byRecord[t] += bytes
      else byRecord.other += bytes
    }
  }
  return { size, byRecord }
}

const measure = (kind: Kind, steps: number): Effect.Effect<Measure, unknown> =>
  Effect.gen(function*() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `oa-bench-storage-${kind}-`))
    try {
      if (kind === "postgres") yield* dropPgSchema
      const target = path.join(dir, kind === "sqlite" ? "sessions.db" : "sessions")
      const store: Layer.Layer<SessionStore, unknown> = kind === "sqlite"
        ? SqliteSessionStore.layer({ dbPath: target })
        : kind === "postgres"
        ? PostgresSessionStore.layer({ url: PG_URL, schema: PG_SCHEMA })
        : JsonlSessionStore.layer({ rootDir: target })
      // the empty store: a migrated database, an empty directory
      const before = kind === "sqlite"
        ? (yield* Effect.scoped(Layer.build(store)), (yield* sqliteSize(target)).size)
        : kind === "postgres"
        ? (yield* Effect.scoped(Layer.build(store)), (yield* pgSize).size)
        : 0
      const plan = Array.from({ length: steps }, (_, n) => ({ name: "step", arguments: { n } }))
      const runtime = AgentRuntime.layer({
        agents: [{ id: "bench", model: Planned.layer(plan, "done"), tools: [StepTool], maxSteps: steps + 2 }]
      }).pipe(Layer.provide(Layer.mergeAll(store, EventBus.layer({ maxHistory: 0 }), Skills.layerNone)))
      const started = Date.now()
      const result = yield* Effect.flatMap(AgentRuntime.AgentRuntime, (rt) =>
        rt.runDetailed({ agentId: "bench", sessionId: "bench", inputText: "go", durable: true })).pipe(
          Effect.provide(runtime)
        )
      const ms = Date.now() - started
      if (result.stopReason !== "completed" || result.usage.toolCalls !== steps) {
        return yield* Effect.dieMessage(`the ${steps}-step run on ${kind} stopped with ${result.stopReason}: ${result.error?.message}`)
      }
      const after = kind === "sqlite" ? yield* sqliteSize(target) : kind === "postgres" ? yield* pgSize : jsonlSize(target)
      return { kind, steps, bytes: after.size - before, byRecord: after.byRecord, ms }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

const program = Effect.gen(function*() {
  const fixed = (n: number, digits = 0) => n.toFixed(digits).padStart(10)
  console.log(`storage per step of durable runs (one tool call per step); node ${process.version}, ${os.platform()}`)
  console.log(
    `${"store".padEnd(7)}${"steps".padStart(6)}${"bytes".padStart(10)}${"bytes/step".padStart(11)}${"marginal".padStart(10)}` +
      `${"journal".padStart(10)}${"checkpt".padStart(10)}${"message".padStart(10)}${"ms/step".padStart(10)}`
  )
  const pgReachable = yield* withPg((sql) => sql`SELECT 1`).pipe(Effect.as(true), Effect.orElseSucceed(() => false))
  if (!pgReachable) console.log(`postgres: skipped, not reachable at ${PG_URL} (set OPENAGENTS_TEST_PG_URL)`)
  const msPerStep: Partial<Record<Kind, number>> = {}
  for (const kind of pgReachable ? ["jsonl", "sqlite", "postgres"] as const : ["jsonl", "sqlite"] as const) {
    const zero = yield* measure(kind, 0)
    const rows: Array<Measure & { perStep: number; marginal: number }> = []
    for (const steps of STEPS) {
      const m = yield* measure(kind, steps)
      const row = { ...m, perStep: m.bytes / steps, marginal: (m.bytes - zero.bytes) / steps }
      rows.push(row)
      const per = (k: keyof Measure["byRecord"]) => fixed((m.byRecord[k] - zero.byRecord[k]) / steps, 0)
      console.log(
        `${kind.padEnd(7)}${String(steps).padStart(6)}${fixed(m.bytes)}${fixed(row.perStep, 0).slice(-11).padStart(11)}` +
          `${fixed(row.marginal, 0)}${per("journal")}${per("checkpoint")}${per("message")}${fixed(m.ms / steps, 2)}`
      )
    }
    const first = rows[0]
    const last = rows[rows.length - 1]
    if (last) msPerStep[kind] = last.ms / last.steps
    if (first && last && first !== last) {
      const records = (m: Measure) =>
        (m.byRecord.journal + m.byRecord.checkpoint + m.byRecord.message -
          (zero.byRecord.journal + zero.byRecord.checkpoint + zero.byRecord.message)) / m.steps
      console.log(
        `${kind}: bytes/step at ${last.steps} vs ${first.steps} steps: marginal ${(last.marginal / first.marginal).toFixed(3)}, ` +
          `raw ${(last.perStep / first.perStep).toFixed(3)}, records only ${(records(last) / records(first)).toFixed(3)} ` +
          (zero.bytes === 0 ? "(a 0-step run fits in the pages of the empty database)" : `(a 0-step run takes ${zero.bytes} bytes)`)
      )
    }
  }
  const base = msPerStep.sqlite
  if (base !== undefined && msPerStep.postgres !== undefined && msPerStep.jsonl !== undefined) {
    console.log(
      `time per durable step vs sqlite: jsonl ${(msPerStep.jsonl / base).toFixed(2)}x, postgres ${(msPerStep.postgres / base).toFixed(2)}x`
    )
  }
}).pipe(Effect.ensuring(dropPgSchema))

Effect.runPromise(program).catch((e) => {
  console.error(e)
  process.exitCode = 1
})
