/**
 * A long-lived process: RUNS runs, each on its own session, in batches of BATCH concurrent runs, through
 * the Promise client (`createRuntime` from the public index), with heap after a full GC every EVERY runs.
 * The heap must stay flat: a process serving sessions one after another must not keep what finished
 * sessions left behind. The client's `closeSession(sessionId)` is called after each run when the client
 * has it.
 *
 * A second part says where per-session memory is retained: the same runs through the Effect API, then
 * the heap given back by `AgentRuntime.closeSession` on every session, then by `SessionStore.deleteSession`,
 * then by `EventBus.clearHistory` (the bus keeps the last `max_history` events: bounded, but it fills up
 * over the first thousands of runs, which is why the slope is taken after the first sample).
 *
 * Needs `node --expose-gc` (the npm script passes it).
 *
 *   npm run bench:memory            (RUNS=10000 BATCH=200 EVERY=1000 DIAG_RUNS=3000 by default;
 *                                    RUNS=20000 for the long version)
 */
import { Effect, ManagedRuntime } from "effect"
import { AgentRuntime, createRuntime, EventBus, Plugins, SessionStore } from "../src/index.js"
import { fmt, gc, header, heapUsed, kb, mb, summary, target } from "./support.js"

const RUNS = Number(process.env["RUNS"] ?? 10_000)
const BATCH = Number(process.env["BATCH"] ?? 200)
const EVERY = Number(process.env["EVERY"] ?? 1_000)
const DIAG_RUNS = Number(process.env["DIAG_RUNS"] ?? 3_000)
/** Flat: what the heap may grow per run between the first and the last sample. */
const TARGET_BYTES_PER_RUN = 100

/** The mock in echo mode: `/tool calc ...` calls the calculator, then answers with its result (2 steps). */
const config = {
  version: "1.0",
  agents: [{
    id: "bench",
    llm: { provider: "mock" },
    tools: [{ id: "calc", type: "calc" }],
    runtime: { max_steps: 4 }
  }]
}
const input = (i: number) => `/tool calc {"expression": "${i} + 1"}`

const main = async () => {
  header(`memory: ${RUNS} runs on ${RUNS} distinct sessions through createRuntime, ${BATCH} at a time`)
  if (!gc()) {
    console.log("needs node --expose-gc (npm run bench:memory passes it)")
    process.exitCode = 1
    return
  }
  const client = await createRuntime(config)
  const closeSession = (client as { closeSession?: (sessionId: string) => Promise<void> }).closeSession
  const closes = typeof closeSession === "function"
  console.log(closes ? "the client has closeSession: called after each run" : "the client has no closeSession: sessions are never closed")

  const samples: Array<{ runs: number; heap: number }> = []
  gc()
  const start = heapUsed()
  console.log(`${"runs".padStart(7)}${"heap".padStart(11)}${"growth".padStart(11)}${"per run".padStart(11)}`)
  const began = performance.now()
  for (let done = 0; done < RUNS;) {
    const n = Math.min(BATCH, RUNS - done)
    await Promise.all(Array.from({ length: n }, async (_, k) => {
      const i = done + k
      const sessionId = `m${i}`
      const result = await client.runDetailed({ agentId: "bench", inputText: input(i), sessionId })
      if (result.stopReason !== "completed") throw new Error(`run ${i}: ${result.stopReason} (${result.error?.message})`)
      if (closes) await closeSession!.call(client, sessionId)
    }))
    done += n
    if (Math.floor(done / EVERY) > Math.floor((done - n) / EVERY) || done === RUNS) {
      gc()
      const heap = heapUsed()
      samples.push({ runs: done, heap })
      console.log(`${String(done).padStart(7)}${mb(heap).padStart(11)}${mb(heap - start).padStart(11)}${kb((heap - start) / done).padStart(11)}`)
    }
  }
  const elapsed = performance.now() - began
  await client.close()
  // the first interval warms up (JIT, the agent's seams, the bus's event history filling up): slope after it
  const first = samples[0]!
  const last = samples[samples.length - 1]!
  const slope = last.runs > first.runs ? (last.heap - first.heap) / (last.runs - first.runs) : 0
  console.log(`${fmt(elapsed / RUNS, 3)} ms a run`)
  if (samples.length < 2) console.log("one sample only: no growth to report (raise RUNS or lower EVERY)")
  else console.log(target(`heap growth from ${first.runs} to ${last.runs} runs`, `${fmt(slope, 0)} bytes/run`, `<= ${TARGET_BYTES_PER_RUN} bytes/run (flat)`, slope <= TARGET_BYTES_PER_RUN))

  // ---- where it is retained ----
  const managed = ManagedRuntime.make(Plugins.runtimeLayer(config))
  const { bus, rt, store } = await managed.runPromise(
    Effect.all({ rt: AgentRuntime.AgentRuntime, store: SessionStore.SessionStore, bus: EventBus.EventBus })
  )
  const ids = Array.from({ length: DIAG_RUNS }, (_, i) => `d${i}`)
  const run = (i: number) => rt.runDetailed({ agentId: "bench", inputText: input(i), sessionId: ids[i]! })
  await managed.runPromise(run(0)) // builds the agent
  await managed.runPromise(Effect.zipRight(rt.closeSession(ids[0]!), Effect.orDie(store.deleteSession(ids[0]!))))
  gc()
  const base = heapUsed()
  await managed.runPromise(Effect.forEach(ids.keys(), run, { concurrency: BATCH, discard: true }))
  gc()
  const after = heapUsed()
  const stored = (await managed.runPromise(store.listSessions)).length
  const known = await managed.runPromise(rt.sessionCount)
  await managed.runPromise(Effect.forEach(ids, (id) => rt.closeSession(id), { discard: true }))
  gc()
  const afterClose = heapUsed()
  const storedAfterClose = (await managed.runPromise(store.listSessions)).length
  await managed.runPromise(Effect.forEach(ids, (id) => Effect.orDie(store.deleteSession(id)), { discard: true }))
  gc()
  const afterDelete = heapUsed()
  await managed.runPromise(bus.clearHistory)
  gc()
  const afterClear = heapUsed()
  await managed.dispose()
  const per = (bytes: number) => kb(bytes / DIAG_RUNS)
  console.log(`where it is retained (${DIAG_RUNS} runs on distinct sessions, Effect API):`)
  console.log(`  retained after the runs: ${per(after - base)} per session (runtime knows ${known} sessions, store holds ${stored})`)
  console.log(`  given back by AgentRuntime.closeSession: ${per(after - afterClose)} per session (store still holds ${storedAfterClose})`)
  console.log(`  given back by SessionStore.deleteSession: ${per(afterClose - afterDelete)} per session`)
  console.log(`  given back by EventBus.clearHistory: ${per(afterDelete - afterClear)} per session (bounded by max_history)`)
  console.log(`  left after all three: ${per(afterClear - base)} per session`)
  summary(
    `memory: heap ${fmt(slope, 0)} bytes/run from ${first.runs} to ${last.runs} runs (target <= ${TARGET_BYTES_PER_RUN}, flat); ` +
      `client.closeSession ${closes ? "called" : "absent"}; retained ${per(after - base)}/session, ` +
      `${per(after - afterClose)} freed by runtime.closeSession, ${per(afterClose - afterDelete)} by store.deleteSession`
  )
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
