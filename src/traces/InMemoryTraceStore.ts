/**
 * Traces in process memory, gone with the process.
 *
 * @since 0.3.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { type Trace, TraceStore, type TraceStep } from "./TraceStore.js"

/**
 * Builds an in-memory trace store. `maxTraces` (default 1000) bounds what a long-lived process keeps:
 * the oldest traces go first.
 *
 * @since 0.3.0
 * @category constructors
 */
export const make = (options?: { readonly maxTraces?: number }): Effect.Effect<TraceStore["Type"]> =>
  Effect.sync(() => {
    const maxTraces = options?.maxTraces ?? 1000
    const traces = new Map<string, { trace: Trace; readonly steps: Array<TraceStep> }>()
    return TraceStore.of({
      record: (trace, steps) =>
        Effect.sync(() => {
          const entry = traces.get(trace.traceId)
          if (entry) {
            entry.trace = trace
            entry.steps.push(...steps)
            return
          }
          traces.set(trace.traceId, { trace, steps: [...steps] })
          if (traces.size > maxTraces) traces.delete(traces.keys().next().value!)
        }),
      getTrace: (traceId) => Effect.sync(() => Option.fromNullable(traces.get(traceId)?.trace)),
      getSteps: (traceId) =>
        Effect.sync(() => [...(traces.get(traceId)?.steps ?? [])].sort((a, b) => a.sequence - b.sequence)),
      listTraces: (filter) =>
        Effect.sync(() => {
          const out: Array<Trace> = []
          for (const { trace } of traces.values()) {
            if (filter?.agentId !== undefined && trace.agentId !== filter.agentId) continue
            if (filter?.sessionId !== undefined && trace.sessionId !== filter.sessionId) continue
            out.push(trace)
          }
          out.reverse()
          out.sort((a, b) => b.startedAtMs - a.startedAtMs)
          return filter?.limit !== undefined ? out.slice(0, filter.limit) : out
        })
    })
  })

/**
 * The in-memory trace store as a Layer.
 *
 * @since 0.3.0
 * @category layers
 */
export const layer = (options?: { readonly maxTraces?: number }): Layer.Layer<TraceStore> =>
  Layer.effect(TraceStore, make(options))
