/**
 * Tagged errors of the runtime. Every error carries `retryable` (a literal type, so a `Schedule` can be
 * restricted to the retryable ones at compile time) and, where a user can act, a `hint`.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import type { LlmError } from "./internal/llmErrors.js"
import type { ToolExecutionError } from "./internal/toolErrors.js"
import { RunResult } from "./Run.js"

export * from "./internal/llmErrors.js"
export * from "./internal/toolErrors.js"

const hint = Schema.optional(Schema.String)

// ---------------------------------------------------------------------------------------------------------
// configuration and addressing
// ---------------------------------------------------------------------------------------------------------

/**
 * One problem found in a configuration, located by its JSON path (e.g. `agents[0].llm.provider`).
 *
 * @since 0.1.0
 * @category models
 */
export class ConfigIssue extends Schema.Class<ConfigIssue>("ConfigIssue")({
  path: Schema.String,
  message: Schema.String,
  hint
}) {}

/**
 * A configuration is invalid. `issues` lists every problem found, each with its JSON path.
 *
 * @since 0.1.0
 * @category errors
 */
export class ConfigError extends Schema.TaggedError<ConfigError>()("ConfigError", {
  message: Schema.String,
  source: Schema.optional(Schema.String),
  issues: Schema.Array(ConfigIssue),
  hint
}) {
  /** @since 0.1.0 */
  readonly retryable = false as const
  /**
   * Builds an error from a single issue.
   *
   * @since 0.1.0
   */
  static single(path: string, message: string, options?: { readonly hint?: string; readonly source?: string }) {
    const issue = new ConfigIssue({ path, message, ...(options?.hint ? { hint: options.hint } : {}) })
    return new ConfigError({
      message: path ? `${path}: ${message}` : message,
      issues: [issue],
      ...(options?.source ? { source: options.source } : {}),
      ...(options?.hint ? { hint: options.hint } : {})
    })
  }
  /**
   * Builds an error from several issues; the message lists every one of them.
   *
   * @since 0.1.0
   */
  static fromIssues(issues: ReadonlyArray<ConfigIssue>, source?: string) {
    const head = source ? `Invalid config ${source}` : "Invalid config"
    const lines = issues.map((i) => `  - ${i.path || "(root)"}: ${i.message}${i.hint ? ` (${i.hint})` : ""}`)
    return new ConfigError({
      message: `${head}: ${issues.length} problem${issues.length === 1 ? "" : "s"}\n${lines.join("\n")}`,
      issues,
      ...(source ? { source } : {})
    })
  }
}

/**
 * A run names an agent the runtime does not know.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnknownAgentError extends Schema.TaggedError<UnknownAgentError>()("UnknownAgentError", {
  agentId: Schema.String,
  available: Schema.Array(Schema.String),
  suggestion: Schema.optional(Schema.String)
}) {
  /** @since 0.1.0 */
  readonly retryable = false as const
  override get message() {
    const dym = this.suggestion ? ` Did you mean '${this.suggestion}'?` : ""
    return `Unknown agent id '${this.agentId}'.${dym} Available agents: [${this.available.join(", ")}]`
  }
  /** @since 0.1.0 */
  get hint() {
    return "Pass one of the configured agent ids (see `openagents validate` or runtime.listAgents())."
  }
}

/**
 * More runs are waiting on a session than its queue holds (`runtime.session_queue_size`).
 *
 * @since 0.1.0
 * @category errors
 */
export class SessionBusy extends Schema.TaggedError<SessionBusy>()("SessionBusy", {
  sessionId: Schema.String,
  /** `queue_full`: too many runs wait in this process; `locked`: another process holds the session. */
  reason: Schema.optionalWith(Schema.Literal("queue_full", "locked"), { default: () => "queue_full" as const }),
  queueSize: Schema.optional(Schema.Number),
  heldBy: Schema.optional(Schema.String),
  lockTimeoutMs: Schema.optional(Schema.Number)
}) {
  /** @since 0.1.0 */
  readonly retryable = true as const
  override get message() {
    return this.reason === "locked"
      ? `Session '${this.sessionId}' is held by another process${this.heldBy ? ` (${this.heldBy})` : ""}; gave up after ${
        this.lockTimeoutMs ?? 0
      } ms`
      : `Session '${this.sessionId}' is busy: ${this.queueSize ?? 0} run(s) already waiting (session_queue_size)`
  }
  /** @since 0.1.0 */
  get hint() {
    return this.reason === "locked"
      ? "Another runtime is running this session; retry later, use another session id, or raise lock_timeout_ms."
      : "Retry later, use another session id, or raise agents[].runtime.session_queue_size."
  }
}

/**
 * A session store could not read or write.
 *
 * @since 0.1.0
 * @category errors
 */
export class SessionStoreError extends Schema.TaggedError<SessionStoreError>()("SessionStoreError", {
  sessionId: Schema.optional(Schema.String),
  operation: Schema.String,
  message: Schema.String,
  hint
}) {
  /** @since 0.1.0 */
  readonly retryable = false as const
}

// ---------------------------------------------------------------------------------------------------------
// run-level errors
// ---------------------------------------------------------------------------------------------------------

/**
 * The final output still did not match the requested output schema after `maxValidationRetries` retries.
 *
 * @since 0.1.0
 * @category errors
 */
export class OutputValidationError extends Schema.TaggedError<OutputValidationError>()("OutputValidationError", {
  attempts: Schema.Number,
  lastValidationError: Schema.String
}) {
  /** @since 0.1.0 */
  readonly retryable = false as const
  override get message() {
    return `Final output failed validation after ${this.attempts} attempt(s): ${this.lastValidationError}`
  }
  /** @since 0.1.0 */
  get hint() {
    return "Tighten the agent's instructions or raise budget.maxValidationRetries."
  }
}

/**
 * Raised by a pattern (or a tool) to ask the runtime to let the model try again with `message` as feedback.
 *
 * @since 0.1.0
 * @category errors
 */
export class ModelRetryError extends Schema.TaggedError<ModelRetryError>()("ModelRetryError", {
  message: Schema.String
}) {
  /** @since 0.1.0 */
  readonly retryable = false as const
}

/**
 * Names of the limits that can stop a run.
 *
 * @since 0.1.0
 * @category models
 */
export const BudgetLimit = Schema.Literal(
  "max_steps",
  "max_duration_ms",
  "step_timeout_ms",
  "max_tool_calls",
  "max_cost_usd"
)

/**
 * @since 0.1.0
 * @category models
 */
export type BudgetLimit = typeof BudgetLimit.Type

/**
 * A limit of the run's budget was reached. The run ends with the stop reason named for the limit
 * (`max_steps`, `timeout` or `budget_exhausted`), never with `failed`.
 *
 * @since 0.1.0
 * @category errors
 */
export class BudgetExhausted extends Schema.TaggedError<BudgetExhausted>()("BudgetExhausted", {
  limit: BudgetLimit,
  max: Schema.Number,
  used: Schema.optional(Schema.Number),
  message: Schema.String
}) {
  /** @since 0.1.0 */
  readonly retryable = false as const
}

/**
 * A pattern failed for a reason of its own (malformed model output it cannot work with, ...).
 *
 * @since 0.1.0
 * @category errors
 */
export class PatternError extends Schema.TaggedError<PatternError>()("PatternError", {
  message: Schema.String,
  hint
}) {
  /** @since 0.1.0 */
  readonly retryable = false as const
}

/**
 * A durable run cannot go on by itself: a tool call that is not idempotent started before a crash and did
 * not finish, so nobody knows whether its side effect happened. A human decides: resume with the call
 * re-run, or with the result it is assumed to have had.
 *
 * @since 0.1.0
 * @category errors
 */
export class ToolOutcomeUnknown extends Schema.TaggedError<ToolOutcomeUnknown>()("ToolOutcomeUnknown", {
  runId: Schema.String,
  toolName: Schema.String,
  callId: Schema.String,
  checkpointId: Schema.optional(Schema.String)
}) {
  /** @since 0.1.0 */
  readonly retryable = false as const
  override get message() {
    return `Tool '${this.toolName}' (call ${this.callId}) started before the run was interrupted and did not finish; ` +
      `it is not idempotent, so the run stops rather than risk running it twice`
  }
  /** @since 0.1.0 */
  get hint() {
    return `Check whether its side effect happened, then resume with --rerun-call ${this.callId} ` +
      `(or contextHints.durable.rerun) or --assume-call ${this.callId}='<result JSON>' (contextHints.durable.assume).`
  }
}

/**
 * A tool call needs a human's approval and nothing in this process can give it (the request said
 * `waitForApproval: false`): the run stops with `awaiting_approval`, continuable from its journal.
 *
 * @since 0.3.0
 * @category errors
 */
export class AwaitingApproval extends Schema.TaggedError<AwaitingApproval>()("AwaitingApproval", {
  runId: Schema.String,
  callId: Schema.String,
  toolName: Schema.String
}) {
  /** @since 0.3.0 */
  readonly retryable = false as const
  override get message() {
    return `Tool '${this.toolName}' (call ${this.callId}) waits for approval`
  }
  /** @since 0.3.0 */
  get hint() {
    return `Approve or reject it (openagents approve / reject --call ${this.callId}, or runtime.approve / reject); the run then goes on.`
  }
}

/**
 * No decision on a tool call came within `approvalTimeoutMs`: the run stops with `approval_timeout`; the
 * call stays pending and can still be decided, which continues the run.
 *
 * @since 0.3.0
 * @category errors
 */
export class ApprovalTimeout extends Schema.TaggedError<ApprovalTimeout>()("ApprovalTimeout", {
  runId: Schema.String,
  callId: Schema.String,
  toolName: Schema.String,
  timeoutMs: Schema.Number
}) {
  /** @since 0.3.0 */
  readonly retryable = false as const
  override get message() {
    return `No decision on tool '${this.toolName}' (call ${this.callId}) within ${this.timeoutMs}ms`
  }
}

/**
 * A decision on a pending call was refused: no such call, or edited arguments that are not editable or
 * do not match the tool's parameters. The call stays pending.
 *
 * @since 0.3.0
 * @category errors
 */
export class ApprovalError extends Schema.TaggedError<ApprovalError>()("ApprovalError", {
  runId: Schema.String,
  callId: Schema.String,
  message: Schema.String,
  hint
}) {
  /** @since 0.3.0 */
  readonly retryable = false as const
}

/**
 * Any error a run's body may fail with. The runtime turns each into a {@link RunResult} stop reason.
 *
 * @since 0.1.0
 * @category errors
 */
export type RunError =
  | LlmError
  | BudgetExhausted
  | OutputValidationError
  | ModelRetryError
  | PatternError
  | ConfigError
  | SessionStoreError
  | SessionBusy
  | ToolExecutionError
  | ToolOutcomeUnknown
  | AwaitingApproval
  | ApprovalTimeout

/**
 * True when the error says that trying again may succeed.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isRetryable = (error: unknown): boolean =>
  typeof error === "object" && error !== null && (error as { retryable?: unknown }).retryable === true

/**
 * `AgentRuntime.run` ended with another stop reason than `completed`; the whole result is attached.
 *
 * @since 0.1.0
 * @category errors
 */
export class RunFailed extends Schema.TaggedError<RunFailed>()("RunFailed", {
  result: RunResult
}) {
  /** @since 0.1.0 */
  get retryable() {
    return this.result.error?.retryable ?? false
  }
  override get message() {
    const reason = this.result.error ? `: ${this.result.error.message}` : ""
    return `Run ${this.result.runId} ended with ${this.result.stopReason}${reason}`
  }
}
