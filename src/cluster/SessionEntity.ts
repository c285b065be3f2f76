/**
 * The session as an @effect/cluster entity: `openagents/Session`, one per session id, living on the
 * runner that owns the session's shard. Its RPCs are volatile (not persisted by @effect/cluster): a run's
 * durability is the journal of the session store, not the cluster's message table (see
 * docs/scale-out.md, "Known issues"). A runner that dies has its messages sent again to the new owner
 * of the shard, which resumes a durable run from the journal by its run id.
 *
 * @since 0.5.0
 */
import * as Entity from "@effect/cluster/Entity"
import * as Rpc from "@effect/rpc/Rpc"
import * as Schema from "effect/Schema"

/**
 * Why a run submitted to the cluster did not end with a result: `lost` (a non-durable run whose runner
 * died: its steps are gone), `busy` (the session's queue is full; retryable), `rejected` (the request
 * was refused before it started: bad request, unknown agent), `unavailable` (no runner answered in
 * time; retryable), `storage` (the cluster's PostgreSQL failed; retryable).
 *
 * @since 0.5.0
 * @category models
 */
export const ClusterRunErrorReason = Schema.Literal("lost", "busy", "rejected", "unavailable", "storage")

/**
 * @since 0.5.0
 * @category models
 */
export type ClusterRunErrorReason = typeof ClusterRunErrorReason.Type

/**
 * A run of the cluster that ended without a `RunResult`.
 *
 * @since 0.5.0
 * @category errors
 */
export class ClusterRunError extends Schema.TaggedError<ClusterRunError>()("ClusterRunError", {
  reason: ClusterRunErrorReason,
  runId: Schema.String,
  message: Schema.String,
  retryable: Schema.Boolean,
  hint: Schema.optional(Schema.String)
}) {}

/**
 * Builds a `ClusterRunError` with the `retryable` flag of its reason and a hint.
 *
 * @since 0.5.0
 * @category constructors
 */
export const clusterRunError = (reason: ClusterRunErrorReason, runId: string, message: string): ClusterRunError =>
  new ClusterRunError({
    reason,
    runId,
    message,
    retryable: reason === "busy" || reason === "unavailable" || reason === "storage",
    hint: HINTS[reason]
  })

const HINTS: Record<ClusterRunErrorReason, string> = {
  lost: "The runner executing this non-durable run died; submit it again, or submit with durable: true to have it resume on another runner.",
  busy: "Too many runs wait on this session; retry later or raise cluster.session_queue_size.",
  rejected: "Fix the request (see the message) and submit it again.",
  unavailable: "Check that runners are up (openagents runner CONFIG) and reach the cluster's PostgreSQL.",
  storage: "Check that the cluster's PostgreSQL is reachable."
}

/**
 * Submits a run (the request as JSON, as `AgentRuntime` accepts it) and streams its chunks, encoded
 * (`RunStreamChunk.toJson`) in batches (each element an array of chunks: one ack a batch, not a chunk),
 * `run.finished` last (only that with `resultOnly`). Idempotent by run id: a run already finished answers
 * with its stored result; one in progress on this runner is joined; a durable one left unfinished by a
 * dead runner is resumed from its journal.
 *
 * @since 0.5.0
 * @category rpcs
 */
export const Run = Rpc.make("Run", {
  payload: {
    runId: Schema.String,
    durable: Schema.Boolean,
    request: Schema.Unknown,
    /** Only the run's own `run.finished` goes back (for a caller that wants the result, not the chunks). */
    resultOnly: Schema.optional(Schema.Boolean)
  },
  success: Schema.Unknown,
  error: ClusterRunError,
  stream: true
})

/**
 * Streams the chunks of a run in progress on the session's runner (from its first chunk, in batches as
 * `Run`), or its stored result as one `run.finished` chunk.
 *
 * @since 0.5.0
 * @category rpcs
 */
export const Watch = Rpc.make("Watch", {
  payload: { runId: Schema.String },
  success: Schema.Unknown,
  error: ClusterRunError,
  stream: true
})

/**
 * Cancels a run of the session: true when it was running and is now cancelled.
 *
 * @since 0.5.0
 * @category rpcs
 */
export const Cancel = Rpc.make("Cancel", {
  payload: { runId: Schema.String },
  success: Schema.Boolean
})

/**
 * The entity: one per session id.
 *
 * @since 0.5.0
 * @category entities
 */
export const SessionEntity = Entity.make("openagents/Session", [Run, Watch, Cancel])
