/**
 * Session data: what a session keeps besides its messages.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { Message } from "./Transcript.js"

/**
 * An artifact saved in a session (a run's artifacts are saved here when the run ends).
 *
 * @since 0.1.0
 * @category models
 */
export class SessionArtifact extends Schema.Class<SessionArtifact>("SessionArtifact")({
  name: Schema.String,
  kind: Schema.optionalWith(Schema.String, { default: () => "generic" }),
  payload: Schema.Unknown,
  metadata: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Schema.Unknown }), { default: () => ({}) })
}) {}

/**
 * A checkpoint of a session: a named point a run can resume from. `state` holds what is needed to resume
 * (for durable runs, a reference into the run journal, never a copy of the transcript).
 *
 * @since 0.1.0
 * @category models
 */
export class SessionCheckpoint extends Schema.Class<SessionCheckpoint>("SessionCheckpoint")({
  checkpointId: Schema.String,
  state: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  transcriptLength: Schema.Number,
  artifactCount: Schema.Number,
  createdAtMs: Schema.Number
}) {}

/**
 * A message as a session stores it: the message and the run that wrote it.
 *
 * @since 0.1.0
 * @category models
 */
export class SessionMessage extends Schema.Class<SessionMessage>("SessionMessage")({
  runId: Schema.String,
  agentId: Schema.String,
  message: Message,
  timestampMs: Schema.Number
}) {}

/**
 * One entry of a run's journal. Each completed step of a run is appended once: a model response, the
 * start and the end of a tool call, a validation retry. `payload` holds only that step's own data, so
 * storage per step stays constant however long the run grows.
 *
 * @since 0.1.0
 * @category models
 */
export class JournalEntry extends Schema.Class<JournalEntry>("JournalEntry")({
  runId: Schema.String,
  /** Position of the entry within its run, from 0, gap-free. */
  seq: Schema.Int,
  kind: Schema.Literal("run_started", "model", "tool_started", "tool", "validation_retry", "message", "output", "run_finished"),
  payload: Schema.Unknown,
  timestampMs: Schema.Number
}) {}
