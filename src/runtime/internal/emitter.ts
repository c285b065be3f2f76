/**
 * Publishes a run's events on the bus and, for chunk kinds, hands them to the run's stream with their
 * sequence. Sequence numbers are taken and chunks handed over synchronously, so the stream's order is
 * the order of the calls, without a lock. Private to the runtime.
 */
import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type { EventBus } from "../../events/EventBus.js"
import type { EventName, EventPayload, RuntimeEvent } from "../../kernel/EventTaxonomy.js"
import type { RunResult } from "../../kernel/Run.js"
import { isChunkKind, type RunStreamChunk } from "../../kernel/RunStreamChunk.js"
import type { ChunkSink } from "./chunks.js"

export interface Emitter {
  readonly emit: <K extends Exclude<EventName, "run.finished">>(name: K, payload: EventPayload<K>) => Effect.Effect<void>
  /** `run.finished`: the last event and chunk of the run, with its result. */
  readonly finish: (payload: EventPayload<"run.finished">, result: RunResult) => Effect.Effect<void>
  /** Waits while the stream's reader is more than its buffer behind. */
  readonly backpressure: Effect.Effect<void>
}

export const make = (
  ids: { readonly runId: string; readonly sessionId: string; readonly agentId: string },
  bus: EventBus["Type"],
  clock: Clock.Clock,
  sink: ChunkSink | undefined
): Emitter => {
  const { agentId, runId, sessionId } = ids
  let sequence = 0
  const send = (name: EventName, payload: unknown, result?: RunResult): Effect.Effect<void> => {
    const timestampMs = clock.unsafeCurrentTimeMillis()
    if (sink !== undefined && isChunkKind(name)) {
      const chunk = { kind: name, runId, sessionId, agentId, sequence: sequence++, timestampMs, payload } as RunStreamChunk
      sink.offer(result === undefined ? chunk : { ...chunk, result } as RunStreamChunk)
    }
    return bus.publish({ name, runId, sessionId, agentId, timestampMs, payload } as RuntimeEvent)
  }
  return {
    emit: (name, payload) => Effect.suspend(() => send(name, payload)),
    finish: (payload, result) => Effect.suspend(() => send("run.finished", payload, result)),
    backpressure: sink ? sink.backpressure : Effect.void
  }
}
