/**
 * Stopping a runner well: two runner processes (`openagents runner`, real child processes) on one
 * PostgreSQL, runs in flight on both, one runner stopped with SIGTERM.
 *
 * - With the default drain timeout, each of its runs finishes there (its transcript that of an
 *   uninterrupted run, its row never moved), runs submitted meanwhile to its sessions run on the other
 *   runner (after the session's run in flight, in order), and it exits 0 once its runs have finished.
 * - With a drain timeout of 1 s and longer runs: it leaves at the timeout (exit 0); its durable runs in
 *   flight are resumed by the other runner from their journal and complete, each call run once; its
 *   non-durable runs in flight end `cancelled`.
 * - A second signal during the drain leaves at once, as the timeout would.
 *
 * Sequencing polls the runs table, the session store and the runners' output; no assertion on durations.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as ClusterClient from "../../src/cluster/ClusterClient.js"
import { settingsOf } from "../../src/config/ClusterConfig.js"
import type { RunResult } from "../../src/kernel/Run.js"
import * as PostgresSessionStore from "../../src/sessions/PostgresSessionStore.js"
import { SessionStore } from "../../src/sessions/SessionStore.js"
import {
  basePort,
  createDatabase,
  query,
  resources,
  type RunnerProcess,
  startRunner,
  waitForRunners,
  writeConfig
} from "./support.js"

const { databases, runners, scope } = resources()

interface Row {
  readonly run_id: string
  readonly session_id: string
  readonly runner: string
  readonly status: string
  readonly attempts: number
  readonly durable: boolean
}

const rowsOf = (url: string) =>
  query<Row>(url, "SELECT run_id, session_id, runner, status, attempts, durable FROM openagents_cluster_runs")

/** Polls `check` every 100 ms until it holds (a generous bound only against a hang). */
const until = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 180_000) => {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** The exit code of a runner process, once it has exited. */
const exitOf = (r: RunnerProcess) =>
  new Promise<number | null>((resolve) => {
    if (r.child.exitCode !== null || r.child.signalCode !== null) resolve(r.child.exitCode)
    else r.child.once("exit", (code) => resolve(code))
  })

const log = (text: string) => process.env["DRAIN_DEBUG"] ? process.stderr.write(`[drain ${new Date().toISOString()}] ${text}\n`) : undefined

const addressOf = (r: RunnerProcess) => `127.0.0.1:${r.port}`

/** A fresh database, two runners on it, a client and the session store in this process. */
const cluster = async (options: { readonly delayMs: number; readonly drainTimeoutMs?: number }) => {
  const db = await createDatabase()
  databases.push(db.name)
  const config = writeConfig({ url: db.url, ...options })
  const port = basePort()
  const pair = [startRunner(config.file, port), startRunner(config.file, port + 1)]
  runners.push(...pair)
  await Promise.all(pair.map((r) => r.ready))
  await waitForRunners(db.url, 2)
  const settings = settingsOf(config.config)
  if (!("url" in settings)) throw settings
  const client = Context.get(await Effect.runPromise(Layer.buildWithScope(ClusterClient.layer(settings), scope)), ClusterClient.ClusterClient)
  const store = Context.get(
    await Effect.runPromise(Layer.buildWithScope(PostgresSessionStore.layer({ url: db.url, schema: "sessions" }), scope)),
    SessionStore
  )
  const noteCount = (runId: string) => config.noteLines().filter((line) => line.startsWith(`${runId} `)).length
  return { db, pair, client, store, noteCount }
}

interface Submitted {
  readonly session: string
  readonly index: number
  readonly runId: string
  readonly durable: boolean
  readonly outcome: Promise<Either.Either<RunResult, { readonly reason: string; readonly message: string }>>
}

const submit = (
  client: ClusterClient.Service,
  session: string,
  index: number,
  durable: boolean
): Submitted => {
  const runId = `${session}-r${index}-${crypto.randomUUID().slice(0, 8)}`
  return {
    session,
    index,
    runId,
    durable,
    outcome: Effect.runPromise(Effect.either(
      client.runDetailed({ agentId: "worker", sessionId: session, runId, inputText: `${session} run ${index}`, durable })
    ))
  }
}

const resultOf = async (s: Submitted): Promise<RunResult> => {
  const outcome = await s.outcome
  if (Either.isLeft(outcome)) assert.fail(`${s.runId}: ClusterRunError (${outcome.left.reason}) ${outcome.left.message}`)
  return (outcome as Either.Right<never, RunResult>).right
}

/** Whether each run has a checkpoint past its first step (a runner taking it over resumes from there). */
const stepDone = async (store: SessionStore["Type"], runs: ReadonlyArray<Submitted>): Promise<boolean> => {
  for (const s of runs) {
    const checkpoints = await Effect.runPromise(store.listCheckpoints(s.session))
    if (!checkpoints.some((c) => c.checkpointId.startsWith(`${s.runId}:step:`))) return false
  }
  return true
}

/** An uninterrupted run's messages: a session's first run makes one more tool call (see support.ts). */
const turnOf = (index: number) =>
  index === 0 ? ["user", "assistant", "tool", "assistant", "tool", "assistant"] : ["user", "assistant", "tool", "assistant"]

describe("cluster: stopping a runner (drain)", () => {
  it("SIGTERM: its runs in flight finish there, runs submitted meanwhile run on the other runner, it exits 0", async () => {
    const { client, db, noteCount, pair, store } = await cluster({ delayMs: 1500 })
    const SESSIONS = 8
    const first = Array.from({ length: SESSIONS }, (_, s) => submit(client, `s${s}`, 0, s % 2 === 0))
    await until("every first run taken", async () => (await rowsOf(db.url)).filter((r) => r.status === "running").length === SESSIONS)
    const taken = await rowsOf(db.url)
    const count = (r: RunnerProcess) => taken.filter((row) => row.runner === addressOf(r)).length
    const victim = count(pair[0]!) >= count(pair[1]!) ? pair[0]! : pair[1]!
    const other = victim === pair[0] ? pair[1]! : pair[0]!
    const victimRuns = first.filter((s) => taken.some((row) => row.run_id === s.runId && row.runner === addressOf(victim)))
    assert.isAtLeast(victimRuns.length, 1)

    log(`victim ${addressOf(victim)}: ${victimRuns.map((s) => s.runId).join(" ")}`)
    victim.child.kill("SIGTERM")
    await until("the drain to begin", () => victim.output.includes("draining"))
    // the victim's runs have not finished yet: a second run on each of its sessions, and runs on new sessions
    const stillRunning = (await rowsOf(db.url)).filter((r) => r.runner === addressOf(victim) && r.status === "running")
    assert.isAtLeast(stillRunning.length, 1, `runs in flight when the drain began:\n${victim.output}`)
    const second = victimRuns.map((s) => submit(client, s.session, 1, s.durable))
    const fresh = Array.from({ length: 4 }, (_, i) => submit(client, `new${i}`, 0, true))

    log("second wave submitted")
    const code = await exitOf(victim)
    log(`victim exited ${code}:\n${victim.output}`)
    assert.strictEqual(code, 0, victim.output)
    // it exited once its runs had finished: each of them finished there, never taken by another runner
    const afterExit = await rowsOf(db.url)
    for (const s of victimRuns) {
      const row = afterExit.find((r) => r.run_id === s.runId)!
      assert.deepStrictEqual(
        { status: row.status, runner: row.runner, attempts: row.attempts },
        { status: "finished", runner: addressOf(victim), attempts: 1 },
        s.runId
      )
    }
    const drained = /SIGTERM: draining (\d+) runs? \(up to 30 s\)/.exec(victim.output)
    assert.isNotNull(drained, victim.output)
    assert.strictEqual(Number(drained![1]), victimRuns.length, victim.output)
    assert.include(victim.output, `left the cluster: ${victimRuns.length} run${victimRuns.length === 1 ? "" : "s"} finished`)
    assert.notInclude(victim.output, "left running")

    const all = [...first, ...second, ...fresh]
    const results = new Map<string, RunResult>()
    for (const s of all) {
      log(`waiting for ${s.runId}`)
      results.set(s.runId, await resultOf(s))
    }
    const rows = await rowsOf(db.url)
    for (const s of all) {
      const r = results.get(s.runId)!
      assert.strictEqual(r.stopReason, "completed", `${s.runId}: ${r.error?.message}`)
      assert.strictEqual(r.finalOutput, "done")
      assert.strictEqual(noteCount(s.runId), 1, `${s.runId}: its note ran once`)
    }
    // runs submitted during the drain ran on the other runner, none of them taken by the draining one
    for (const s of [...second, ...fresh]) {
      assert.strictEqual(rows.find((r) => r.run_id === s.runId)?.runner, addressOf(other), s.runId)
    }
    // transcripts: each run's messages are an uninterrupted run's, a session's runs in submission order
    for (let i = 0; i < SESSIONS; i++) {
      const session = `s${i}`
      const messages = await Effect.runPromise(store.loadMessages(session))
      const runs = all.filter((s) => s.session === session)
      const users = messages.filter((m) => m.message._tag === "user").map((m) => (m.message as { content: string }).content)
      assert.deepStrictEqual(users, runs.map((s) => `${session} run ${s.index}`), `session ${session}: runs in order, each once`)
      for (const s of runs) {
        const own = messages.filter((m) => m.runId === s.runId).map((m) => m.message._tag)
        assert.deepStrictEqual(own, turnOf(s.index), `transcript of ${s.runId}`)
      }
    }
    assert.strictEqual(other.child.exitCode, null, "the other runner runs on")
    console.log(
      `cluster drain: ${victimRuns.length} runs finished on the drained runner, ${second.length + fresh.length} submitted ` +
        `during the drain ran on the other\n${victim.output}`
    )
  }, 400_000)

  it("drain timeout (1 s): durable runs in flight resume on the other runner, non-durable ones end cancelled", async () => {
    const { client, db, noteCount, pair, store } = await cluster({ delayMs: 2500, drainTimeoutMs: 1000 })
    const runs = [
      ...Array.from({ length: 3 }, (_, i) => submit(client, `d${i}`, 0, true)),
      ...Array.from({ length: 3 }, (_, i) => submit(client, `n${i}`, 0, false))
    ]
    await until("every run taken", async () => (await rowsOf(db.url)).filter((r) => r.status === "running").length === runs.length)
    const taken = await rowsOf(db.url)
    const on = (r: RunnerProcess, durable: boolean) =>
      runs.filter((s) => s.durable === durable && taken.some((row) => row.run_id === s.runId && row.runner === addressOf(r)))
    // the victim: a runner with a durable run in flight, and a non-durable one when it can
    const score = (r: RunnerProcess) => (on(r, true).length > 0 ? 2 : 0) + (on(r, false).length > 0 ? 1 : 0)
    const victim = score(pair[0]!) >= score(pair[1]!) ? pair[0]! : pair[1]!
    const other = victim === pair[0] ? pair[1]! : pair[0]!
    const durable = on(victim, true)
    const nonDurable = on(victim, false)
    assert.isAtLeast(durable.length, 1)
    // its durable runs have a checkpoint past their first step: the other runner resumes from it
    await until("a step done by each durable run of the victim", () => stepDone(store, durable))

    victim.child.kill("SIGTERM")
    const code = await exitOf(victim)
    assert.strictEqual(code, 0, victim.output)
    assert.match(victim.output, /SIGTERM: draining \d+ runs? \(up to 1 s\)/)
    assert.include(victim.output, `${durable.length} durable left running`)

    for (const s of durable) {
      const r = await resultOf(s)
      assert.strictEqual(r.stopReason, "completed", `${s.runId}: ${r.error?.message}`)
      assert.strictEqual(r.finalOutput, "done")
      assert.strictEqual(noteCount(s.runId), 1, `${s.runId}: its note ran once`)
      const own = (await Effect.runPromise(store.loadMessages(s.session))).filter((m) => m.runId === s.runId).map((m) => m.message._tag)
      assert.deepStrictEqual(own, turnOf(0), `transcript of ${s.runId}`)
    }
    for (const s of nonDurable) {
      const r = await resultOf(s)
      assert.strictEqual(r.stopReason, "cancelled", `${s.runId}: ${r.error?.message}`)
    }
    for (const s of runs.filter((s) => !durable.includes(s) && !nonDurable.includes(s))) {
      const r = await resultOf(s)
      assert.strictEqual(r.stopReason, "completed", `${s.runId}: ${r.error?.message}`)
    }
    const rows = await rowsOf(db.url)
    for (const s of durable) {
      const row = rows.find((r) => r.run_id === s.runId)!
      assert.strictEqual(row.runner, addressOf(other), `${s.runId} resumed on the other runner`)
      assert.strictEqual(row.attempts, 2, `${s.runId} taken twice`)
    }
    console.log(
      `cluster drain timeout: ${durable.length} durable runs resumed elsewhere, ${nonDurable.length} non-durable cancelled\n${victim.output}`
    )
  }, 400_000)

  it("a second signal during the drain leaves at once: its durable runs resume on the other runner", async () => {
    const { client, db, noteCount, pair, store } = await cluster({ delayMs: 2500 })
    const runs = Array.from({ length: 4 }, (_, i) => submit(client, `d${i}`, 0, true))
    await until("every run taken", async () => (await rowsOf(db.url)).filter((r) => r.status === "running").length === runs.length)
    const taken = await rowsOf(db.url)
    const on = (r: RunnerProcess) => runs.filter((s) => taken.some((row) => row.run_id === s.runId && row.runner === addressOf(r)))
    const victim = on(pair[0]!).length >= on(pair[1]!).length ? pair[0]! : pair[1]!
    const other = victim === pair[0] ? pair[1]! : pair[0]!
    const durable = on(victim)
    await until("a step done by each run of the victim", () => stepDone(store, durable))

    victim.child.kill("SIGTERM")
    await until("the drain to begin", () => victim.output.includes("draining"))
    assert.match(victim.output, /SIGTERM: draining \d+ runs? \(up to 30 s\)/)
    victim.child.kill("SIGINT")
    const code = await exitOf(victim)
    assert.strictEqual(code, 0, victim.output)
    assert.include(victim.output, "SIGINT: leaving at once")
    assert.include(victim.output, `${durable.length} durable left running`)

    for (const s of runs) {
      const r = await resultOf(s)
      assert.strictEqual(r.stopReason, "completed", `${s.runId}: ${r.error?.message}`)
      assert.strictEqual(noteCount(s.runId), 1, `${s.runId}: its note ran once`)
    }
    const rows = await rowsOf(db.url)
    for (const s of durable) {
      const row = rows.find((r) => r.run_id === s.runId)!
      assert.deepStrictEqual({ runner: row.runner, attempts: row.attempts }, { runner: addressOf(other), attempts: 2 }, s.runId)
    }
  }, 400_000)
})
