/**
 * Per-step overhead of the run loop, as a ratio against a bare loop measured in the same process and run.
 *
 * - bare: a plain Effect.gen loop doing the same model and tool calls (`LanguageModel.streamTo` on the
 *   bench model, decode the arguments, call the tool's handler, push the messages), no runtime;
 * - runDetailed: `AgentRuntime.runDetailed`, every default on (step and tool timeouts, a budget with
 *   maxSteps, maxDurationMs and maxToolCalls, events on the bus, usage and cost), in-memory sessions,
 *   one distinct session per run (closed and deleted after the run, as a long-lived server would);
 * - runStream: `AgentRuntime.runStream`, fully consumed with `Stream.runDrain`;
 * - bare→Stream: the bare loop's deltas, answers and tool results handed out through one Effect Stream
 *   consumed with `Stream.runDrain`: the floor of any API that returns a run as a Stream (Effect's
 *   channel executor costs about 180 µs a stream consumed on this machine, whatever feeds it);
 *   runStream's own overhead is reported against it too;
 * - bare/Stream (for information, with BARE_STREAM=1): the bare loop consuming the model's `stream`, a
 *   Stream per model call. Off by default: the garbage it leaves is collected in the next mode's time.
 *
 * The modes are interleaved in ROUNDS rounds and each figure is the median round, so that drift (JIT,
 * GC, a noisy neighbour) hits all of them alike. Figures in wall time and in the process's CPU time; the
 * targets are checked on CPU time, which a loaded machine inflates much less.
 *
 *   npm run bench:run                 STEPS=20 RUNS=1000 ROUNDS=5 by default
 *   PROFILE=1 RUNS=3000 node --import tsx --cpu-prof --cpu-prof-dir=/tmp/prof bench/run.ts
 *                                     only the runtime part (runDetailed, then runStream), for profiling
 */
import { Chunk, Effect, ManagedRuntime, Option, Stream } from "effect"
import * as AgentRuntime from "../src/runtime/AgentRuntime.js"
import { bareLoop as supportBareLoop, benchModel, budgetFor, dropSession, fmt, header, median, type RuntimeServices, runtimeLayer, signed, summary, target } from "./support.js"

const STEPS = Number(process.env["STEPS"] ?? 20)
const RUNS = Number(process.env["RUNS"] ?? 1000)
const ROUNDS = Number(process.env["ROUNDS"] ?? 5)
/** PROFILE=1: runDetailed then runStream; PROFILE=detailed or PROFILE=stream: that mode alone. */
const PROFILE = process.env["PROFILE"] === "1" || process.env["PROFILE"] === "detailed" || process.env["PROFILE"] === "stream"
const PROFILE_DETAILED = PROFILE && process.env["PROFILE"] !== "stream"
const PROFILE_STREAM = PROFILE && process.env["PROFILE"] !== "detailed"
/** bare/Stream is information only, and its garbage lands in the next mode's figure: off unless asked for. */
const BARE_STREAM = process.env["BARE_STREAM"] === "1"

/** Targets of the kernel issue: overhead per step, and the ratio it implies for a sub-µs bare loop. */
const TARGET_OVERHEAD_US = 12
const TARGET_RATIO = 25

const model = benchModel(STEPS)

/**
 * The bare loop: what any agent loop has to do, and nothing else (`bareLoop` in support.ts). `viaStream`
 * consumes the model's `stream` (a Stream per model call) instead of `streamTo`: an informative row
 * showing what a Stream per call costs by itself.
 */
const bareLoop = (viaStream: boolean, out?: Array<unknown>) =>
  supportBareLoop(viaStream ? { ...model, streamTo: undefined } : model, STEPS, out)
const bare = bareLoop(false)
const bareStream = bareLoop(true)

/**
 * The floor of any API that hands a run out as an Effect Stream: the bare loop with its deltas, answers
 * and tool results handed out as chunks through one Stream (`repeatEffectChunkOption`, as runStream's),
 * consumed with `Stream.runDrain`; no fork, no buffer, no backpressure. Effect's Stream costs this by
 * itself (a channel executor per stream consumed), whatever the loop feeding it.
 */
const bareChunks = Stream.runDrain(Stream.suspend(() => {
  let done = false
  return Stream.repeatEffectChunkOption(Effect.suspend(() => {
    if (done) return Effect.fail(Option.none())
    done = true
    const out: Array<unknown> = []
    return Effect.as(Effect.orDie(bareLoop(false, out)), Chunk.unsafeFromArray(out))
  }))
}))

const main = async () => {
  const managed = ManagedRuntime.make(runtimeLayer(model, STEPS))
  const rt = await managed.runPromise(AgentRuntime.AgentRuntime)
  const budget = budgetFor(STEPS)
  let session = 0
  const request = () => ({ agentId: "bench", inputText: "go", sessionId: `s${session++}`, budget })

  const detailed = (check: boolean) =>
    Effect.gen(function*() {
      const req = request()
      const result = yield* rt.runDetailed(req)
      if (check && (result.stopReason !== "completed" || result.usage.llmCalls !== STEPS || result.usage.toolCalls !== STEPS - 1)) {
        return yield* Effect.dieMessage(`runDetailed: ${result.stopReason} after ${result.usage.llmCalls} calls (${result.error?.message})`)
      }
      yield* dropSession(req.sessionId)
    })
  const streamed = (check: boolean) =>
    Effect.gen(function*() {
      const req = request()
      if (check) {
        const chunks = yield* Stream.runCollect(rt.runStream(req))
        const last = [...chunks].pop()
        const deltas = [...chunks].filter((c) => c.kind === "llm.delta").length
        const result = last?.kind === "run.finished" ? last.result : undefined
        if (result?.stopReason !== "completed" || deltas !== 2 * STEPS) {
          return yield* Effect.dieMessage(`runStream: ended with ${last?.kind} ${result?.stopReason}, ${deltas} deltas`)
        }
      } else {
        yield* Stream.runDrain(rt.runStream(req))
      }
      yield* dropSession(req.sessionId)
    })

  // every mode checked once: the bench measures runs that do what they should
  await managed.runPromise(Effect.zipRight(detailed(true), streamed(true)))
  const messages = await managed.runPromise(bare)
  if (messages !== 2 * STEPS) throw new Error(`bare loop: ${messages} messages`)

  const batch = (effect: Effect.Effect<unknown, unknown, RuntimeServices>, runs: number) =>
    managed.runPromise(Effect.gen(function*() {
      for (let i = 0; i < runs; i++) yield* effect
    }))
  /**
   * µs per step of `runs` runs of `effect`, each run its own runPromise (as a caller would): wall time,
   * and the process's CPU time (user + system, GC threads included), which a loaded machine inflates less.
   */
  const time = async (effect: Effect.Effect<unknown, unknown, RuntimeServices>, runs: number) => {
    const cpu = process.cpuUsage()
    const start = performance.now()
    for (let i = 0; i < runs; i++) await managed.runPromise(effect)
    const wall = performance.now() - start
    const used = process.cpuUsage(cpu)
    return { wall: (wall * 1000) / (runs * STEPS), cpu: (used.user + used.system) / (runs * STEPS) }
  }

  if (PROFILE) {
    console.log(`PROFILE: ${RUNS} runDetailed runs, then ${RUNS} runStream runs, of ${STEPS} steps`)
    const start = performance.now()
    if (PROFILE_DETAILED) await batch(detailed(false), RUNS)
    const mid = performance.now()
    if (PROFILE_STREAM) await batch(streamed(false), RUNS)
    const end = performance.now()
    console.log(`runDetailed ${fmt(((mid - start) * 1000) / (RUNS * STEPS))} µs/step, runStream ${fmt(((end - mid) * 1000) / (RUNS * STEPS))} µs/step`)
    await managed.dispose()
    return
  }

  header(`run loop: per-step overhead against a bare loop (${STEPS} steps a run, ${RUNS} runs a mode in ${ROUNDS} rounds)`)
  // warm-up: let the JIT settle on every path before measuring
  const warm = Math.max(20, Math.round(RUNS / 10))
  await time(bare, warm * 5)
  await time(detailed(false), warm)
  await time(streamed(false), warm)

  const perRound = Math.max(1, Math.round(RUNS / ROUNDS))
  if (BARE_STREAM) await time(bareStream, warm)
  await time(bareChunks, warm)
  type Mode = "bare" | "bare/Stream" | "bare→Stream" | "runDetailed" | "runStream"
  const rounds: Record<Mode, Array<{ wall: number; cpu: number }>> = { bare: [], "bare/Stream": [], "bare→Stream": [], runDetailed: [], runStream: [] }
  for (let r = 0; r < ROUNDS; r++) {
    // the bare loop is ~100x faster: more runs of it keep its figure above the timer's resolution
    rounds.bare.push(await time(bare, perRound * 10))
    if (BARE_STREAM) rounds["bare/Stream"].push(await time(bareStream, perRound))
    rounds["bare→Stream"].push(await time(bareChunks, perRound))
    rounds.runDetailed.push(await time(detailed(false), perRound))
    rounds.runStream.push(await time(streamed(false), perRound))
  }
  const figures = {} as Record<"wall" | "cpu", Record<Mode, number>>
  for (const clock of ["wall", "cpu"] as const) {
    figures[clock] = {} as Record<Mode, number>
    console.log(clock === "wall" ? "wall time:" : "CPU time of the process (user + system):")
    for (const mode of (Object.keys(rounds) as Array<Mode>).filter((m) => rounds[m].length > 0)) {
      const all = rounds[mode].map((x) => x[clock])
      const us = median(all)
      figures[clock][mode] = us
      const bareUs = figures[clock].bare
      console.log(
        `  ${mode.padEnd(12)} ${fmt(us).padStart(9)} µs/step` +
          (mode === "bare" ? " ".repeat(48) : `   overhead ${signed(us - bareUs).padStart(9)} µs/step   ratio ${fmt(us / bareUs, 1).padStart(6)}x`) +
          `   (rounds: ${all.map((x) => fmt(x)).join(" ")})`
      )
    }
  }
  // targets on CPU time: on a loaded machine wall time also counts the time the process waited for a CPU
  const cpu = figures.cpu
  for (const mode of ["runDetailed", "runStream"] as const) {
    const overhead = cpu[mode] - cpu.bare
    console.log(target(`${mode} overhead (cpu)`, `${fmt(overhead)} µs/step`, `<= ${TARGET_OVERHEAD_US} µs/step`, overhead <= TARGET_OVERHEAD_US))
    console.log(target(`${mode} ratio (cpu)`, `${fmt(cpu[mode] / cpu.bare, 1)}x`, `<= ~${TARGET_RATIO}x`, cpu[mode] / cpu.bare <= TARGET_RATIO))
  }
  // what Effect's Stream costs by itself, and runStream's own overhead on top of that floor
  const floor = cpu["bare→Stream"] - cpu.bare
  const ownStream = cpu.runStream - cpu["bare→Stream"]
  console.log(`Stream floor (cpu, bare→Stream − bare): ${signed(floor)} µs/step; runStream over that floor: ${signed(ownStream)} µs/step`)
  const wall = figures.wall
  summary(
    `run (cpu): bare ${fmt(cpu.bare)} µs/step; runDetailed ${signed(cpu.runDetailed - cpu.bare)} µs/step (${fmt(cpu.runDetailed / cpu.bare, 1)}x); ` +
      `runStream ${signed(cpu.runStream - cpu.bare)} µs/step (${fmt(cpu.runStream / cpu.bare, 1)}x); target +${TARGET_OVERHEAD_US} µs/step; ` +
      `Stream floor ${signed(floor)} µs/step, runStream over it ${signed(ownStream)} µs/step; ` +
      `wall: bare ${fmt(wall.bare)}, runDetailed ${fmt(wall.runDetailed)}, runStream ${fmt(wall.runStream)} µs/step`
  )
  await managed.dispose()
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
