/**
 * Human approval of tool calls (tool confirmation): when a call needs one, what a decision says, the
 * decisions a request may carry in advance, and the pending call as the session store keeps it.
 *
 * @since 0.3.0
 */
import * as Schema from "effect/Schema"

/**
 * When a tool's calls need a human's approval: `always`, `never` (the default), or `policy` (when the
 * tool's policy says so: `approvalPolicy` on a tool in code, `approval_policy` in agent.json).
 *
 * @since 0.3.0
 * @category models
 */
export const ApprovalMode = Schema.Literal("always", "never", "policy")

/**
 * @since 0.3.0
 * @category models
 */
export type ApprovalMode = typeof ApprovalMode.Type

/**
 * A decision on a call: approve (optionally with edited arguments, restricted to the tool's editable
 * parameters) or reject (the model is told, with the reason, and the run goes on).
 *
 * @since 0.3.0
 * @category models
 */
export const ApprovalDecision = Schema.Union(
  Schema.Struct({
    decision: Schema.Literal("approve"),
    /** Changed arguments: merged over the model's, only keys in `editableParams`. */
    arguments: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
  }),
  Schema.Struct({ decision: Schema.Literal("reject"), reason: Schema.optional(Schema.String) })
).annotations({ identifier: "ApprovalDecision" })

/**
 * @since 0.3.0
 * @category models
 */
export type ApprovalDecision = typeof ApprovalDecision.Type

/**
 * A decision given in advance: `"approve"`, `"reject"` or a full {@link ApprovalDecision}.
 *
 * @since 0.3.0
 * @category models
 */
export const AdvanceDecision = Schema.Union(Schema.Literal("approve", "reject"), ApprovalDecision)

/**
 * @since 0.3.0
 * @category models
 */
export type AdvanceDecision = typeof AdvanceDecision.Type

/**
 * Decisions a request carries in advance: per call id (`byCallId`) or per tool name (`byTool`); a call
 * id wins over its tool.
 *
 * @since 0.3.0
 * @category models
 */
export const AdvanceApprovals = Schema.Struct({
  byCallId: Schema.optional(Schema.Record({ key: Schema.String, value: AdvanceDecision })),
  byTool: Schema.optional(Schema.Record({ key: Schema.String, value: AdvanceDecision }))
}).annotations({ identifier: "AdvanceApprovals" })

/**
 * @since 0.3.0
 * @category models
 */
export type AdvanceApprovals = typeof AdvanceApprovals.Type

/**
 * A tool call waiting for a human, as the session store keeps it: enough to continue its run from its
 * journal in another process (`checkpointId`). `decision` is set once a human decided and until the run
 * that goes on has used it.
 *
 * @since 0.3.0
 * @category models
 */
export class PendingApproval extends Schema.Class<PendingApproval>("PendingApproval")({
  sessionId: Schema.String,
  runId: Schema.String,
  agentId: Schema.String,
  callId: Schema.String,
  tool: Schema.String,
  arguments: Schema.Unknown,
  editableParams: Schema.Array(Schema.String),
  /** The checkpoint the run continues from (its journal up to the call). */
  checkpointId: Schema.String,
  inputText: Schema.String,
  durable: Schema.Boolean,
  requestedAtMs: Schema.Number,
  decision: Schema.optional(ApprovalDecision)
}) {}

/**
 * A pending call as a RunResult lists it.
 *
 * @since 0.3.0
 * @category models
 */
export class PendingApprovalInfo extends Schema.Class<PendingApprovalInfo>("PendingApprovalInfo")({
  runId: Schema.String,
  callId: Schema.String,
  tool: Schema.String,
  arguments: Schema.Unknown,
  editableParams: Schema.Array(Schema.String)
}) {}

/**
 * The decision an advance decision stands for.
 *
 * @since 0.3.0
 * @category constructors
 */
export const normalize = (d: AdvanceDecision): ApprovalDecision =>
  d === "approve" ? { decision: "approve" } : d === "reject" ? { decision: "reject" } : d
