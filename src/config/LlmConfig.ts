/**
 * The `llm` block of an agent in `agent.json`: provider, model, sampling options, timeouts, pricing,
 * retries and the mock provider's script. Re-exported by AppConfig.ts.
 *
 * @since 0.2.0
 */
import * as Schema from "effect/Schema"
import { NounAnnotationId } from "./internal/annotations.js"
import { JsonObject, NonEmptyString, NonNegativeInt, NonNegativeNumber, PositiveInt } from "./internal/primitives.js"
import * as Builtins from "./Registry.js"

/**
 * `llm.retry`: how provider calls are retried on retryable errors (rate limits, overload, connection
 * errors, timeouts).
 *
 * @since 0.1.0
 * @category schemas
 */
export const RetryConfig = Schema.Struct({
  max_attempts: Schema.optionalWith(PositiveInt, { default: () => 3 }).annotations({
    description: "Attempts in total, the first one included (default 3; 1 disables retries)."
  }),
  initial_backoff_ms: Schema.optionalWith(NonNegativeInt, { default: () => 500 }).annotations({
    description: "Wait before the first retry, in milliseconds (default 500)."
  }),
  max_backoff_ms: Schema.optionalWith(NonNegativeInt, { default: () => 5000 }).annotations({
    description: "Upper bound of one wait, in milliseconds (default 5000)."
  }),
  backoff_multiplier: Schema.optionalWith(
    Schema.Number.pipe(Schema.greaterThanOrEqualTo(1)).annotations({ description: "a number greater than or equal to 1" }),
    { default: () => 2 }
  ).annotations({ description: "Factor between consecutive waits (default 2)." }),
  retry_on_connection_errors: Schema.optionalWith(Schema.Boolean, { default: () => true }).annotations({
    description: "Retry when the connection fails or drops (default true)."
  }),
  total_budget_ms: Schema.optionalWith(PositiveInt, { nullable: true }).annotations({
    description: "Start no retry once this much time has passed since the first failure; waits are cut to fit (default: no limit)."
  })
}).annotations({ identifier: "RetryConfig", title: "retry" })

/**
 * @since 0.1.0
 * @category models
 */
export interface RetryConfig extends Schema.Schema.Type<typeof RetryConfig> {}

/**
 * `llm.pricing`: prices in USD per million tokens, used to compute a run's cost.
 *
 * @since 0.1.0
 * @category schemas
 */
export const PricingConfig = Schema.Struct({
  input: Schema.optional(NonNegativeNumber).annotations({ description: "USD per million input tokens." }),
  output: Schema.optional(NonNegativeNumber).annotations({ description: "USD per million output tokens." }),
  cached_read: Schema.optional(NonNegativeNumber).annotations({
    description: "USD per million input tokens read from the prompt cache."
  }),
  cached_write: Schema.optional(NonNegativeNumber).annotations({
    description: "USD per million input tokens written to the prompt cache."
  })
}).annotations({ identifier: "PricingConfig", title: "pricing" })

/**
 * @since 0.1.0
 * @category models
 */
export interface PricingConfig extends Schema.Schema.Type<typeof PricingConfig> {}

/**
 * The error kinds a mock script step can fail with; each maps to the LLM error of the same name.
 *
 * @since 0.1.0
 * @category schemas
 */
export const MockErrorKind = Schema.Literal(
  "rate_limit",
  "overloaded",
  "connection",
  "timeout",
  "invalid_request",
  "auth"
).annotations({ [NounAnnotationId]: "error kind" })

/**
 * @since 0.1.0
 * @category models
 */
export type MockErrorKind = typeof MockErrorKind.Type

/**
 * One tool call of a mock script step.
 *
 * @since 0.1.0
 * @category schemas
 */
export const MockToolCall = Schema.Struct({
  id: Schema.optional(NonEmptyString).annotations({ description: "The call id (generated when absent)." }),
  name: Schema.propertySignature(NonEmptyString).annotations({ description: "The tool id to call." }),
  arguments: Schema.optionalWith(JsonObject, { default: () => ({}) }).annotations({
    description: "The call's arguments (default {})."
  })
})

/**
 * @since 0.1.0
 * @category models
 */
export interface MockToolCall extends Schema.Schema.Type<typeof MockToolCall> {}

/**
 * Token usage a mock script step reports.
 *
 * @since 0.1.0
 * @category schemas
 */
export const MockUsage = Schema.Struct({
  input_tokens: Schema.optionalWith(NonNegativeInt, { default: () => 0 }),
  output_tokens: Schema.optionalWith(NonNegativeInt, { default: () => 0 }),
  cached_input_tokens: Schema.optionalWith(NonNegativeInt, { default: () => 0 })
})

/**
 * @since 0.1.0
 * @category models
 */
export interface MockUsage extends Schema.Schema.Type<typeof MockUsage> {}

/**
 * The error a mock script step fails with instead of answering.
 *
 * @since 0.1.0
 * @category schemas
 */
export const MockError = Schema.Struct({
  kind: Schema.propertySignature(MockErrorKind).annotations({ description: "The LLM error to fail with." }),
  retry_after_ms: Schema.optional(NonNegativeInt),
  message: Schema.optional(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface MockError extends Schema.Schema.Type<typeof MockError> {}

/**
 * One answer of the mock provider's script (`llm.script[]`): text and/or tool calls, usage, a delay
 * before answering, or an error.
 *
 * @since 0.1.0
 * @category schemas
 */
export const MockStep = Schema.Struct({
  text: Schema.optional(Schema.String).annotations({ description: "The answer's text." }),
  tool_calls: Schema.optionalWith(Schema.Array(MockToolCall), { default: () => [] }).annotations({
    description: "Tool calls of the answer (default none)."
  }),
  usage: Schema.optional(MockUsage).annotations({ description: "Token usage reported for the answer." }),
  delay_ms: Schema.optional(NonNegativeInt).annotations({ description: "Wait this long before answering." }),
  error: Schema.optional(MockError).annotations({ description: "Fail with this error instead of answering." })
}).annotations({ identifier: "MockStep", title: "mock script step" })

/**
 * @since 0.1.0
 * @category models
 */
export interface MockStep extends Schema.Schema.Type<typeof MockStep> {}

/**
 * Schema of `llm.provider`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Provider = Schema.Literal(...Builtins.providerNames).annotations({
  [NounAnnotationId]: "llm provider",
  description: "an llm provider"
})

/**
 * `agents[].llm`: the model an agent talks to.
 *
 * @since 0.1.0
 * @category schemas
 */
export const LlmConfig = Schema.Struct({
  provider: Schema.optionalWith(Provider, { default: () => "mock" as const }).annotations({
    description: "mock (default), anthropic, openai or openai_compatible."
  }),
  model: Schema.optionalWith(NonEmptyString, { nullable: true }).annotations({
    description: "The provider's model name."
  }),
  api_base: Schema.optionalWith(NonEmptyString, { nullable: true }).annotations({
    description: "Base URL of the API; required for openai_compatible."
  }),
  api_key_env: Schema.optionalWith(NonEmptyString, { nullable: true }).annotations({
    description: "Name of the environment variable holding the API key."
  }),
  temperature: Schema.optionalWith(
    Schema.Number.pipe(Schema.between(0, 2)).annotations({ description: "a number between 0 and 2" }),
    { nullable: true }
  ).annotations({ description: "Sampling temperature, 0 to 2." }),
  max_tokens: Schema.optionalWith(PositiveInt, { nullable: true }).annotations({
    description: "Maximum output tokens per model call."
  }),
  timeout_ms: Schema.optionalWith(PositiveInt, { default: () => 30_000, nullable: true }).annotations({
    description: "How long to wait for the response headers of a model call, in milliseconds (default 30000)."
  }),
  idle_timeout_ms: Schema.optionalWith(PositiveInt, { nullable: true }).annotations({
    description: "Fail a streamed call that sends nothing for this long, in milliseconds."
  }),
  extra_headers: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Schema.String }), { nullable: true })
    .annotations({ description: "Extra HTTP headers sent with every request." }),
  reasoning_model: Schema.optionalWith(Schema.Boolean, { nullable: true }).annotations({
    description: "Treat the model as a reasoning model (no temperature, max_completion_tokens)."
  }),
  openai_api_style: Schema.optionalWith(
    Schema.Literal("chat_completions", "responses").annotations({ [NounAnnotationId]: "OpenAI API style" }),
    { nullable: true }
  ).annotations({
    description: "chat_completions or responses (default: responses when api_base ends with /responses)."
  }),
  seed: Schema.optionalWith(Schema.Int.annotations({ description: "an integer" }), { nullable: true }).annotations({
    description: "Sampling seed, for providers that support one."
  }),
  top_p: Schema.optionalWith(
    Schema.Number.pipe(Schema.between(0, 1)).annotations({ description: "a number between 0 and 1" }),
    { nullable: true }
  ).annotations({ description: "Nucleus sampling, 0 to 1." }),
  parallel_tool_calls: Schema.optionalWith(Schema.Boolean, { nullable: true }).annotations({
    description: "Let the model call several tools in one answer."
  }),
  thinking_budget_tokens: Schema.optionalWith(PositiveInt, { nullable: true }).annotations({
    description: "Anthropic: enable extended thinking with this token budget."
  }),
  reasoning_effort: Schema.optionalWith(
    Schema.Literal("low", "medium", "high").annotations({ [NounAnnotationId]: "reasoning effort" }),
    { nullable: true }
  ).annotations({ description: "OpenAI reasoning models: low, medium or high." }),
  pricing: Schema.optionalWith(PricingConfig, { nullable: true }).annotations({
    description: "Prices in USD per million tokens, for cost accounting and cost budgets."
  }),
  retry: Schema.optionalWith(RetryConfig, { default: () => Schema.decodeSync(RetryConfig)({}), nullable: true })
    .annotations({ description: "Retries of failed model calls." }),
  script: Schema.optionalWith(Schema.Array(MockStep), { nullable: true }).annotations({
    description: "Answers the mock provider plays back, one per model call (provider 'mock' only)."
  })
}).annotations({ identifier: "LlmConfig", title: "llm" })

/**
 * @since 0.1.0
 * @category models
 */
export interface LlmConfig extends Schema.Schema.Type<typeof LlmConfig> {}
