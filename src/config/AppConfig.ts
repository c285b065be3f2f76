/**
 * The Schema of `agent.json`. Keys are snake_case exactly as in the JSON file; decoding applies the
 * defaults, so the decoded types have every defaulted field present.
 *
 * Decode with `ConfigLoader.decode` rather than with this Schema directly: the loader also substitutes
 * environment variables, rejects unknown keys, checks the rules that span several fields (duplicate
 * ids, `type` xor `impl`, provider-specific keys, builtin plugin config, `output_schema`) and reports
 * every problem with its JSON path.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { type ConfigMessage, MessageAnnotationId, NounAnnotationId } from "./internal/annotations.js"
import * as Builtins from "./Registry.js"

export {
  /**
   * The annotations read by the loader's error formatter (defined beside it, re-exported here).
   *
   * @since 0.1.0
   * @category annotations
   */
  type ConfigMessage,
  /**
   * @since 0.1.0
   * @category annotations
   */
  MessageAnnotationId,
  /**
   * @since 0.1.0
   * @category annotations
   */
  NounAnnotationId
} from "./internal/annotations.js"

// ---------------------------------------------------------------------------------------------------------
// primitives
// ---------------------------------------------------------------------------------------------------------

const NonEmptyString = Schema.String.pipe(Schema.minLength(1)).annotations({ description: "a non-empty string" })
const PositiveInt = Schema.Int.pipe(Schema.positive()).annotations({ description: "a positive integer" })
const NonNegativeInt = Schema.Int.pipe(Schema.nonNegative()).annotations({ description: "a non-negative integer" })
const NonNegativeNumber = Schema.Number.pipe(Schema.nonNegative()).annotations({
  description: "a non-negative number"
})
const JsonObject = Schema.Record({ key: Schema.String, value: Schema.Unknown }).annotations({
  description: "an object"
})

/**
 * Agent ids: letters, digits, `_`, `.` and `-`.
 *
 * @since 0.1.0
 * @category constants
 */
export const AGENT_ID_PATTERN = /^[A-Za-z0-9_.-]+$/

/**
 * The `impl` format: `<module>#<export>`, where the module is a relative path (`./x.js`, `../lib/x.js`,
 * resolved against the config file's directory) or a package name (`pkg`, `@scope/pkg`, `pkg/sub`).
 *
 * @since 0.1.0
 * @category constants
 */
export const IMPL_PATTERN =
  /^(?:\.{1,2}\/[^#\s]+|(?:@[A-Za-z0-9][\w.-]*\/)?[A-Za-z0-9][\w.-]*(?:\/[\w.@-]+)*)#[A-Za-z_$][\w$]*$/

const implProblem = (actual: unknown): string => {
  const value = String(actual)
  const hash = value.lastIndexOf("#")
  if (hash < 0) return `'${value}' has no '#<export>' part`
  const module = value.slice(0, hash)
  const exported = value.slice(hash + 1)
  if (module === "") return `'${value}' has no module before '#'`
  if (/^(?:\/|[A-Za-z]:[\\/]|file:)/.test(module)) {
    return `'${value}' uses an absolute module path; use a path relative to the config file ('./...') or a package name`
  }
  if (!/^[A-Za-z_$][\w$]*$/.test(exported)) return `'${exported}' in '${value}' is not a valid export name`
  return `'${value}' is not a valid module reference`
}

const AgentId = Schema.String.pipe(
  Schema.pattern(AGENT_ID_PATTERN)
).annotations({
  description: "an agent id (letters, digits, '_', '.', '-')",
  [MessageAnnotationId]: {
    message: (actual: unknown) =>
      actual === ""
        ? "must not be empty"
        : `'${String(actual)}' is not a valid agent id: use only letters, digits, '_', '.' and '-'`
  } satisfies ConfigMessage
})

/**
 * Schema of an `impl` module reference (`<module>#<export>`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ImplRef = Schema.String.pipe(Schema.pattern(IMPL_PATTERN)).annotations({
  description: "a module reference '<module>#<export>'",
  [MessageAnnotationId]: {
    message: (actual: unknown) => `invalid impl: ${implProblem(actual)}`,
    hint: () =>
      "the format is '<module>#<export>', e.g. './tools.js#lookup' (relative to the config file) or 'my-package#lookup'"
  } satisfies ConfigMessage
})

const typeLiteral = <S extends Builtins.Seam>(seam: S) =>
  Schema.Literal(...Builtins.typeNames(seam)).annotations({
    [NounAnnotationId]: `${Builtins.seamLabel[seam]} type`,
    description: `a builtin ${Builtins.seamLabel[seam]} type`
  })

const refFields = <S extends Builtins.Seam>(seam: S) => ({
  type: Schema.optional(typeLiteral(seam)).annotations({
    description: `A builtin ${Builtins.seamLabel[seam]} type (set exactly one of 'type' or 'impl').`
  }),
  impl: Schema.optional(ImplRef).annotations({
    description: "Your own plugin: '<module>#<export>', the module relative to the config file or a package name."
  }),
  config: Schema.optionalWith(JsonObject, { default: () => ({}), nullable: true }).annotations({
    description: "Options passed to the plugin."
  })
})

// ---------------------------------------------------------------------------------------------------------
// plugin references
// ---------------------------------------------------------------------------------------------------------

/**
 * The shape shared by every plugin reference: exactly one of `type` (a builtin name) or `impl`
 * (`<module>#<export>`), and the plugin's `config`.
 *
 * @since 0.1.0
 * @category models
 */
export interface PluginRef<T extends string = string> {
  readonly type?: T | undefined
  readonly impl?: string | undefined
  readonly config: { readonly [key: string]: unknown }
}

/**
 * `agents[].memory`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const MemoryRef = Schema.Struct({
  ...refFields("memory"),
  on_error: Schema.optionalWith(Schema.Literal("continue", "fail"), { default: () => "continue" as const })
    .annotations({ description: "What a memory failure does to the run: 'continue' (default) or 'fail'." })
}).annotations({ identifier: "MemoryRef", title: "memory" })

/**
 * @since 0.1.0
 * @category models
 */
export interface MemoryRef extends Schema.Schema.Type<typeof MemoryRef> {}

const pluginRef = <S extends Builtins.Seam>(seam: S, identifier: string) =>
  Schema.Struct(refFields(seam)).annotations({ identifier, title: Builtins.seamLabel[seam] })

/**
 * `agents[].pattern`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const PatternRef = pluginRef("pattern", "PatternRef")

/**
 * @since 0.1.0
 * @category models
 */
export interface PatternRef extends Schema.Schema.Type<typeof PatternRef> {}

/**
 * `agents[].tool_executor`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ToolExecutorRef = pluginRef("tool_executor", "ToolExecutorRef")

/**
 * @since 0.1.0
 * @category models
 */
export interface ToolExecutorRef extends Schema.Schema.Type<typeof ToolExecutorRef> {}

/**
 * `agents[].context_assembler`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ContextAssemblerRef = pluginRef("context_assembler", "ContextAssemblerRef")

/**
 * @since 0.1.0
 * @category models
 */
export interface ContextAssemblerRef extends Schema.Schema.Type<typeof ContextAssemblerRef> {}

/**
 * Top-level `runtime`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RuntimeRef = pluginRef("runtime", "RuntimeRef")

/**
 * @since 0.1.0
 * @category models
 */
export interface RuntimeRef extends Schema.Schema.Type<typeof RuntimeRef> {}

/**
 * Top-level `session`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const SessionRef = pluginRef("session", "SessionRef")

/**
 * @since 0.1.0
 * @category models
 */
export interface SessionRef extends Schema.Schema.Type<typeof SessionRef> {}

/**
 * Top-level `events`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const EventsRef = pluginRef("events", "EventsRef")

/**
 * @since 0.1.0
 * @category models
 */
export interface EventsRef extends Schema.Schema.Type<typeof EventsRef> {}

/**
 * Top-level `skills`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const SkillsRef = pluginRef("skills", "SkillsRef")

/**
 * @since 0.1.0
 * @category models
 */
export interface SkillsRef extends Schema.Schema.Type<typeof SkillsRef> {}

/**
 * `agents[].tools[]`: a plugin reference with an `id` (unique within the agent; the name the model
 * calls the tool by) and `enabled`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ToolRef = Schema.Struct({
  id: Schema.propertySignature(NonEmptyString).annotations({
    description: "The tool's name for the model; unique within the agent."
  }),
  ...refFields("tool"),
  enabled: Schema.optionalWith(Schema.Boolean, { default: () => true }).annotations({
    description: "Set false to keep the entry but not offer the tool (default true)."
  })
}).annotations({ identifier: "ToolRef", title: "tool" })

/**
 * @since 0.1.0
 * @category models
 */
export interface ToolRef extends Schema.Schema.Type<typeof ToolRef> {}

// ---------------------------------------------------------------------------------------------------------
// llm
// ---------------------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------------------
// agents
// ---------------------------------------------------------------------------------------------------------

/**
 * `agents[].runtime`: limits of one agent's runs.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RuntimeOptions = Schema.Struct({
  max_steps: Schema.optionalWith(PositiveInt, { default: () => 16 }).annotations({
    description: "Model calls per run before it stops with max_steps (default 16)."
  }),
  step_timeout_ms: Schema.optionalWith(PositiveInt, { default: () => 30_000 }).annotations({
    description: "Timeout of one step, in milliseconds (default 30000)."
  }),
  session_queue_size: Schema.optionalWith(PositiveInt, { default: () => 1000 }).annotations({
    description: "Runs that may wait for a busy session (default 1000)."
  }),
  event_queue_size: Schema.optionalWith(PositiveInt, { default: () => 2000 }).annotations({
    description: "Capacity of a run's event queue (default 2000)."
  })
}).annotations({ identifier: "RuntimeOptions", title: "agent runtime options" })

/**
 * @since 0.1.0
 * @category models
 */
export interface RuntimeOptions extends Schema.Schema.Type<typeof RuntimeOptions> {}

const AgentFields = Schema.Struct({
  id: Schema.propertySignature(AgentId).annotations({
    description: "Unique agent id (letters, digits, '_', '.', '-')."
  }),
  name: Schema.optional(NonEmptyString).annotations({ description: "Display name (default: the id)." }),
  instructions: Schema.optional(Schema.String).annotations({ description: "The system prompt." }),
  memory: Schema.optionalWith(MemoryRef, { default: () => Schema.decodeSync(MemoryRef)({ type: "window_buffer" }) })
    .annotations({ description: "Memory plugin (default window_buffer)." }),
  pattern: Schema.optionalWith(PatternRef, { default: () => Schema.decodeSync(PatternRef)({ type: "react" }) })
    .annotations({ description: "Agent loop pattern (default react)." }),
  llm: Schema.optionalWith(LlmConfig, { default: () => Schema.decodeSync(LlmConfig)({}) }).annotations({
    description: "The model (default the mock provider)."
  }),
  tool_executor: Schema.optional(ToolExecutorRef).annotations({ description: "Tool executor plugin." }),
  context_assembler: Schema.optional(ContextAssemblerRef).annotations({
    description: "Context assembler plugin."
  }),
  tools: Schema.optionalWith(Schema.Array(ToolRef), { default: () => [] }).annotations({
    description: "The agent's tools (default none)."
  }),
  runtime: Schema.optionalWith(RuntimeOptions, { default: () => Schema.decodeSync(RuntimeOptions)({}) })
    .annotations({ description: "Limits of the agent's runs." }),
  output_schema: Schema.optional(JsonObject).annotations({
    description: "JSON Schema the final output must match (the answer is parsed as JSON)."
  })
})

/**
 * One entry of `agents`. Decoding fills `name` from `id` when it is absent.
 *
 * @since 0.1.0
 * @category schemas
 */
export const AgentConfig = Schema.transform(
  AgentFields,
  Schema.extend(Schema.typeSchema(AgentFields).pipe(Schema.omit("name")), Schema.Struct({ name: Schema.String })),
  {
    strict: true,
    decode: (agent) => ({ ...agent, name: agent.name ?? agent.id }),
    encode: (agent) => agent
  }
).annotations({ identifier: "AgentConfig", title: "agent" })

/**
 * @since 0.1.0
 * @category models
 */
export interface AgentConfig extends Schema.Schema.Type<typeof AgentConfig> {}

// ---------------------------------------------------------------------------------------------------------
// the file
// ---------------------------------------------------------------------------------------------------------

/**
 * The whole `agent.json`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const AppConfig = Schema.Struct({
  $schema: Schema.optional(Schema.String).annotations({
    description: "Path or URL of this format's JSON Schema, for editors."
  }),
  version: Schema.optionalWith(NonEmptyString, { default: () => "1.0" }).annotations({
    description: "Format version (default \"1.0\")."
  }),
  agents: Schema.Array(AgentConfig).pipe(
    Schema.minItems(1),
    Schema.annotations({
      description: "a non-empty array of agents",
      [MessageAnnotationId]: {
        message: () => "must contain at least one agent",
        hint: () => "add an agent, e.g. {\"id\": \"assistant\"}"
      } satisfies ConfigMessage
    })
  ),
  runtime: Schema.optionalWith(RuntimeRef, { default: () => Schema.decodeSync(RuntimeRef)({ type: "default" }) })
    .annotations({ description: "Runtime plugin (default 'default')." }),
  session: Schema.optionalWith(SessionRef, { default: () => Schema.decodeSync(SessionRef)({ type: "in_memory" }) })
    .annotations({ description: "Session store (default in_memory)." }),
  events: Schema.optionalWith(EventsRef, { default: () => Schema.decodeSync(EventsRef)({ type: "async" }) })
    .annotations({ description: "Event bus (default async)." }),
  skills: Schema.optionalWith(SkillsRef, { default: () => Schema.decodeSync(SkillsRef)({ type: "none" }) })
    .annotations({ description: "Skills plugin (default none)." })
}).annotations({ identifier: "AppConfig", title: "openagents agent.json" })

/**
 * A decoded `agent.json`, defaults applied.
 *
 * @since 0.1.0
 * @category models
 */
export interface AppConfig extends Schema.Schema.Type<typeof AppConfig> {}

/**
 * An `agent.json` as written (every defaulted field optional).
 *
 * @since 0.1.0
 * @category models
 */
export interface AppConfigEncoded extends Schema.Schema.Encoded<typeof AppConfig> {}
