/**
 * Publishes a run's events on the bus and, for chunk kinds, hands them to the run's stream with their
 * sequence. Emitting is synchronous (no Effect, no lock): sequence numbers are taken and chunks handed
 * over in the order of the calls, and the bus never blocks. Private to the runtime.
 */
import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type { EventBus } from "../../events/EventBus.js"
import type { EventName, EventPayload, RuntimeEvent } from "../../kernel/EventTaxonomy.js"
import type { RunResult } from "../../kernel/Run.js"
import { isChunkKind, type RunStreamChunk } from "../../kernel/RunStreamChunk.js"
import type { ChunkSink } from "./chunks.js"

type Emittable = Exclude<EventName, "run.finished">

export interface Emitter {
  /** Emits an event now. */
  readonly emit: <K extends Emittable>(name: K, payload: EventPayload<K>) => void
  /** The same as an Effect, for callbacks that must return one. */
  readonly emitEffect: <K extends Emittable>(name: K, payload: EventPayload<K>) => Effect.Effect<void>
  /** `run.finished`: the last event and chunk of the run, with its result. */
  readonly finish: (payload: EventPayload<"run.finished">, result: RunResult) => void
  /** Waits while the stream's reader is more than its buffer behind. */
  readonly backpressure: Effect.Effect<void>
  /** Whether a stream reads the run's chunks (only then is there backpressure). */
  readonly buffered: boolean
  /** Where the run's chunks go: a child run's chunks go to the same place (see subAgents.ts). */
  readonly sink: ChunkSink | undefined
  /** Whether a trace recorder follows the run: only then are the heavy payload fields built. */
  readonly observed: boolean
}

/**
 * A class rather than closures over `make`'s scope: a run's emitter lives as long as the run, and its
 * methods on the prototype cost nothing per run (four closures and their context did, about 300 bytes).
 */
class RunEmitter implements Emitter {
  readonly backpressure: Effect.Effect<void>
  readonly buffered: boolean
  readonly observed: boolean
  private sequence = 0

  constructor(
    private readonly runId: string,
    private readonly sessionId: string,
    private readonly agentId: string,
    /** Set only for a child run streaming into its parent's stream: it marks its chunks. */
    private readonly parentRunId: string | undefined,
    private readonly bus: EventBus["Type"],
    private readonly clock: Clock.Clock,
    readonly sink: ChunkSink | undefined,
    private readonly observer: ((event: RuntimeEvent) => void) | undefined
  ) {
    this.backpressure = sink ? sink.backpressure : Effect.void
    this.buffered = sink !== undefined
    this.observed = observer !== undefined
  }

  emit<K extends Emittable>(name: K, payload: EventPayload<K>): void {
    this.send(name, payload)
  }

  emitEffect<K extends Emittable>(name: K, payload: EventPayload<K>): Effect.Effect<void> {
    return Effect.sync(() => this.send(name, payload))
  }

  finish(payload: EventPayload<"run.finished">, result: RunResult): void {
    this.send("run.finished", payload, result)
  }

  private send(name: EventName, payload: unknown, result?: RunResult): void {
    const { agentId, parentRunId, runId, sessionId, sink } = this
    const timestampMs = this.clock.unsafeCurrentTimeMillis()
    if (sink !== undefined && isChunkKind(name)) {
      const sequence = this.sequence++
      const chunk = (parentRunId === undefined
        ? { kind: name, runId, sessionId, agentId, sequence, timestampMs, payload }
        : { kind: name, runId, sessionId, agentId, sequence, timestampMs, payload, parentRunId }) as RunStreamChunk
      sink.offer(result === undefined ? chunk : { ...chunk, result } as RunStreamChunk)
    }
    const event = { name, runId, sessionId, agentId, timestampMs, payload } as RuntimeEvent
    if (this.observer !== undefined) this.observer(event)
    this.bus.unsafePublish(event)
  }
}

export const make = (
  ids: { readonly runId: string; readonly sessionId: string; readonly agentId: string; readonly parentRunId?: string | undefined },
  bus: EventBus["Type"],
  clock: Clock.Clock,
  sink: ChunkSink | undefined,
  observer?: ((event: RuntimeEvent) => void) | undefined
): Emitter =>
  // only a child run streaming into its parent's stream marks its chunks (a run of its own pays nothing)
  new RunEmitter(ids.runId, ids.sessionId, ids.agentId, sink?.forwarded === true ? ids.parentRunId : undefined, bus, clock, sink, observer)
