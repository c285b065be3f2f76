/**
 * The chunks of a run's stream. A stream belongs to one run: `sequence` starts at 0 and has no gaps, the
 * first chunk is `run.started` and the last is `run.finished`, which carries the {@link RunResult}.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { RunResult } from "./Run.js"

/**
 * The kinds of chunk and what their payload holds:
 *
 * | kind | payload |
 * |---|---|
 * | `run.started` | `inputText`, `durable`, `parentRunId?` |
 * | `llm.delta` | `text` |
 * | `llm.finished` | `model`, `step`, `stopReason`, `usage`, `costUsd?` |
 * | `tool.started` | `toolId`, `callId`, `params` |
 * | `tool.delta` | `toolId`, `callId`, `text` |
 * | `tool.finished` | `toolId`, `callId`, and `result` or `error` + `errorTag` |
 * | `artifact` | `name`, `kind`, `payload` |
 * | `validation.retry` | `attempt`, `error` |
 * | `run.checkpoint_saved` | `checkpointId`, `step`, `transcriptLength` |
 * | `run.resume_attempted` | `checkpointId`, `attempt`, `error`, `errorTag` |
 * | `run.resume_succeeded` | `checkpointId`, `attempt`, `transcriptLength` |
 * | `run.finished` | `stopReason`, `error?`, `durationMs` (the result is in `result`) |
 *
 * @since 0.1.0
 * @category models
 */
export const RunStreamChunkKind = Schema.Literal(
  "run.started",
  "llm.delta",
  "llm.finished",
  "tool.started",
  "tool.delta",
  "tool.finished",
  "artifact",
  "validation.retry",
  "run.checkpoint_saved",
  "run.resume_attempted",
  "run.resume_succeeded",
  "run.finished"
)

/**
 * @since 0.1.0
 * @category models
 */
export type RunStreamChunkKind = typeof RunStreamChunkKind.Type

/**
 * One chunk of a run's stream.
 *
 * @since 0.1.0
 * @category models
 */
export class RunStreamChunk extends Schema.Class<RunStreamChunk>("RunStreamChunk")({
  kind: RunStreamChunkKind,
  runId: Schema.String,
  sessionId: Schema.String,
  agentId: Schema.String,
  sequence: Schema.Int,
  timestampMs: Schema.Number,
  payload: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  result: Schema.optional(RunResult)
}) {}

/**
 * Encodes a chunk to plain JSON (for `--format events`, SSE, logs).
 *
 * @since 0.1.0
 * @category encoding
 */
export const toJson = (chunk: RunStreamChunk): unknown => Schema.encodeSync(RunStreamChunk)(chunk)
