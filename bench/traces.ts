/**
 * What tracing costs a run: time per step of `STEPS`-step tool runs (the bench model, in-memory
 * sessions), untraced (the baseline), traced into a store that drops what it gets (the recorder alone:
 * events observed, steps built, one write a run), and traced into the in-memory trace store (which keeps
 * the last 1000 traces). Rounds are interleaved; the figures are medians, with ratios to the baseline.
 *
 *   npm run bench:traces          (STEPS=20, RUNS=300, ROUNDS=5)
 */
import { Effect, Layer, Option } from "effect"
import * as AgentRuntime from "../src/runtime/AgentRuntime.js"
import * as InMemoryTraceStore from "../src/traces/InMemoryTraceStore.js"
import { TraceStore } from "../src/traces/TraceStore.js"
import { benchModel, dropSession, fmt, header, median, runtimeLayer, summary } from "./support.js"

const STEPS = Number(process.env["STEPS"] ?? 20)
const RUNS = Number(process.env["RUNS"] ?? 300)
const ROUNDS = Number(process.env["ROUNDS"] ?? 5)

const dropping = Layer.succeed(TraceStore, TraceStore.of({
  record: () => Effect.void,
  getTrace: () => Effect.succeed(Option.none()),
  getSteps: () => Effect.succeed([]),
  listTraces: () => Effect.succeed([])
}))

type Variant = "untraced" | "recorder" | "in_memory"

const perStep = (variant: Variant) =>
  Effect.gen(function*() {
    const base = runtimeLayer(benchModel(STEPS), STEPS)
    const layer = variant === "untraced"
      ? base
      : base.pipe(Layer.provide(variant === "recorder" ? dropping : InMemoryTraceStore.layer()))
    return yield* Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      const one = (i: number) =>
        Effect.zipRight(rt.runDetailed({ agentId: "bench", sessionId: `s${i}`, inputText: "go" }), dropSession(`s${i}`))
      for (let i = 0; i < 20; i++) yield* one(i)
      const t = performance.now()
      for (let i = 0; i < RUNS; i++) yield* one(i)
      return ((performance.now() - t) * 1000) / RUNS / STEPS
    }).pipe(Effect.provide(layer))
  })

const main = Effect.gen(function*() {
  header(`tracing: µs per step of ${STEPS}-step runs, median of ${ROUNDS} interleaved rounds of ${RUNS} runs`)
  const figures: Record<Variant, Array<number>> = { untraced: [], recorder: [], in_memory: [] }
  for (let r = 0; r < ROUNDS; r++) {
    for (const v of ["untraced", "recorder", "in_memory"] as const) figures[v].push(yield* perStep(v))
  }
  const base = median(figures.untraced)
  for (const v of ["untraced", "recorder", "in_memory"] as const) {
    console.log(`${v.padEnd(10)} ${fmt(median(figures[v]), 1)} µs/step (x${fmt(median(figures[v]) / base)})`)
  }
  summary(`traces recorder_ratio=${fmt(median(figures.recorder) / base)} in_memory_ratio=${fmt(median(figures.in_memory) / base)}`)
})

Effect.runPromise(main).catch((e) => {
  console.error(e)
  process.exit(1)
})
