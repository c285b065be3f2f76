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
import { JsonObject, NonEmptyString, PositiveInt } from "./internal/primitives.js"
import { LlmConfig } from "./LlmConfig.js"
import * as Builtins from "./Registry.js"
import { MultiAgentConfig } from "./MultiAgentConfig.js"
import { ClusterConfig } from "./ClusterConfig.js"
import { TelemetryConfig } from "./TelemetryConfig.js"
import { TracesConfig } from "./TracesConfig.js"

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
 * `agents[].tool_executor` as a list: executors applied outermost-first, each wrapping the next one
 * (`[policy, retry, default]`); the last runs over `default` unless it is `default`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const ToolExecutorRefs = Schema.Array(ToolExecutorRef).pipe(
  Schema.minItems(1),
  Schema.annotations({
    description: "a non-empty array of tool executors",
    [MessageAnnotationId]: {
      message: () => "must list at least one tool executor",
      hint: () => "remove tool_executor for the default, or list e.g. [{\"type\": \"retry\"}, {\"type\": \"default\"}]"
    } satisfies ConfigMessage
  })
)

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
  }),
  concurrency_safe: Schema.optional(Schema.Boolean).annotations({
    description:
      "Whether calls of this tool may run at the same time as other calls of one model answer (default: the tool's own setting)."
  }),
  approval_mode: Schema.optional(Schema.Literal("always", "never", "policy")).annotations({
    description: "When a call needs a human's approval: always, never (default) or policy (see approval_policy)."
  }),
  approval_policy: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String })).annotations({
    description: "For approval_mode policy: argument name -> regular expression; a call needs approval when one " +
      "of these arguments (as text) matches. Without it every call needs approval."
  }),
  editable_params: Schema.optional(Schema.Array(Schema.String)).annotations({
    description: "Arguments an approver may change before the call runs (default none)."
  })
}).annotations({ identifier: "ToolRef", title: "tool" })

/**
 * @since 0.1.0
 * @category models
 */
export interface ToolRef extends Schema.Schema.Type<typeof ToolRef> {}

/**
 * The `llm` block's Schemas (LlmConfig, Provider, RetryConfig, PricingConfig, MockStep, ...), kept in
 * their own module.
 *
 * @since 0.1.0
 */
export * from "./LlmConfig.js"

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
  }),
  max_concurrent_tools: Schema.optionalWith(PositiveInt, { default: () => 10 }).annotations({
    description: "Calls of one model answer that may run at the same time, for concurrency-safe tools (default 10)."
  }),
  approval_timeout_ms: Schema.optional(PositiveInt).annotations({
    description: "How long a tool call waits for approval before the run stops with approval_timeout (default: no limit)."
  })
}).annotations({ identifier: "RuntimeOptions", title: "agent runtime options" })

/**
 * @since 0.1.0
 * @category models
 */
export interface RuntimeOptions extends Schema.Schema.Type<typeof RuntimeOptions> {}

const executorsDoc = "Tool executor plugin, or a list of them applied outermost-first, each wrapping the next " +
  "(e.g. [policy, retry, default]; the last runs over 'default' unless it is 'default')."

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
  tool_executor: Schema.optional(Schema.Union(ToolExecutorRef, ToolExecutorRefs).annotations({ description: executorsDoc }))
    .annotations({ description: executorsDoc }),
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
    .annotations({ description: "Skills plugin (default none)." }),
  traces: Schema.optional(TracesConfig).annotations({
    description: "Traces of runs (on by default; in the sessions' SQLite file when sessions are SQLite, else in memory)."
  }),
  multi_agent: Schema.optional(MultiAgentConfig).annotations({
    description: "Defaults of delegation to other agents (tools of type agent and handoff)."
  }),
  telemetry: Schema.optional(TelemetryConfig).annotations({
    description: "OpenTelemetry spans and metrics over OTLP/HTTP (off unless enabled here or by OTEL_* variables)."
  }),
  cluster: Schema.optional(ClusterConfig).annotations({
    description: "A cluster deployment: runners (openagents runner) and clients (run --cluster) meeting on PostgreSQL."
  })
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
