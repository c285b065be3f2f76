/**
 * The crash test of durable runs, with real child processes (test/support/durable-child.ts).
 *
 * A durable run on the scripted mock model (`SCRIPT`: five answers, one of them after a scripted rate
 * limit; four tool calls: `step`, `write_note` — not idempotent, it appends a line to a notes file —,
 * `step`, `lookup`) is SIGKILLed at every store write of an uninterrupted run, on the SQLite and on the
 * JSONL store, and once inside `write_note` (after its side effect, before it returns). New processes,
 * each with a new mock, then resume it from its latest checkpoint until it completes; when a resume
 * stops with `ToolOutcomeUnknown`, the test acts as the human: the note is in the file → `assume` the
 * result the tool would have returned; it is not → `rerun` the call.
 *
 * Checked for every kill point: the run completed; the session's messages (and memory) equal those of
 * the uninterrupted run, so the resumed mock went on with the script where the run stood; the note is
 * in the file exactly once; every journal entry decodes and replays; SQLite passes
 * `PRAGMA integrity_check` and every row is read back; every JSONL line parses (a torn last line only if
 * the store reported it).
 *
 * The child is bundled once with esbuild (a dependency of tsx and vite) so each process starts in
 * ~0.3 s instead of ~1.5 s under tsx; without esbuild it falls back to `node --import tsx`.
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as EventBus from "../../src/events/EventBus.js"
import { RunArtifact } from "../../src/kernel/Run.js"
import { SessionMessage } from "../../src/kernel/Session.js"
import { Pattern } from "../../src/patterns/Pattern.js"
import * as React from "../../src/patterns/React.js"
import * as AgentRuntime from "../../src/runtime/AgentRuntime.js"
import * as Journal from "../../src/runtime/internal/journal.js"
import * as InMemorySessionStore from "../../src/sessions/InMemorySessionStore.js"
import * as JsonlSessionStore from "../../src/sessions/JsonlSessionStore.js"
import { type SessionStore, SessionStore as SessionStoreTag } from "../../src/sessions/SessionStore.js"
import * as SqliteSessionStore from "../../src/sessions/SqliteSessionStore.js"
import * as Skills from "../../src/skills/Skills.js"
import {
  agent as durableAgent,
  AGENT_ID,
  BATCH_NOTES,
  BATCH_SCRIPT,
  type ChildArgs,
  type ChildOutput,
  FINAL,
  INPUT,
  NOTE_CALL_ID,
  noteLine,
  PLAN,
  SCRIPT
} from "../support/durable-child.js"
import { captureWarnings } from "../support/sessions-fixtures.js"
import { type ChildRun as RunOf, projectRoot, runResultChild } from "../support/resultChild.js"

type StoreKind = "sqlite" | "jsonl"

const childSource = fileURLToPath(new URL("../support/durable-child.ts", import.meta.url))
const SESSION = "crash session"
const CONCURRENCY = 3
const MAX_CHILDREN = 6
const NOTE_TEXT = (PLAN.find((c) => c.name === "write_note")!.arguments as { text: string }).text

// ---------------------------------------------------------------------------------------------------------
// child processes
// ---------------------------------------------------------------------------------------------------------

let command: ReadonlyArray<string> = [process.execPath, "--import", "tsx", childSource]
let bundle: string | undefined

const bundleChild = async () => {
  try {
    const specifier = "esbuild"
    const esbuild = (await import(specifier)) as {
      build: (options: Record<string, unknown>) => Promise<unknown>
    }
    // inside the project so that the bundle finds better-sqlite3 (its native addon is not bundled)
    const out = path.join(projectRoot, "node_modules", ".cache", "openagents-tests", `durable-child-${process.pid}.mjs`)
    await esbuild.build({
      entryPoints: [childSource],
      outfile: out,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      external: ["better-sqlite3"],
      logLevel: "error",
      banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" }
    })
    bundle = out
    command = [process.execPath, out]
  } catch {
    // no esbuild: run the TypeScript source with tsx (slower, same behaviour)
  }
}

type ChildRun = RunOf<ChildOutput>

const CHILD_TIMEOUT_MS = 30_000

const runChild = (args: ChildArgs): Promise<ChildRun> => runResultChild<ChildOutput>(command, args, CHILD_TIMEOUT_MS)

// ---------------------------------------------------------------------------------------------------------
// looking at a store from the parent (the children are dead)
// ---------------------------------------------------------------------------------------------------------

const storePath = (kind: StoreKind, dir: string) => path.join(dir, kind === "sqlite" ? "sessions.db" : "sessions")

const withStore = <A>(
  kind: StoreKind,
  p: string,
  f: (store: SessionStore["Type"]) => Effect.Effect<A, unknown>,
  warnings?: ReturnType<typeof captureWarnings>
): Promise<A> => {
  const open = kind === "sqlite" ? SqliteSessionStore.make({ dbPath: p }) : JsonlSessionStore.make({ rootDir: p })
  const program = Effect.scoped(Effect.flatMap(open, f))
  return Effect.runPromise(warnings ? Effect.provide(program, warnings.layer) : program)
}

const encodeMessage = Schema.encodeSync(SessionMessage)

/** The session's messages without timestamps and run ids, and the run ids apart. */
const sessionMessages = (kind: StoreKind, p: string) =>
  withStore(kind, p, (store) =>
    Effect.map(store.loadMessages(SESSION), (messages) => {
      const encoded = messages.map((m) => encodeMessage(m))
      return {
        normalized: encoded.map(({ runId: _r, timestampMs: _t, ...rest }) => rest),
        runIds: encoded.map((m) => m.runId)
      }
    }))

/** The session state with the run id written as `<run>`. */
const sessionState = (kind: StoreKind, p: string, runId: string) =>
  withStore(kind, p, (store) =>
    Effect.map(store.getState(SESSION), (state) => JSON.parse(JSON.stringify(state).split(runId).join("<run>")) as unknown))

const latestCheckpoint = (kind: StoreKind, p: string, runId: string) =>
  withStore(kind, p, (store) =>
    Effect.map(store.listCheckpoints(SESSION), (all) => all.filter((c) => c.checkpointId.startsWith(`${runId}:step:`)).at(-1)?.checkpointId))

const persistedCount = (kind: StoreKind, p: string, runId: string) =>
  withStore(kind, p, (store) => Effect.map(store.loadMessages(SESSION), (all) => all.filter((m) => m.runId === runId).length))

/** Problems with the stored data; empty when every entry, row and line is whole and readable. */
const storageProblems = async (kind: StoreKind, p: string): Promise<Array<string>> => {
  const problems: Array<string> = []
  const warnings = captureWarnings()
  // every journal entry of every run decodes, and the run replays from it
  const loaded = await withStore(kind, p, (store) =>
    Effect.gen(function*() {
      let entries = 0
      for (const runId of yield* store.listJournaledRuns(SESSION)) {
        const journal = yield* store.loadJournal(SESSION, runId)
        entries += journal.length
        const replayed = Journal.replay(journal, Number.MAX_SAFE_INTEGER)
        if (Either.isLeft(replayed)) problems.push(`journal of ${runId} does not replay: ${replayed.left}`)
        const seqs = journal.map((e) => e.seq)
        if (new Set(seqs).size !== seqs.length) problems.push(`journal of ${runId} has a seq twice: ${seqs.join(",")}`)
      }
      const counts = {
        messages: (yield* store.loadMessages(SESSION)).length,
        checkpoints: (yield* store.listCheckpoints(SESSION)).length,
        artifacts: (yield* store.listArtifacts(SESSION)).length
      }
      yield* store.getState(SESSION)
      return { entries, ...counts }
    }), warnings)
  if (kind === "sqlite") {
    // the store skips (and logs) rows it cannot read: count the rows themselves too
    await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const sql = yield* SqliteClient.make({ filename: p }).pipe(Effect.provideServiceEffect(Reactivity.Reactivity, Reactivity.make))
      const [check] = yield* sql<{ integrity_check: string }>`PRAGMA integrity_check`
      if (check?.integrity_check !== "ok") problems.push(`integrity_check: ${check?.integrity_check}`)
      const count = (table: string) =>
        Effect.map(sql<{ n: number }>`SELECT COUNT(*) AS n FROM ${sql(table)}`, (rows) => Number(rows[0]!.n))
      for (
        const [table, expected] of [
          ["journal", loaded.entries],
          ["messages", loaded.messages],
          ["checkpoints", loaded.checkpoints],
          ["artifacts", loaded.artifacts]
        ] as const
      ) {
        const n = yield* count(table)
        if (n !== expected) problems.push(`${table}: ${n} rows, ${expected} read back`)
      }
      for (const row of yield* sql<{ body: string }>`SELECT body FROM session_state`) JSON.parse(row.body)
    })))
  } else {
    const files = fs.readdirSync(p).filter((f) => f.endsWith(".jsonl"))
    if (files.length !== 1) problems.push(`expected one session file, found ${files.join(", ")}`)
    for (const file of files) {
      const text = fs.readFileSync(path.join(p, file), "utf8")
      const lines = text.split("\n")
      const last = lines.pop()!
      if (last !== "" && !warnings.lines.some((w) => w.includes("torn last line"))) {
        problems.push(`${file}: a torn last line the store did not report: ${last.slice(0, 80)}`)
      }
      let journalLines = 0
      lines.forEach((line, i) => {
        if (line === "") return
        try {
          const record = JSON.parse(line) as { t?: string }
          if (record.t === "journal") journalLines++
        } catch (e) {
          problems.push(`${file}:${i + 1} does not parse: ${(e as Error).message}`)
        }
      })
      if (journalLines !== loaded.entries) problems.push(`${file}: ${journalLines} journal lines, ${loaded.entries} read back`)
    }
  }
  for (const w of warnings.lines) if (!w.includes("Took over the lock")) problems.push(`store warning: ${w}`)
  return problems
}

// ---------------------------------------------------------------------------------------------------------
// one kill point
// ---------------------------------------------------------------------------------------------------------

interface KillPoint {
  readonly store: StoreKind
  /** Kill after this store write (1-based), or inside write_note. */
  readonly at: number | "in-tool"
  /** The write the kill follows, as the baseline run named it. */
  readonly label: string
  /** The run killed: one tool call an answer (the default), or batches of concurrent calls. */
  readonly scenario?: "batch" | undefined
}

interface Outcome {
  readonly point: KillPoint
  readonly completed: boolean
  readonly finalRunId: string
  readonly steps: Array<string>
  readonly messages: Awaited<ReturnType<typeof sessionMessages>>
  readonly state: unknown
  readonly notes: ReadonlyArray<string>
  readonly problems: ReadonlyArray<string>
  /** Resumes that started while the session's memory already held the run's turn (an earlier attempt wrote it). */
  readonly resumedAfterMemory: number
}

const describePoint = (p: KillPoint) => `${p.store} ${p.at === "in-tool" ? "inside write_note" : `after write ${p.at} (${p.label})`}`

const runKillPoint = async (point: KillPoint, root: string, index: number): Promise<Outcome> => {
  const dir = fs.mkdtempSync(path.join(root, `k${index}-`))
  const p = storePath(point.store, dir)
  const notes = path.join(dir, "notes.txt")
  const base = { store: point.store, path: p, notes, sessionId: SESSION, ...(point.scenario ? { scenario: point.scenario } : {}) }
  const runId = `run-${index}`
  const steps: Array<string> = []

  const first = await runChild({
    ...base,
    runId,
    ...(point.at === "in-tool" ? { killInTool: true } : { killAfterWrite: point.at })
  })
  if (first.signal !== "SIGKILL") throw new Error(`${describePoint(point)}: the child was not killed\n${first.text}`)
  steps.push("killed")

  let currentRun = runId
  let restarts = 0
  let resumedAfterMemory = 0
  const rerun: Array<string> = []
  const assume: Record<string, unknown> = {}
  let completed = false
  for (let n = 0; n < MAX_CHILDREN && !completed; n++) {
    const checkpoint = await latestCheckpoint(point.store, p, currentRun)
    let run: ChildRun
    if (checkpoint === undefined) {
      // killed before the first checkpoint: nothing to resume, start the run again
      currentRun = `${runId}-again-${++restarts}`
      steps.push("restart")
      run = await runChild({ ...base, runId: currentRun })
    } else {
      const persisted = await persistedCount(point.store, p, currentRun)
      const remembered = JSON.stringify(await sessionState(point.store, p, currentRun)).includes("<run>")
      if (remembered) resumedAfterMemory++
      const remarks = [
        ...(persisted > 0 ? [`${persisted} messages of the run already in the session`] : []),
        ...(remembered ? ["its memory turn already written"] : [])
      ]
      steps.push(`resume ${checkpoint.slice(currentRun.length + 1)}${remarks.length > 0 ? ` [${remarks.join(", ")}]` : ""}`)
      run = await runChild({ ...base, resumeFrom: checkpoint, rerun, assume })
    }
    if (run.code !== 0 || !run.output) throw new Error(`${describePoint(point)}: the child failed\n${run.text}`)
    const result = run.output.result
    if (result.runId !== currentRun) throw new Error(`${describePoint(point)}: resumed as ${result.runId}, not ${currentRun}`)
    if (result.stopReason === "completed") {
      completed = result.finalOutput === FINAL
      steps.push("completed")
      break
    }
    if (result.error?.tag !== "ToolOutcomeUnknown") {
      throw new Error(`${describePoint(point)}: the resumed run stopped with ${result.stopReason}: ${JSON.stringify(result.error)}`)
    }
    // the human's decision: did the side effect happen?
    const callId = /\(call (\S+)\)/.exec(result.error.message)?.[1]
    if (!callId) throw new Error(`no call id in ${result.error.message}`)
    const written = fs.existsSync(notes) ? fs.readFileSync(notes, "utf8").split("\n").filter((l) => l.startsWith(`${callId} `)) : []
    if (written.length > 0) {
      assume[callId] = { written: written[0] }
      steps.push(`ToolOutcomeUnknown ${callId}: note present → assume`)
    } else {
      rerun.push(callId)
      steps.push(`ToolOutcomeUnknown ${callId}: note absent → rerun`)
    }
  }

  const outcome: Outcome = {
    point,
    completed,
    finalRunId: currentRun,
    steps,
    messages: await sessionMessages(point.store, p),
    state: await sessionState(point.store, p, currentRun),
    notes: fs.existsSync(notes) ? fs.readFileSync(notes, "utf8").split("\n").filter((l) => l !== "") : [],
    problems: await storageProblems(point.store, p),
    resumedAfterMemory
  }
  fs.rmSync(dir, { recursive: true, force: true })
  return outcome
}

const pool = async <A, B>(items: ReadonlyArray<A>, n: number, f: (a: A, i: number) => Promise<B>): Promise<Array<B>> => {
  const out: Array<B> = new Array(items.length)
  let next = 0
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await f(items[i]!, i)
    }
  }))
  return out
}

// ---------------------------------------------------------------------------------------------------------

let root: string
let baseline: {
  writes: ReadonlyArray<string>
  messages: Awaited<ReturnType<typeof sessionMessages>>["normalized"]
  state: unknown
}
let outcomes: ReadonlyArray<Outcome> = []

const sameMessages = (o: Outcome) =>
  JSON.stringify(o.messages.normalized) === JSON.stringify(baseline.messages) &&
  o.messages.runIds.every((r) => r === o.finalRunId)

const sameMemory = (o: Outcome) => JSON.stringify(o.state) === JSON.stringify(baseline.state)

const explain = (o: Outcome) =>
  `${describePoint(o.point)}: ${o.steps.join(" → ")}\nmessages: ${JSON.stringify(o.messages)}\nstate: ${JSON.stringify(o.state)}`

describe("durable runs survive SIGKILL at every store write", () => {
  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "oa-crash-"))
    await bundleChild()

    // the uninterrupted run, on both stores: its writes are the kill points
    const baselines = await Promise.all((["sqlite", "jsonl"] as const).map(async (store) => {
      const dir = fs.mkdtempSync(path.join(root, `baseline-${store}-`))
      const p = storePath(store, dir)
      const run = await runChild({ store, path: p, notes: path.join(dir, "notes.txt"), sessionId: SESSION, runId: "baseline" })
      if (run.code !== 0 || run.output?.result.stopReason !== "completed") throw new Error(`baseline failed\n${run.text}`)
      return {
        writes: run.output.writes,
        messages: (await sessionMessages(store, p)).normalized,
        state: await sessionState(store, p, "baseline")
      }
    }))
    assert.deepStrictEqual(baselines[1]!.writes, baselines[0]!.writes, "both stores see the same writes")
    assert.deepStrictEqual(baselines[1]!.messages, baselines[0]!.messages)
    baseline = baselines[0]!

    const points: Array<KillPoint> = []
    baseline.writes.forEach((label, i) => {
      // alternate the stores so that the concurrent children mix them
      const order: ReadonlyArray<StoreKind> = i % 2 === 0 ? ["sqlite", "jsonl"] : ["jsonl", "sqlite"]
      for (const store of order) points.push({ store, at: i + 1, label })
    })
    points.push({ store: "sqlite", at: "in-tool", label: "inside write_note" })
    points.push({ store: "jsonl", at: "in-tool", label: "inside write_note" })

    const started = Date.now()
    outcomes = await pool(points, CONCURRENCY, (point, i) => runKillPoint(point, root, i))
    const lines = outcomes.map((o) => `  ${describePoint(o.point).padEnd(58)} ${o.steps.join(" → ")}`)
    console.log(
      `durable crash test: ${outcomes.length} kill points tried (${baseline.writes.length} store writes × 2 stores + ` +
        `a kill inside write_note on each store) in ${((Date.now() - started) / 1000).toFixed(1)} s\n${lines.join("\n")}`
    )
  }, 240_000)

  afterAll(() => {
    if (root) fs.rmSync(root, { recursive: true, force: true })
  })

  it("the uninterrupted run: five answers (one after a scripted rate limit), four tools, its note written once", () => {
    assert.strictEqual(SCRIPT.filter((s) => s.error).length, 1)
    // one write a step: each model answer and tool result goes out with its checkpoint, both or neither
    const steps = baseline.writes.filter((w) => /^appendJournal:.*\b(model|tool)\b/.test(w.split(";")[0]!))
    assert.isAtLeast(steps.length, 1 + 2 * PLAN.length, baseline.writes.join(", "))
    for (const w of steps) assert.match(w, /;saveCheckpoint:baseline:step:\d+$/)
    assert.deepStrictEqual(baseline.messages.map((m) => (m.message as { _tag: string })._tag), [
      "user",
      ...PLAN.flatMap(() => ["assistant", "tool"]),
      "assistant"
    ])
  })

  // with a mock whose script position was a counter of the process, the resumed process played the
  // script from its first step again: the transcript diverged and write_note ran a second time
  it("a scripted mock: a run killed mid-run in one process and resumed in another gives the uninterrupted transcript", () => {
    // tool results in the journal: step's, then write_note's; kill after the write that follows the latter
    // (an idempotent tool's start and result go out in one write; write_note's start is written first)
    const results = baseline.writes.flatMap((w, i) =>
      w.startsWith("appendJournal:") && w.slice("appendJournal:".length).split(";")[0]!.split(",").includes("tool") ? [i] : []
    )
    const mid = outcomes.filter((o) => o.point.at === results[1]! + 2)
    assert.strictEqual(mid.length, 2, `the kill point after write_note's result and the next write, on both stores: ${baseline.writes.join(", ")}`)
    for (const o of mid) {
      assert.isTrue(o.completed, explain(o))
      assert.isTrue(sameMessages(o), explain(o))
      assert.deepStrictEqual(o.notes, [noteLine(NOTE_CALL_ID, NOTE_TEXT)], explain(o))
    }
  })

  it("every kill point: the run completes, the note is written exactly once, no store is corrupt", () => {
    assert.strictEqual(outcomes.length, baseline.writes.length * 2 + 2)
    for (const o of outcomes) {
      const where = `${describePoint(o.point)}: ${o.steps.join(" → ")}`
      assert.isTrue(o.completed, `${where}: did not complete`)
      assert.deepStrictEqual(o.notes, [noteLine(NOTE_CALL_ID, NOTE_TEXT)], `${where}: notes`)
      assert.deepStrictEqual(o.problems, [], where)
    }
  })

  it("every kill point: the session's messages are those of the uninterrupted run, once", () => {
    for (const o of outcomes) assert.isTrue(sameMessages(o), explain(o))
  })

  it("every kill point: the session's memory is that of the uninterrupted run", () => {
    for (const o of outcomes) assert.isTrue(sameMemory(o), explain(o))
  })

  // a process killed after the run's last write (its memory) is resumed and completes again: memory
  // writeback replaces the run's turn rather than adding it twice
  it("kill points resumed after the run's memory was written: memory holds the run's turn once", () => {
    const affected = outcomes.filter((o) => o.resumedAfterMemory > 0)
    assert.isAbove(affected.length, 0)
    for (const o of affected) assert.isTrue(sameMemory(o), explain(o))
  })

  // Reported as a defect of the runtime ("a kill between the messages write and the memory write leaves
  // a completed run without its memory turn"; the fix belongs there): a process killed after the run's
  // messages are stored and before window_buffer's memory turn is, then resumed, must still leave the
  // session's memory with the run's turn. The run and its messages are checked first, so that this test
  // fails only for the memory.
  it("a kill between the run's messages write and its memory write, then a resume: the session's memory holds the run's turn", () => {
    const messagesWrite = baseline.writes.lastIndexOf("appendMessages")
    const memoryWrite = baseline.writes.lastIndexOf("setState")
    assert.isAtLeast(messagesWrite, 0, baseline.writes.join(", "))
    assert.isAtLeast(memoryWrite, 0, baseline.writes.join(", "))
    // kill after write k (1-based) for every k from the earlier of the two writes up to, not including, the later
    const between = outcomes.filter((o) =>
      typeof o.point.at === "number" &&
      o.point.at >= Math.min(messagesWrite, memoryWrite) + 1 &&
      o.point.at < Math.max(messagesWrite, memoryWrite) + 1
    )
    assert.isAtLeast(between.length, 2, "a kill point between the two writes, on each store")
    const turn = { runId: "<run>", input: INPUT, output: FINAL, stopReason: "completed" }
    assert.deepStrictEqual((baseline.state as Record<string, unknown>)["memory_buffer"], [turn])
    for (const o of between) {
      assert.isTrue(o.completed, explain(o))
      assert.isTrue(sameMessages(o), explain(o))
      assert.deepStrictEqual((o.state as Record<string, unknown>)["memory_buffer"], [turn], `the run's memory turn: ${explain(o)}`)
      assert.isTrue(sameMemory(o), explain(o))
    }
  })
})

// the child's bundle serves every describe of the file
afterAll(() => {
  if (bundle) fs.rmSync(bundle, { force: true })
})

// the calls of one answer run at the same time (two write_note calls among them): a kill while some have
// ended and others run leaves a half-finished batch, which the resume settles call by call
describe("durable runs with concurrent tool calls survive SIGKILL at every store write", () => {
  let batchRoot: string
  let batchBaseline: { writes: ReadonlyArray<string>; messages: Awaited<ReturnType<typeof sessionMessages>>["normalized"] }
  let batchOutcomes: ReadonlyArray<Outcome> = []

  beforeAll(async () => {
    batchRoot = fs.mkdtempSync(path.join(os.tmpdir(), "oa-crash-batch-"))
    if (!bundle || !fs.existsSync(bundle)) await bundleChild()
    const baselines = await Promise.all((["sqlite", "jsonl"] as const).map(async (store) => {
      const dir = fs.mkdtempSync(path.join(batchRoot, `baseline-${store}-`))
      const p = storePath(store, dir)
      const notes = path.join(dir, "notes.txt")
      const run = await runChild({ store, path: p, notes, sessionId: SESSION, runId: "baseline", scenario: "batch" })
      if (run.code !== 0 || run.output?.result.stopReason !== "completed") throw new Error(`baseline failed\n${run.text}`)
      assert.deepStrictEqual(fs.readFileSync(notes, "utf8").split("\n").filter((l) => l !== "").sort(), [...BATCH_NOTES].sort())
      return { writes: run.output.writes, messages: (await sessionMessages(store, p)).normalized }
    }))
    assert.deepStrictEqual(baselines[1]!.messages, baselines[0]!.messages)
    batchBaseline = baselines[0]!
    const points: Array<KillPoint> = []
    for (const store of ["sqlite", "jsonl"] as const) {
      const writes = baselines[store === "sqlite" ? 0 : 1]!.writes
      writes.forEach((label, i) => points.push({ store, at: i + 1, label, scenario: "batch" }))
      points.push({ store, at: "in-tool", label: "inside write_note", scenario: "batch" })
    }
    batchOutcomes = await pool(points, CONCURRENCY, (point, i) => runKillPoint(point, batchRoot, i))
    console.log(
      `durable crash test, concurrent calls: ${batchOutcomes.length} kill points\n` +
        batchOutcomes.map((o) => `  ${describePoint(o.point).padEnd(58)} ${o.steps.join(" → ")}`).join("\n")
    )
  }, 240_000)

  afterAll(() => {
    if (batchRoot) fs.rmSync(batchRoot, { recursive: true, force: true })
  })

  it("the uninterrupted run: two answers of concurrent calls, in the model's order in the session", () => {
    assert.strictEqual(BATCH_SCRIPT.filter((s) => s.toolCalls !== undefined && s.toolCalls.length > 1).length, 2)
    assert.deepStrictEqual(batchBaseline.messages.map((m) => (m.message as { _tag: string })._tag), [
      "user", "assistant", "tool", "tool", "tool", "assistant", "tool", "tool", "assistant"
    ])
    const ids = batchBaseline.messages.flatMap((m) => {
      const message = m.message as { _tag: string; toolCallId?: string }
      return message._tag === "tool" ? [message.toolCallId] : []
    })
    assert.deepStrictEqual(ids, ["call_0_0", "call_0_1", "call_0_2", "call_1_0", "call_1_1"])
  })

  it("every kill point: the run completes with the uninterrupted transcript, each note written exactly once, no store corrupt", () => {
    assert.isAbove(batchOutcomes.length, 10)
    for (const o of batchOutcomes) {
      const where = `${describePoint(o.point)}: ${o.steps.join(" → ")}`
      assert.isTrue(o.completed, `${where}: did not complete`)
      assert.deepStrictEqual([...o.notes].sort(), [...BATCH_NOTES].sort(), `${where}: notes`)
      assert.deepStrictEqual(o.problems, [], where)
      assert.strictEqual(JSON.stringify(o.messages.normalized), JSON.stringify(batchBaseline.messages), where)
      assert.isTrue(o.messages.runIds.every((r) => r === o.finalRunId), where)
    }
  })
})

describe("resuming a run whose earlier attempt persisted, in one process", () => {
  const services = Layer.mergeAll(InMemorySessionStore.layer, EventBus.layer(), Skills.layerNone)
  const request = { agentId: AGENT_ID, sessionId: SESSION, inputText: INPUT, durable: true }
  const inTempDir = async (f: (notes: string) => Effect.Effect<void, unknown, SessionStore | EventBus.EventBus | Skills.Skills | Scope.Scope>) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "oa-crash-inproc-"))
    try {
      await Effect.runPromise(Effect.scoped(f(path.join(dir, "notes.txt"))).pipe(Effect.provide(services)))
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
  const lastCheckpoint = (store: SessionStore["Type"]) =>
    Effect.map(store.listCheckpoints(SESSION), (all) => all.at(-1)!.checkpointId)
  const transcriptTags = ["user", ...PLAN.flatMap(() => ["assistant", "tool"]), "assistant"]

  it("cancelled inside write_note, resumed with assume: the session holds the run's messages once", () =>
    inTempDir((notes) =>
      Effect.gen(function*() {
        const store = yield* SessionStoreTag
        const hanging = yield* AgentRuntime.make({ agents: [durableAgent(notes, { hangInTool: true })] })
        const normal = yield* AgentRuntime.make({ agents: [durableAgent(notes)] })
        const first = yield* Effect.fork(hanging.runDetailed({ ...request, runId: "r" }))
        // wait until write_note has started (and written its note), then cancel the run
        yield* Effect.repeat(
          Effect.map(store.loadJournal(SESSION, "r"), (entries) =>
            entries.some((e) => e.kind === "tool_started" && (e.payload as { callId?: string }).callId === NOTE_CALL_ID)),
          { until: (started) => started, schedule: Schedule.spaced("5 millis") }
        )
        assert.isTrue(yield* hanging.cancel("r"))
        assert.strictEqual((yield* Fiber.join(first)).stopReason, "cancelled")
        assert.isAbove((yield* store.loadMessages(SESSION)).length, 0, "the cancelled run stored its messages so far")
        const resumed = yield* normal.runDetailed({
          ...request,
          resumeFromCheckpoint: yield* lastCheckpoint(store),
          contextHints: { durable: { assume: { [NOTE_CALL_ID]: { written: noteLine(NOTE_CALL_ID, NOTE_TEXT) } } } }
        })
        assert.strictEqual(resumed.stopReason, "completed")
        assert.deepStrictEqual((yield* store.loadMessages(SESSION)).map((m) => m.message._tag), transcriptTags)
        assert.deepStrictEqual(fs.readFileSync(notes, "utf8"), noteLine(NOTE_CALL_ID, NOTE_TEXT) + "\n")
      })
    ))

  it("a completed run resumed from its last checkpoint keeps one memory turn", () =>
    inTempDir((notes) =>
      Effect.gen(function*() {
        const store = yield* SessionStoreTag
        const runtime = yield* AgentRuntime.make({ agents: [durableAgent(notes)] })
        assert.strictEqual((yield* runtime.runDetailed({ ...request, runId: "r" })).stopReason, "completed")
        const again = yield* runtime.runDetailed({ ...request, resumeFromCheckpoint: yield* lastCheckpoint(store) })
        assert.strictEqual(again.stopReason, "completed")
        assert.deepStrictEqual((yield* store.loadMessages(SESSION)).map((m) => m.message._tag), transcriptTags)
        const turns = (yield* store.getState(SESSION))["memory_buffer"] as ReadonlyArray<unknown>
        assert.strictEqual(turns.length, 1, JSON.stringify(turns))
      })
    ))

  it("a run resumed after it persisted saves its artifacts once", () =>
    inTempDir((notes) =>
      Effect.gen(function*() {
        const store = yield* SessionStoreTag
        const withArtifact = Pattern.of({
          name: "react-with-artifact",
          execute: (run) =>
            Effect.zipRight(
              run.addArtifact(new RunArtifact({ name: "plan", kind: "text", payload: "four calls", metadata: {} })),
              React.make.execute(run)
            )
        })
        const runtime = yield* AgentRuntime.make({
          agents: [{ ...durableAgent(notes), pattern: Layer.succeed(Pattern, withArtifact) }]
        })
        assert.strictEqual((yield* runtime.runDetailed({ ...request, runId: "r" })).stopReason, "completed")
        assert.strictEqual((yield* store.listArtifacts(SESSION)).length, 1)
        const again = yield* runtime.runDetailed({ ...request, resumeFromCheckpoint: yield* lastCheckpoint(store) })
        assert.strictEqual(again.stopReason, "completed")
        assert.strictEqual((yield* store.listArtifacts(SESSION)).length, 1)
      })
    ))
})
