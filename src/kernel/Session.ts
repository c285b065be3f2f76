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
