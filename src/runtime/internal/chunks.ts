/**
 * The buffer between a run and the reader of its stream. The run hands chunks over synchronously (an
 * array push, no queue operation per chunk); the reader takes everything buffered at each pull. The run
 * waits at its next step while the reader is `capacity` chunks behind. Private to the runtime.
 */
import * as Chunk from "effect/Chunk"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"
import * as Option from "effect/Option"
import type { RunStreamChunk } from "../../kernel/RunStreamChunk.js"

export interface ChunkSink {
  readonly offer: (chunk: RunStreamChunk) => void
  readonly backpressure: Effect.Effect<void>
  /** The sink of an ancestor's stream: the run's chunks carry their `parentRunId` (see subAgents.ts). */
  readonly forwarded?: boolean | undefined
}

export interface ChunkBuffer {
  readonly sink: ChunkSink
  /** The chunks buffered (waiting for one when there are none); ends after `run.finished`. */
  readonly pull: Effect.Effect<Chunk.Chunk<RunStreamChunk>, Option.Option<never>>
  /** Whether `run.finished` was handed over. */
  readonly finished: () => boolean
  /** Wakes a run waiting for room: the reader left. */
  readonly close: Effect.Effect<void>
}

/** A buffer for the stream of run `runId`; its child runs' chunks pass through it too. */
export const make = (capacity: number, runId: string): ChunkBuffer => {
  let buffer: Array<RunStreamChunk> = []
  let finished = false
  let closed = false
  let readerWaits: Deferred.Deferred<void> | undefined
  let writerWaits: Deferred.Deferred<void> | undefined

  const wake = (d: Deferred.Deferred<void> | undefined) => {
    if (d) Deferred.unsafeDone(d, Effect.void)
  }

  const sink: ChunkSink = {
    offer: (chunk) => {
      if (closed) return
      buffer.push(chunk)
      // a child's run.finished is one more chunk: the stream ends with its own run's
      if (chunk.kind === "run.finished" && chunk.runId === runId) finished = true
      const w = readerWaits
      readerWaits = undefined
      wake(w)
    },
    backpressure: Effect.suspend(() => {
      if (closed || buffer.length < capacity) return Effect.void
      writerWaits ??= Deferred.unsafeMake<void>(FiberId.none)
      return Deferred.await(writerWaits)
    })
  }

  const pull: Effect.Effect<Chunk.Chunk<RunStreamChunk>, Option.Option<never>> = Effect.suspend(() => {
    if (buffer.length > 0) {
      const taken = buffer
      buffer = []
      const w = writerWaits
      writerWaits = undefined
      wake(w)
      return Effect.succeed(Chunk.unsafeFromArray(taken))
    }
    if (finished) return Effect.fail(Option.none())
    readerWaits ??= Deferred.unsafeMake<void>(FiberId.none)
    return Effect.zipRight(Deferred.await(readerWaits), pull)
  })

  return {
    sink,
    // run.finished is the last chunk a run hands over: the pull after the batch holding it ends the stream
    // (a takeUntil would cost a Stream stage, about 70 µs a run)
    pull,
    finished: () => finished,
    close: Effect.sync(() => {
      closed = true
      buffer = []
      const w = writerWaits
      writerWaits = undefined
      wake(w)
    })
  }
}
