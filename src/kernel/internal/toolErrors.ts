/**
 * Errors of tool calls: each goes back to the model as the call's result, and the run goes on (re-exported by `Errors.ts`, the module to import).
 *
 * @since 0.2.0
 */
import * as Schema from "effect/Schema"

// ---------------------------------------------------------------------------------------------------------
// tool errors: these go back to the model as a tool result, the run goes on
// ---------------------------------------------------------------------------------------------------------

/**
 * The model called a tool that the agent does not have.
 *
 * @since 0.1.0
 * @category errors
 */
export class ToolNotFound extends Schema.TaggedError<ToolNotFound>()("ToolNotFound", {
  toolName: Schema.String,
  available: Schema.Array(Schema.String),
  suggestion: Schema.optional(Schema.String)
}) {
  /** @since 0.1.0 */
  readonly retryable = false as const
  override get message() {
    const dym = this.suggestion ? ` Did you mean '${this.suggestion}'?` : ""
    return `Tool '${this.toolName}' is not available.${dym} Available tools: [${this.available.join(", ")}]`
  }
}

/**
 * The arguments the model sent do not match the tool's parameter schema.
 *
 * @since 0.1.0
 * @category errors
 */
export class ToolValidationError extends Schema.TaggedError<ToolValidationError>()("ToolValidationError", {
  toolName: Schema.String,
  message: Schema.String
}) {
  /** @since 0.1.0 */
  readonly retryable = false as const
}

/**
 * The tool ran and failed (or threw).
 *
 * @since 0.1.0
 * @category errors
 */
export class ToolExecutionError extends Schema.TaggedError<ToolExecutionError>()("ToolExecutionError", {
  toolName: Schema.String,
  message: Schema.String,
  retryable: Schema.optionalWith(Schema.Boolean, { default: () => false }),
  /** The delay the failing tool asked for before a retry, in ms (kept from a handler's error). @since 0.2.0 */
  retryAfterMs: Schema.optional(Schema.Number),
  /** Calls made, this one included: set by the retry executor on the error that ended its retries. @since 0.2.0 */
  attempts: Schema.optional(Schema.Number)
}) {}

/**
 * The tool did not finish within its timeout.
 *
 * @since 0.1.0
 * @category errors
 */
export class ToolTimeout extends Schema.TaggedError<ToolTimeout>()("ToolTimeout", {
  toolName: Schema.String,
  timeoutMs: Schema.Number,
  /** Calls made, this one included: set by the retry executor on the error that ended its retries. @since 0.2.0 */
  attempts: Schema.optional(Schema.Number)
}) {
  /** @since 0.1.0 */
  readonly retryable = true as const
  override get message() {
    const attempts = this.attempts !== undefined && this.attempts > 1 ? ` (gave up after ${this.attempts} attempts)` : ""
    return `Tool '${this.toolName}' timed out after ${this.timeoutMs}ms${attempts}`
  }
}

/**
 * The tool call was cancelled before it finished.
 *
 * @since 0.1.0
 * @category errors
 */
export class ToolCancelled extends Schema.TaggedError<ToolCancelled>()("ToolCancelled", {
  toolName: Schema.String
}) {
  /** @since 0.1.0 */
  readonly retryable = false as const
  override get message() {
    return `Tool '${this.toolName}' was cancelled before completion`
  }
}

const transientToolFields = {
  toolName: Schema.String,
  message: Schema.String,
  /** How long the tool asked to wait before a retry, in ms; the retry executor waits at least this long. */
  retryAfterMs: Schema.optional(Schema.Number),
  /** Calls made, this one included: set by the retry executor on the error that ended its retries. */
  attempts: Schema.optional(Schema.Number)
}

/**
 * The service behind a tool rate-limited it. A tool's handler fails with it (`retryAfterMs` when the
 * service said how long to wait); the retry executor retries it.
 *
 * @since 0.2.0
 * @category errors
 */
export class ToolRateLimited extends Schema.TaggedError<ToolRateLimited>()("ToolRateLimited", transientToolFields) {
  /** @since 0.2.0 */
  readonly retryable = true as const
}

/**
 * The service behind a tool is unavailable for now (down, overloaded, a 503). A tool's handler fails
 * with it; the retry executor retries it.
 *
 * @since 0.2.0
 * @category errors
 */
export class ToolUnavailable extends Schema.TaggedError<ToolUnavailable>()("ToolUnavailable", transientToolFields) {
  /** @since 0.2.0 */
  readonly retryable = true as const
}

/**
 * A policy refused the call before it ran. `rule` names what refused it: the policy executor's config
 * key (`deny_tools`, `fs_roots`, `allow_hosts`, ...), `evaluate` (or the rule a custom evaluator named),
 * or `hook.before` / `hook.after`.
 *
 * @since 0.2.0
 * @category errors
 */
export class ToolPolicyDenied extends Schema.TaggedError<ToolPolicyDenied>()("ToolPolicyDenied", {
  toolName: Schema.String,
  rule: Schema.String,
  reason: Schema.String
}) {
  /** @since 0.2.0 */
  readonly retryable = false as const
  override get message() {
    return `policy denied '${this.toolName}': ${this.reason} (rule: ${this.rule})`
  }
}

/**
 * Any error a tool call can end with.
 *
 * @since 0.1.0
 * @category errors
 */
export type ToolError =
  | ToolNotFound
  | ToolValidationError
  | ToolExecutionError
  | ToolTimeout
  | ToolCancelled
  | ToolRateLimited
  | ToolUnavailable
  | ToolPolicyDenied

/**
 * The tool errors a retry may retry.
 *
 * @since 0.2.0
 * @category errors
 */
export type RetryableToolError = ToolExecutionError | ToolTimeout | ToolRateLimited | ToolUnavailable

/**
 * A copy of a tool error with `attempts` set (class, tag and other fields kept; the message says how
 * many calls were made): what the retry executor returns when it stops retrying after `attempts > 1`.
 *
 * @since 0.2.0
 * @category errors
 */
export const withToolAttempts = <E extends ToolError>(error: E, attempts: number): E => {
  if (attempts <= 1) return error
  const suffix = ` (gave up after ${attempts} attempts)`
  switch (error._tag) {
    case "ToolExecutionError":
      return new ToolExecutionError({
        toolName: error.toolName,
        message: `${error.message}${suffix}`,
        retryable: error.retryable,
        ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
        attempts
      }) as E
    case "ToolTimeout":
      return new ToolTimeout({ toolName: error.toolName, timeoutMs: error.timeoutMs, attempts }) as E
    case "ToolRateLimited":
    case "ToolUnavailable": {
      const fields = {
        toolName: error.toolName,
        message: `${error.message}${suffix}`,
        ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
        attempts
      }
      return (error._tag === "ToolRateLimited" ? new ToolRateLimited(fields) : new ToolUnavailable(fields)) as E
    }
    default:
      return error
  }
}
