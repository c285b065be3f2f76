/**
 * Many runs at once: N concurrent runs of 3 steps each on N distinct sessions, each model call taking
 * 50 ms of simulated latency (Effect.sleep on the real clock), so one run alone takes 150 ms.
 *
 * - wall: from starting the N runs to the last result, against the ideal 150 ms (ratio; target <= 1.3x);
 * - floor: the same N runs of the bare loop (support.ts: the same model calls and latency, the same tool
 *   calls, no runtime) started the same way, which is what Effect itself costs for N fibers sleeping
 *   three times each; reported against the ideal, and the runtime's wall time as a ratio to it;
 * - heap per in-flight run: a second pass parks every run in its first model call, then heapUsed after
 *   a full GC, minus heapUsed after a GC before the runs started, divided by N (target <= 20 KB).
 *   Needs `node --expose-gc` (the npm script passes it); without it the heap figure is skipped.
 *
 *   npm run bench:concurrency            (COUNTS="100,1000,10000", LATENCY_MS=50 by default; unless COUNTS
 *                                        is set, a count whose pass would take over MAX_PASS_MS=60000 is skipped)
 */
import { Effect, ManagedRuntime } from "effect"
import * as AgentRuntime from "../src/runtime/AgentRuntime.js"
import { bareLoop, benchModel, budgetFor, dropSession, fmt, gc, header, heapUsed, kb, runtimeLayer, summary, target } from "./support.js"

const COUNTS = (process.env["COUNTS"] ?? "100,1000,10000").split(",").map((s) => Number(s.trim()))
/** Unless COUNTS is set, a count whose pass would take longer than this (extrapolated) is skipped. */
const MAX_PASS_MS = Number(process.env["MAX_PASS_MS"] ?? 60_000)
const LATENCY_MS = Number(process.env["LATENCY_MS"] ?? 50)
const STEPS = 3
const IDEAL_MS = STEPS * LATENCY_MS
const TARGET_RATIO = 1.3
const TARGET_HEAP = 20 * 1024

interface Pass {
  readonly wallMs: number
  readonly heapPerRun: number | undefined
  /** Runs that did not complete, by stop reason (a step timeout when the process cannot keep up). */
  readonly failed: Readonly<Record<string, number>>
}

/** One pass of `n` concurrent runs; with `park`, every run waits in its first model call until all do. */
const pass = async (n: number, park: boolean): Promise<Pass> => {
  const latch = Effect.runSync(Effect.makeLatch(false))
  let parked = 0
  let armed = false // the warm-up run goes through
  let allParked: () => void = () => {}
  const everyoneParked = new Promise<void>((resolve) => (allParked = resolve))
  const model = benchModel(STEPS, {
    latencyMs: LATENCY_MS,
    ...(park
      ? {
        gate: Effect.suspend(() => (armed ? latch.await : Effect.void)),
        onCall: (step) => {
          if (armed && step === 0 && ++parked === n) allParked()
        }
      }
      : {})
  })
  const managed = ManagedRuntime.make(runtimeLayer(model, STEPS))
  const rt = await managed.runPromise(AgentRuntime.AgentRuntime)
  const budget = budgetFor(STEPS)
  const failed: Record<string, number> = {}
  const run = (i: number) =>
    Effect.gen(function*() {
      const sessionId = `c${i}`
      const result = yield* rt.runDetailed({ agentId: "bench", inputText: "go", sessionId, budget })
      if (result.stopReason !== "completed" || result.usage.llmCalls !== STEPS) {
        if (i < 0) return yield* Effect.dieMessage(`warm-up run: ${result.stopReason} (${result.error?.message})`)
        const key = `${result.stopReason}${result.metadata["limit"] ? ` (${String(result.metadata["limit"])})` : ""}`
        failed[key] = (failed[key] ?? 0) + 1
      }
    })
  // one warm-up run so that the agent's seams are built before anything is measured
  await managed.runPromise(Effect.zipRight(run(-1), dropSession("c-1")))
  const ids = Array.from({ length: n }, (_, i) => i)
  armed = park
  gc()
  const before = heapUsed()
  const start = performance.now()
  const all = managed.runPromise(Effect.forEach(ids, run, { concurrency: "unbounded", discard: true }))
  let heapPerRun: number | undefined
  if (park) {
    // runs that stop before they park (a step timeout) must not leave this pass waiting forever
    const parkedAll = await Promise.race([everyoneParked.then(() => true), all.then(() => false)])
    if (parkedAll && gc()) heapPerRun = (heapUsed() - before) / n
    Effect.runSync(latch.open)
  }
  await all
  const wallMs = performance.now() - start
  await managed.runPromise(Effect.forEach(ids, (i) => dropSession(`c${i}`), { discard: true }))
  await managed.dispose()
  return { wallMs, heapPerRun, failed }
}

/**
 * The floor: the same `n` runs of the bare loop (support.ts: the same model calls with their latency and
 * the same tool calls, no runtime), started the same way. What Effect itself costs for `n` fibers each
 * sleeping three times; the runtime's figure is also given as a ratio to it.
 */
const barePass = async (n: number): Promise<number> => {
  const model = benchModel(STEPS, { latencyMs: LATENCY_MS })
  await Effect.runPromise(bareLoop(model, STEPS))
  const ids = Array.from({ length: n }, (_, i) => i)
  gc()
  const start = performance.now()
  await Effect.runPromise(Effect.forEach(ids, () => bareLoop(model, STEPS), { concurrency: "unbounded", discard: true }))
  return performance.now() - start
}

const main = async () => {
  header(`concurrency: N runs at once, ${STEPS} steps each, ${LATENCY_MS} ms per model call (ideal ${IDEAL_MS} ms a run)`)
  const exposed = gc()
  if (!exposed) console.log("(no --expose-gc: heap per in-flight run is not measured)")
  const parts: Array<string> = []
  let previous: { n: number; wallMs: number } | undefined
  for (const n of COUNTS) {
    const predicted = previous ? (previous.wallMs * n) / previous.n : 0
    if (process.env["COUNTS"] === undefined && predicted > MAX_PASS_MS) {
      console.log(
        `${String(n).padStart(6)} runs: skipped: ${previous!.n} runs took ${fmt(previous!.wallMs / 1000, 1)} s, ${n} would take ` +
          `~${fmt(predicted / 1000, 0)} s a pass (over MAX_PASS_MS; set COUNTS=${n} to run it anyway)`
      )
      parts.push(`${n}: skipped (~${fmt(predicted / 1000, 0)} s a pass)`)
      continue
    }
    const bareMs = await barePass(n)
    const timed = await pass(n, false)
    previous = { n, wallMs: timed.wallMs }
    const heap = exposed ? await pass(n, true) : undefined
    const ratio = timed.wallMs / IDEAL_MS
    console.log(
      `${String(n).padStart(6)} runs: wall ${fmt(timed.wallMs, 0).padStart(6)} ms = ${fmt(ratio)}x ideal` +
        (heap?.heapPerRun !== undefined ? `; heap ${kb(heap.heapPerRun)} per in-flight run` : "")
    )
    console.log(
      `  floor: the bare loop, same runs and harness, no runtime: ${fmt(bareMs, 0)} ms = ${fmt(bareMs / IDEAL_MS)}x ideal; ` +
        `the runtime at ${fmt(timed.wallMs / bareMs)}x the floor`
    )
    for (const p of heap ? [timed, heap] : [timed]) {
      const failures = Object.entries(p.failed)
      if (failures.length > 0) {
        console.log(`  ${p === timed ? "timed" : "heap"} pass: runs that did not complete: ${failures.map(([k, v]) => `${v} ${k}`).join(", ")}`)
      }
    }
    console.log("  " + target("wall/ideal", `${fmt(ratio)}x`, `<= ${TARGET_RATIO}x`, ratio <= TARGET_RATIO))
    if (heap?.heapPerRun !== undefined) {
      console.log("  " + target("heap per in-flight run", kb(heap.heapPerRun), `<= ${kb(TARGET_HEAP)}`, heap.heapPerRun <= TARGET_HEAP))
    }
    const incomplete = Object.values(timed.failed).reduce((a, b) => a + b, 0)
    parts.push(
      `${n}: ${fmt(ratio)}x (floor ${fmt(bareMs / IDEAL_MS)}x)` + (heap?.heapPerRun !== undefined ? `, ${kb(heap.heapPerRun)}/run` : "") +
        (incomplete > 0 ? `, ${incomplete} runs incomplete` : "")
    )
  }
  summary(`concurrency (wall/ideal ${IDEAL_MS} ms, heap per in-flight run; targets ${TARGET_RATIO}x, ${kb(TARGET_HEAP)}): ${parts.join("; ")}`)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
