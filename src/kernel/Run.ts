/**
 * The run protocol: what a caller asks for ({@link RunRequest}, {@link RunBudget}) and what every run ends
 * with ({@link RunResult}, {@link RunUsage}, {@link StopReason}).
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { AdvanceApprovals, PendingApprovalInfo } from "./Approval.js"

/**
 * How a run ended.
 *
 * @since 0.1.0
 * @category models
 */
export const StopReason = Schema.Literal("completed", "failed", "cancelled", "timeout", "max_steps", "budget_exhausted",
  // a tool call waits for a human (see docs/approvals.md)
  "awaiting_approval", "approval_timeout")

/**
 * @since 0.1.0
 * @category models
 */
export type StopReason = typeof StopReason.Type

const PositiveInt = Schema.Int.pipe(Schema.positive())
const NonNegativeInt = Schema.Int.pipe(Schema.nonNegative())

/**
 * Optional limits of one run. Each limit stops the run with the stop reason named for it, never `failed`:
 * `maxSteps` → `max_steps`; `maxDurationMs` → `timeout`; `maxToolCalls` and `maxCostUsd` → `budget_exhausted`.
 *
 * @since 0.1.0
 * @category models
 */
export class RunBudget extends Schema.Class<RunBudget>("RunBudget")({
  maxSteps: Schema.optional(PositiveInt),
  maxDurationMs: Schema.optional(PositiveInt),
  maxToolCalls: Schema.optional(NonNegativeInt),
  maxValidationRetries: Schema.optionalWith(NonNegativeInt, { default: () => 3 }),
  maxCostUsd: Schema.optional(Schema.Number.pipe(Schema.nonNegative())),
  maxResumeAttempts: Schema.optionalWith(NonNegativeInt, { default: () => 3 })
}) {}

/**
 * What a run consumed. `costUsd` is `null` when some model call had no known price.
 *
 * @since 0.1.0
 * @category models
 */
export class RunUsage extends Schema.Class<RunUsage>("RunUsage")({
  llmCalls: Schema.Number,
  toolCalls: Schema.Number,
  inputTokens: Schema.Number,
  outputTokens: Schema.Number,
  totalTokens: Schema.Number,
  inputTokensCached: Schema.Number,
  inputTokensCacheCreation: Schema.Number,
  costUsd: Schema.NullOr(Schema.Number),
  costBreakdown: Schema.Record({ key: Schema.String, value: Schema.Number })
}) {
  /**
   * A usage with nothing consumed yet.
   *
   * @since 0.1.0
   */
  static readonly empty = new RunUsage({
    llmCalls: 0,
    toolCalls: 0,
    inputTokens: 0,
    outputTokens: 0,
    totalTokens: 0,
    inputTokensCached: 0,
    inputTokensCacheCreation: 0,
    costUsd: 0,
    costBreakdown: {}
  })
}

/**
 * Something a run produced besides its final output.
 *
 * @since 0.1.0
 * @category models
 */
export class RunArtifact extends Schema.Class<RunArtifact>("RunArtifact")({
  name: Schema.String,
  kind: Schema.optionalWith(Schema.String, { default: () => "generic" }),
  payload: Schema.Unknown,
  metadata: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Schema.Unknown }), { default: () => ({}) })
}) {}

/**
 * The error a failed or stopped run carries: the error's tag, its message, whether trying again may help
 * and what a user can do about it.
 *
 * @since 0.1.0
 * @category models
 */
export class RunErrorInfo extends Schema.Class<RunErrorInfo>("RunErrorInfo")({
  tag: Schema.String,
  message: Schema.String,
  retryable: Schema.Boolean,
  hint: Schema.optional(Schema.String),
  /** Calls made before giving up, for an error that ended a provider's retries. */
  attempts: Schema.optional(Schema.Number),
  /** How long the provider asked to wait before trying again, when it said. */
  retryAfterMs: Schema.optional(Schema.Number)
}) {}

/**
 * The one result every run ends with, whatever happens. `metadata.limit` names the limit that stopped a
 * run with `max_steps`, `timeout` or `budget_exhausted`.
 *
 * @since 0.1.0
 * @category models
 */
export class RunResult extends Schema.Class<RunResult>("RunResult")({
  runId: Schema.String,
  sessionId: Schema.String,
  agentId: Schema.String,
  finalOutput: Schema.Unknown,
  stopReason: StopReason,
  usage: RunUsage,
  artifacts: Schema.Array(RunArtifact),
  error: Schema.NullOr(RunErrorInfo),
  metadata: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  /** The calls waiting for a human, for a run that stopped with `awaiting_approval` or `approval_timeout`. */
  pendingApprovals: Schema.optional(Schema.Array(PendingApprovalInfo)),
  /** The id of the run's trace (the run id), when the runtime records traces. */
  traceId: Schema.optional(Schema.String)
}) {}

/**
 * A schema value (Effect Schema) used as the run's structured output type.
 *
 * @since 0.1.0
 * @category models
 */
export const OutputType = Schema.declare((u: unknown): u is Schema.Schema<any, any, never> => Schema.isSchema(u), {
  identifier: "OutputType"
})

/**
 * One user turn to drive to an outcome. `outputType` (an Effect Schema) asks for structured output: the
 * final answer is decoded with it and fed back to the model when invalid.
 *
 * @since 0.1.0
 * @category models
 */
export class RunRequest extends Schema.Class<RunRequest>("RunRequest")({
  agentId: Schema.String,
  sessionId: Schema.optionalWith(Schema.String, { default: () => "default" }),
  inputText: Schema.String,
  runId: Schema.optionalWith(Schema.String, { default: () => crypto.randomUUID() }),
  parentRunId: Schema.optional(Schema.String),
  metadata: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Schema.Unknown }), {
    default: () => ({})
  }),
  contextHints: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Schema.Unknown }), {
    default: () => ({})
  }),
  budget: Schema.optional(RunBudget),
  deps: Schema.optional(Schema.Unknown),
  outputType: Schema.optional(OutputType),
  durable: Schema.optionalWith(Schema.Boolean, { default: () => false }),
  resumeFromCheckpoint: Schema.optional(Schema.String),
  /** Tool-call decisions given in advance (see docs/approvals.md). */
  approvals: Schema.optional(AdvanceApprovals),
  /** False: a call that needs approval stops the run with `awaiting_approval` instead of waiting. */
  waitForApproval: Schema.optional(Schema.Boolean),
  /** How long a call waits for a decision before the run stops with `approval_timeout`. */
  approvalTimeoutMs: Schema.optional(PositiveInt)
}) {}

/**
 * The fields accepted by the `RunRequest` constructor: only `agentId` and `inputText` are required.
 *
 * @since 0.1.0
 * @category models
 */
export type RunRequestInput = ConstructorParameters<typeof RunRequest>[0]
