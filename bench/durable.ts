/**
 * Durable runs on SQLite: what the journal costs, in bytes and in time, per step.
 *
 * - journal bytes per step of a durable run of 10, 100 and 1000 steps (SUM(LENGTH(body)) of the run's
 *   journal and checkpoint rows, divided by the steps): constant means the ratio of 1000 to 10 steps is
 *   about 1 (a journal that copies the transcript grows with the steps);
 * - time per step, same runs (TIME_STEPS steps, one distinct session each, interleaved, median of RUNS):
 *   a non-durable run in memory is the baseline; a durable run on SQLite adds at most 0.5 ms a step
 *   (target); a NON-durable run on SQLite should pay nothing for a journal it does not need (target: no
 *   journal rows, and its time per step is reported against the baseline).
 *
 *   npm run bench:durable             (STEPS="10,100,1000" TIME_STEPS=50 RUNS=7 by default)
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Layer, ManagedRuntime } from "effect"
import * as EventBus from "../src/events/EventBus.js"
import * as AgentRuntime from "../src/runtime/AgentRuntime.js"
import * as InMemorySessionStore from "../src/sessions/InMemorySessionStore.js"
import type { SessionStore } from "../src/sessions/SessionStore.js"
import * as SqliteSessionStore from "../src/sessions/SqliteSessionStore.js"
import * as Skills from "../src/skills/Skills.js"
import * as LanguageModel from "../src/llm/LanguageModel.js"
import { Add, benchModel, budgetFor, fmt, header, median, signed, summary, target } from "./support.js"

const STEPS = (process.env["STEPS"] ?? "10,100,1000").split(",").map((s) => Number(s.trim()))
const TIME_STEPS = Number(process.env["TIME_STEPS"] ?? 50)
const RUNS = Number(process.env["RUNS"] ?? 7)
const TARGET_DURABLE_MS = 0.5

const runtimeOn = (store: Layer.Layer<SessionStore, unknown>, steps: number) =>
  AgentRuntime.layer({
    agents: [{ id: "bench", tools: [Add], maxSteps: steps + 1, model: Layer.succeed(LanguageModel.LanguageModel, benchModel(steps)) }]
  }).pipe(Layer.provide(Layer.mergeAll(store, EventBus.layer(), Skills.layerNone)))

const tempDb = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "oa-bench-durable-"))
  return { dir, dbPath: path.join(dir, "sessions.db") }
}

/** Rows and body bytes of the journal and checkpoint tables. */
const tableSizes = (dbPath: string) =>
  Effect.scoped(Effect.gen(function*() {
    const sql = yield* SqliteClient.make({ filename: dbPath }).pipe(Effect.provideServiceEffect(Reactivity.Reactivity, Reactivity.make))
    const count = (table: string) =>
      Effect.map(
        sql<{ n: number; b: number | null }>`SELECT COUNT(*) AS n, SUM(LENGTH(body)) AS b FROM ${sql(table)}`,
        (rows) => ({ rows: Number(rows[0]?.n ?? 0), bytes: Number(rows[0]?.b ?? 0) })
      )
    return { journal: yield* count("journal"), checkpoints: yield* count("checkpoints") }
  }))

/** Journal and checkpoint bytes of one durable run of `steps` steps on a fresh database. */
const journalBytes = (steps: number, durable: boolean) =>
  Effect.gen(function*() {
    const { dbPath, dir } = tempDb()
    try {
      const result = yield* Effect.flatMap(AgentRuntime.AgentRuntime, (rt) =>
        rt.runDetailed({ agentId: "bench", sessionId: "s", inputText: "go", durable, budget: budgetFor(steps) })).pipe(
          Effect.provide(runtimeOn(SqliteSessionStore.layer({ dbPath }), steps))
        )
      if (result.stopReason !== "completed" || result.usage.llmCalls !== steps) {
        return yield* Effect.dieMessage(`the ${steps}-step run stopped with ${result.stopReason}: ${result.error?.message}`)
      }
      return yield* tableSizes(dbPath)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

type Mode = "memory" | "memory-durable" | "sqlite" | "sqlite-durable"

const main = async () => {
  header(`durable runs on SQLite: journal bytes and time per step`)
  // ---- bytes ----
  console.log(`${"steps".padStart(6)}${"journal rows".padStart(14)}${"journal B/step".padStart(16)}${"checkpt B/step".padStart(16)}${"total B/step".padStart(14)}`)
  const perStep: Array<{ steps: number; bytes: number }> = []
  for (const steps of STEPS) {
    const s = await Effect.runPromise(journalBytes(steps, true))
    const total = (s.journal.bytes + s.checkpoints.bytes) / steps
    perStep.push({ steps, bytes: total })
    console.log(
      `${String(steps).padStart(6)}${String(s.journal.rows).padStart(14)}${fmt(s.journal.bytes / steps, 0).padStart(16)}` +
        `${fmt(s.checkpoints.bytes / steps, 0).padStart(16)}${fmt(total, 0).padStart(14)}`
    )
  }
  const first = perStep[0]!
  const last = perStep[perStep.length - 1]!
  const growth = last.bytes / first.bytes
  console.log(target(`journal+checkpoint bytes/step, ${last.steps} vs ${first.steps} steps`, `${fmt(growth)}x`, "~1x (constant)", growth <= 1.2))
  const nonDurable = await Effect.runPromise(journalBytes(TIME_STEPS, false))
  console.log(
    target(
      `non-durable run on SQLite, ${TIME_STEPS} steps`,
      `${nonDurable.journal.rows} journal rows (${fmt(nonDurable.journal.bytes / TIME_STEPS, 0)} B/step), ${nonDurable.checkpoints.rows} checkpoints`,
      "0 journal rows",
      nonDurable.journal.rows === 0
    )
  )

  // ---- time ----
  const dbs: Array<{ dir: string }> = []
  const runtimes = {} as Record<Mode, ManagedRuntime.ManagedRuntime<AgentRuntime.AgentRuntime, unknown>>
  for (const mode of ["memory", "memory-durable", "sqlite", "sqlite-durable"] as const) {
    let store: Layer.Layer<SessionStore, unknown> = InMemorySessionStore.layer
    if (mode.startsWith("sqlite")) {
      const db = tempDb()
      dbs.push(db)
      store = SqliteSessionStore.layer({ dbPath: db.dbPath })
    }
    runtimes[mode] = ManagedRuntime.make(runtimeOn(store, TIME_STEPS))
  }
  let session = 0
  const once = async (mode: Mode) => {
    const managed = runtimes[mode]
    const durable = mode.endsWith("durable")
    const start = performance.now()
    const result = await managed.runPromise(Effect.flatMap(AgentRuntime.AgentRuntime, (rt) =>
      rt.runDetailed({ agentId: "bench", sessionId: `t${session++}`, inputText: "go", durable, budget: budgetFor(TIME_STEPS) })))
    const ms = performance.now() - start
    if (result.stopReason !== "completed") throw new Error(`${mode}: ${result.stopReason} (${result.error?.message})`)
    return ms / TIME_STEPS
  }
  const modes = Object.keys(runtimes) as Array<Mode>
  for (const mode of modes) await once(mode) // warm-up: migrations, JIT
  const times = Object.fromEntries(modes.map((m) => [m, [] as Array<number>])) as Record<Mode, Array<number>>
  for (let r = 0; r < RUNS; r++) for (const mode of modes) times[mode].push(await once(mode))
  const med = Object.fromEntries(modes.map((m) => [m, median(times[m])])) as Record<Mode, number>
  console.log(`time per step, ${TIME_STEPS}-step runs, median of ${RUNS}:`)
  for (const mode of modes) {
    console.log(
      `  ${mode.padEnd(15)} ${fmt(med[mode], 3).padStart(8)} ms/step` +
        (mode === "memory" ? "   (baseline)" : `   ${signed(med[mode] - med.memory, 3)} ms/step over the baseline`)
    )
  }
  const added = med["sqlite-durable"] - med.memory
  const plain = med.sqlite - med.memory
  console.log(target("durable on SQLite vs non-durable in memory", `${signed(added, 3)} ms/step`, `<= ${TARGET_DURABLE_MS} ms/step`, added <= TARGET_DURABLE_MS))
  console.log(`non-durable on SQLite vs in memory: ${signed(plain, 3)} ms/step (what it pays for the journal it does not need, among its other writes)`)
  summary(
    `durable: bytes/step ${fmt(first.bytes, 0)} at ${first.steps} steps, ${fmt(last.bytes, 0)} at ${last.steps} (${fmt(growth)}x); ` +
      `durable SQLite ${signed(added, 3)} ms/step (target ${TARGET_DURABLE_MS}); non-durable SQLite ${signed(plain, 3)} ms/step, ` +
      `${nonDurable.journal.rows} journal rows for ${TIME_STEPS} steps (target 0)`
  )
  for (const managed of Object.values(runtimes)) await managed.dispose()
  for (const db of dbs) fs.rmSync(db.dir, { recursive: true, force: true })
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
