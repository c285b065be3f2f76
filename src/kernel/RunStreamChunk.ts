/**
 * The chunks of a run's stream. A stream belongs to one run: `sequence` starts at 0 and has no gaps, the
 * first chunk is `run.started` and the last is `run.finished`, which carries the {@link RunResult}. The
 * chunks of its child runs (agents it delegates to) come in the same stream, each with its own run id,
 * its own gap-free `sequence` and a `parentRunId`.
 *
 * A chunk is an event of {@link EventTaxonomy} (those of the kinds in {@link CHUNK_KINDS}) with its place
 * in the stream: `chunk.kind === "llm.delta"` narrows `chunk.payload` to `{ text: string }`.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { type EventName, type EventPayload, EventPayloads } from "./EventTaxonomy.js"
import { RunResult } from "./Run.js"

/**
 * The event kinds that are also chunks of a run's stream.
 *
 * @since 0.2.0
 * @category constants
 */
export const CHUNK_KINDS = [
  "run.started",
  "llm.delta",
  "llm.finished",
  "tool.started",
  "tool.delta",
  "tool.finished",
  "tool.approval_requested",
  "tool.approval_decided",
  "artifact",
  "pattern.phase",
  "pattern.plan_created",
  "pattern.step_started",
  "pattern.step_finished",
  "pattern.reflection",
  "pattern.routed",
  "validation.retry",
  "run.checkpoint_saved",
  "run.resume_attempted",
  "run.resume_succeeded",
  "run.finished"
] as const satisfies ReadonlyArray<EventName>

/**
 * The kinds of chunk (see `EventTaxonomy.EventPayloads` for each payload).
 *
 * @since 0.1.0
 * @category models
 */
export type RunStreamChunkKind = (typeof CHUNK_KINDS)[number]

/**
 * The Schema of a chunk's kind.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RunStreamChunkKind = Schema.Literal(...CHUNK_KINDS)

const chunkKindSet: ReadonlySet<string> = new Set(CHUNK_KINDS)

/**
 * Whether events named `name` are also chunks of the run's stream.
 *
 * @since 0.2.0
 * @category guards
 */
export const isChunkKind = (name: string): name is RunStreamChunkKind => chunkKindSet.has(name)

interface ChunkEnvelope {
  readonly runId: string
  readonly sessionId: string
  readonly agentId: string
  readonly sequence: number
  readonly timestampMs: number
  /**
   * Set on the chunks of a child run forwarded into its parent's stream (see docs/streaming.md): the id of
   * the run that started it. A stream's own run's chunks never carry it.
   */
  readonly parentRunId?: string | undefined
}

/**
 * The chunk of kind `K`. `run.finished` also carries the run's result.
 *
 * @since 0.2.0
 * @category models
 */
export type ChunkOf<K extends RunStreamChunkKind> =
  & ChunkEnvelope
  & { readonly kind: K; readonly payload: EventPayload<K> }
  & (K extends "run.finished" ? { readonly result: RunResult } : unknown)

/**
 * One chunk of a run's stream, a union keyed by `kind`.
 *
 * @since 0.1.0
 * @category models
 */
export type RunStreamChunk = { readonly [K in RunStreamChunkKind]: ChunkOf<K> }[RunStreamChunkKind]

const envelopeFields = {
  runId: Schema.String,
  sessionId: Schema.String,
  agentId: Schema.String,
  sequence: Schema.Int,
  timestampMs: Schema.Number,
  parentRunId: Schema.optional(Schema.String)
}

/**
 * The Schema of {@link RunStreamChunk}: one member per kind (for SSE, `--format events`, logs).
 *
 * @since 0.1.0
 * @category schemas
 */
export const RunStreamChunk: Schema.Schema<RunStreamChunk, unknown> = Schema.Union(
  ...CHUNK_KINDS.map((kind) =>
    Schema.Struct({
      kind: Schema.Literal(kind),
      ...envelopeFields,
      payload: EventPayloads[kind] as Schema.Schema.Any,
      ...(kind === "run.finished" ? { result: RunResult } : {})
    })
  )
) as unknown as Schema.Schema<RunStreamChunk, unknown>

/**
 * Encodes a chunk to plain JSON (for `--format events`, SSE, logs).
 *
 * @since 0.1.0
 * @category encoding
 */
export const toJson = (chunk: RunStreamChunk): unknown => Schema.encodeSync(RunStreamChunk)(chunk)

/**
 * Whether a chunk is the stream's last, `run.finished`, which carries the run's result.
 *
 * @since 0.2.0
 * @category guards
 */
export const isFinished = (chunk: RunStreamChunk): chunk is ChunkOf<"run.finished"> => chunk.kind === "run.finished"

/**
 * The result carried by the last chunk of a collected stream, if the stream ended with `run.finished`.
 *
 * @since 0.2.0
 * @category accessors
 */
export const resultOf = (chunks: ReadonlyArray<RunStreamChunk>): RunResult | undefined => {
  const last = chunks[chunks.length - 1]
  return last !== undefined && isFinished(last) ? last.result : undefined
}
