/**
 * Errors of language model calls: the provider failures a step meets, retryable or not (re-exported by `Errors.ts`, the module to import).
 *
 * @since 0.2.0
 */
import * as Schema from "effect/Schema"

const hint = Schema.optional(Schema.String)

// ---------------------------------------------------------------------------------------------------------
// language model errors
// ---------------------------------------------------------------------------------------------------------

const llmFields = {
  provider: Schema.String,
  message: Schema.String,
  status: Schema.optional(Schema.Number),
  hint,
  /**
   * How many calls were made, this one included: set by `ProviderRetry` on the error that ended the
   * retries (1 when the error was not retried). Absent on an error straight from a provider.
   */
  attempts: Schema.optional(Schema.Number),
  /** The delay the provider asked for (`retry-after-ms` / `retry-after`), in ms, when it sent one. */
  retryAfterMs: Schema.optional(Schema.Number)
}

/**
 * The provider rate-limited the request (HTTP 429). `retryAfterMs` comes from `retry-after-ms` /
 * `retry-after` when the provider sent one.
 *
 * @since 0.1.0
 * @category errors
 */
export class LlmRateLimited extends Schema.TaggedError<LlmRateLimited>()("LlmRateLimited", llmFields) {
  /** @since 0.1.0 */
  readonly retryable = true as const
}

/**
 * The provider is overloaded (Anthropic 529, `overloaded_error`).
 *
 * @since 0.1.0
 * @category errors
 */
export class LlmOverloaded extends Schema.TaggedError<LlmOverloaded>()("LlmOverloaded", llmFields) {
  /** @since 0.1.0 */
  readonly retryable = true as const
}

/**
 * The connection failed, dropped, or the server answered 408/409/5xx.
 *
 * @since 0.1.0
 * @category errors
 */
export class LlmConnection extends Schema.TaggedError<LlmConnection>()("LlmConnection", llmFields) {
  /** @since 0.1.0 */
  readonly retryable = true as const
}

/**
 * The provider did not answer in time (request timeout or a stream that went idle).
 *
 * @since 0.1.0
 * @category errors
 */
export class LlmTimeout extends Schema.TaggedError<LlmTimeout>()("LlmTimeout", {
  ...llmFields,
  timeoutMs: Schema.optional(Schema.Number)
}) {
  /** @since 0.1.0 */
  readonly retryable = true as const
}

/**
 * The provider rejected the request as invalid (400, 404, 422, context length exceeded) or sent a
 * response that cannot be parsed.
 *
 * @since 0.1.0
 * @category errors
 */
export class LlmInvalidRequest extends Schema.TaggedError<LlmInvalidRequest>()("LlmInvalidRequest", llmFields) {
  /** @since 0.1.0 */
  readonly retryable = false as const
}

/**
 * The provider rejected the credentials (401, 403) or no API key was found.
 *
 * @since 0.1.0
 * @category errors
 */
export class LlmAuth extends Schema.TaggedError<LlmAuth>()("LlmAuth", llmFields) {
  /** @since 0.1.0 */
  readonly retryable = false as const
}

/**
 * Any error a language model call can fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type LlmError = LlmRateLimited | LlmOverloaded | LlmConnection | LlmTimeout | LlmInvalidRequest | LlmAuth

/**
 * Schema of {@link LlmError}.
 *
 * @since 0.1.0
 * @category schemas
 */
export const LlmError = Schema.Union(
  LlmRateLimited,
  LlmOverloaded,
  LlmConnection,
  LlmTimeout,
  LlmInvalidRequest,
  LlmAuth
)

/**
 * A copy of `error` with `attempts` and `hint` set (its class, tag and other fields kept): what
 * `ProviderRetry` returns when it stops retrying.
 *
 * @since 0.2.0
 * @category errors
 */
export const withRetryOutcome = <E extends LlmError>(
  error: E,
  outcome: { readonly attempts: number; readonly hint: string | undefined }
): E => {
  const fields = {
    provider: error.provider,
    message: error.message,
    ...(error.status !== undefined ? { status: error.status } : {}),
    ...(outcome.hint !== undefined ? { hint: outcome.hint } : {}),
    attempts: outcome.attempts,
    ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {})
  }
  switch (error._tag) {
    case "LlmRateLimited":
      return new LlmRateLimited(fields) as E
    case "LlmOverloaded":
      return new LlmOverloaded(fields) as E
    case "LlmConnection":
      return new LlmConnection(fields) as E
    case "LlmTimeout":
      return new LlmTimeout({ ...fields, ...(error.timeoutMs !== undefined ? { timeoutMs: error.timeoutMs } : {}) }) as E
    case "LlmInvalidRequest":
      return new LlmInvalidRequest(fields) as E
    case "LlmAuth":
      return new LlmAuth(fields) as E
  }
}

/**
 * The language model errors a retry schedule may retry.
 *
 * @since 0.1.0
 * @category errors
 */
export type RetryableLlmError = Extract<LlmError, { readonly retryable: true }>
