/**
 * The cluster benchmark (`npm run bench:cluster`; needs PostgreSQL, OPENAGENTS_TEST_PG_URL): real
 * runner processes (`openagents runner`) on a fresh database each, a client in this process.
 *
 * 1. Throughput with 1, 2 and 3 runners on simulated model latency (the mock answers after `DELAY_MS`,
 *    three answers a run), each runner limited to `MAX_RUNS` runs at a time: runs per second, as a ratio
 *    to one runner (target: 3 runners ≥ 2.5x). Two measures: `RUNS` runs submitted at once, timed to the
 *    last (the makespan: the busiest runner's share, by the hash of the session ids, sets it), and a
 *    steady load of `CLIENTS` clients each submitting one run after another, each to a new session, for
 *    `SECONDS` (runs finished per second once every runner is kept busy).
 * 2. Failover: three runners, durable runs in flight, one SIGKILLed: the time from its death to the
 *    first and to the last of its runs resuming on a survivor (target < 10 s).
 *
 * Figures are ratios and durations of this machine; nothing is asserted.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as ClusterClient from "../src/cluster/ClusterClient.js"
import { type ClusterSettings, settingsOf } from "../src/config/ClusterConfig.js"
import {
  basePort,
  createDatabase,
  dropDatabase,
  killAll,
  query,
  type RunnerProcess,
  startRunner,
  waitForRunners,
  writeConfig
} from "../test/cluster/support.js"

const DELAY_MS = Number(process.env["DELAY_MS"] ?? 100)
const MAX_RUNS = Number(process.env["MAX_RUNS"] ?? 8)
const RUNS = Number(process.env["RUNS"] ?? 240)
const CLIENTS = Number(process.env["CLIENTS"] ?? 6 * MAX_RUNS)
const SECONDS = Number(process.env["SECONDS"] ?? 20)

const cluster = async <A>(
  runnerCount: number,
  options: { readonly delayMs: number },
  body: (ctx: { client: ClusterClient.Service; url: string; runners: ReadonlyArray<RunnerProcess> }) => Promise<A>
): Promise<A> => {
  const db = await createDatabase()
  const { file, config } = writeConfig({ url: db.url, delayMs: options.delayMs, maxConcurrentRuns: MAX_RUNS })
  const port = basePort()
  const runners = Array.from({ length: runnerCount }, (_, i) => startRunner(file, port + i))
  const scope = Effect.runSync(Scope.make())
  try {
    await Promise.all(runners.map((r) => r.ready))
    await waitForRunners(db.url, runnerCount)
    const settings = settingsOf(config) as ClusterSettings
    const context = await Effect.runPromise(Layer.buildWithScope(ClusterClient.layer(settings), scope))
    return await body({ client: Context.get(context, ClusterClient.ClusterClient), url: db.url, runners })
  } finally {
    killAll(runners)
    await Effect.runPromise(Scope.close(scope, Exit.void))
    await dropDatabase(db.name).catch(() => undefined)
  }
}

const throughput = (runnerCount: number) =>
  cluster(runnerCount, { delayMs: DELAY_MS }, async ({ client }) => {
    const run = (i: number) =>
      client.runDetailed({ agentId: "worker", sessionId: `t${i}`, inputText: `run ${i}`, durable: true })
    // warm up: every runner loads the agent once
    await Effect.runPromise(Effect.forEach(Array.from({ length: 12 }, (_, i) => i), (i) => run(10_000 + i), { concurrency: "unbounded" }))
    const start = performance.now()
    const results = await Effect.runPromise(
      Effect.forEach(Array.from({ length: RUNS }, (_, i) => i), run, { concurrency: "unbounded" })
    )
    const seconds = (performance.now() - start) / 1000
    const completed = results.filter((r) => r.stopReason === "completed").length
    // steady load: CLIENTS clients, each submitting its next run when the last ended, for SECONDS; the
    // runs that finish inside the window count (a warm-up of one run each first)
    let next = 100_000
    const loop = (until: number): Effect.Effect<number, unknown> =>
      Effect.suspend(() =>
        performance.now() >= until ? Effect.succeed(0) : Effect.flatMap(run(next++), (r) => {
          const counted = r.stopReason === "completed" && performance.now() <= until ? 1 : 0
          return Effect.map(loop(until), (n) => n + counted)
        })
      )
    await Effect.runPromise(Effect.forEach(Array.from({ length: CLIENTS }, () => next++), run, { concurrency: "unbounded" }))
    const steadyStart = performance.now()
    const counts = await Effect.runPromise(
      Effect.forEach(Array.from({ length: CLIENTS }), () => loop(steadyStart + SECONDS * 1000), { concurrency: "unbounded" })
    )
    const steady = counts.reduce((a, b) => a + b, 0) / SECONDS
    return { runsPerSecond: completed / seconds, completed, seconds, steady }
  })

const failover = () =>
  cluster(3, { delayMs: 1000 }, async ({ client, url, runners }) => {
    const victim = runners[1]!
    const address = `127.0.0.1:${victim.port}`
    const runs = Effect.runPromise(Effect.forEach(
      Array.from({ length: 30 }, (_, i) => i),
      (i) => client.runDetailed({ agentId: "worker", sessionId: `f${i}`, inputText: "go", durable: true }),
      { concurrency: "unbounded" }
    ))
    let inFlight: ReadonlyArray<{ run_id: string }> = []
    for (;;) {
      await new Promise((r) => setTimeout(r, 100))
      inFlight = await query<{ run_id: string }>(url, `SELECT run_id FROM openagents_cluster_runs WHERE runner = '${address}' AND status = 'running'`)
      if (inFlight.length >= 3) break
    }
    // a moment into the runs (their first answer), then the kill
    await new Promise((r) => setTimeout(r, 500))
    const killedAt = performance.now()
    victim.child.kill("SIGKILL")
    const ids = inFlight.map((r) => `'${r.run_id}'`).join(",")
    let first: number | undefined
    let last: number | undefined
    while (last === undefined && performance.now() - killedAt < 120_000) {
      const moved = await query<{ n: number }>(url, `SELECT count(*)::int AS n FROM openagents_cluster_runs WHERE run_id IN (${ids}) AND (runner <> '${address}' OR status <> 'running')`)
      const n = Number(moved[0]?.n)
      if (n > 0 && first === undefined) first = performance.now() - killedAt
      if (n >= inFlight.length) last = performance.now() - killedAt
      await new Promise((r) => setTimeout(r, 50))
    }
    const results = await runs
    return { runs: inFlight.length, firstMs: first, lastMs: last, completed: results.filter((r) => r.stopReason === "completed").length }
  })

const main = async () => {
  console.log(
    `cluster benchmark: ${RUNS} durable runs on ${RUNS} sessions at once, then ${CLIENTS} clients for ${SECONDS} s; ` +
      `model latency ${DELAY_MS} ms x 3 answers, max ${MAX_RUNS} runs per runner`
  )
  const figures: Array<{ runners: number; runsPerSecond: number; steady: number }> = []
  for (const n of process.env["ONLY"] === "failover" ? [] : [1, 2, 3]) {
    const t = await throughput(n)
    figures.push({ runners: n, runsPerSecond: t.runsPerSecond, steady: t.steady })
    console.log(
      `  ${n} runner${n > 1 ? "s" : ""}: at once ${t.runsPerSecond.toFixed(1)} runs/s (${t.completed} completed in ${t.seconds.toFixed(1)} s), ` +
        `${(t.runsPerSecond / figures[0]!.runsPerSecond).toFixed(2)}x one runner; steady ${t.steady.toFixed(1)} runs/s, ` +
        `${(t.steady / figures[0]!.steady).toFixed(2)}x one runner`
    )
  }
  if (figures.length === 3) {
    const ratio = figures[2]!.steady / figures[0]!.steady
    console.log(`SUMMARY cluster: 3 runners ${ratio.toFixed(2)}x one (steady load; target 2.5x: ${ratio >= 2.5 ? "met" : "NOT met"})`)
  }
  if (process.env["ONLY"] === "throughput") return
  const f = await failover()
  console.log(
    `  failover: ${f.runs} durable runs in flight on the killed runner; resumed on a survivor ` +
      `${f.firstMs === undefined ? "never" : `${(f.firstMs / 1000).toFixed(1)} s`} (first) / ` +
      `${f.lastMs === undefined ? "never" : `${(f.lastMs / 1000).toFixed(1)} s`} (last) after its death; ${f.completed}/30 runs completed`
  )
}

main().then(() => process.exit(0), (e) => {
  console.error(e)
  process.exit(1)
})
