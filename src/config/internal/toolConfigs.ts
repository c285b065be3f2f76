/**
 * The Schemas of the `config` objects of the builtin tools that act on the world (files, processes, the
 * network, the environment), read by the tool rows of the builtin table (`builtins/tools.ts`).
 *
 * @since 0.2.0
 */
import * as Schema from "effect/Schema"
import * as HttpRequest from "../../tools/builtin/HttpRequest.js"
import { NonEmptyString, NonNegativeInt, NonNegativeNumber, PositiveInt } from "./primitives.js"

const timeout_ms = Schema.optional(PositiveInt).annotations({
  description: "Timeout of one call of the tool, in milliseconds (default: the tool executor's)."
})

const root = Schema.propertySignature(NonEmptyString).annotations({
  description: "The folder the tool is confined to (relative paths are resolved against the config file's folder)."
})

/**
 * A child run's budget in agent.json (the fields of `RunBudget` a parent can hand down).
 *
 * @since 0.4.0
 * @category schemas
 */
export const ChildBudget = Schema.Struct({
  max_steps: Schema.optional(PositiveInt),
  max_tool_calls: Schema.optional(NonNegativeInt),
  max_cost_usd: Schema.optional(NonNegativeNumber),
  max_duration_ms: Schema.optional(PositiveInt)
})

/**
 * The budget of a child run as `SubAgent`/`Handoff` take it.
 *
 * @since 0.4.0
 * @category conversions
 */
export const childBudgetOf = (b: typeof ChildBudget.Type | undefined) =>
  b && { maxSteps: b.max_steps, maxToolCalls: b.max_tool_calls, maxCostUsd: b.max_cost_usd, maxDurationMs: b.max_duration_ms }

const bytes = (what: string, fallback: string) =>
  Schema.optional(PositiveInt).annotations({ description: `${what}, in bytes (default ${fallback}).` })

/**
 * Config of `read_file`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const ReadFileConfig = Schema.Struct({
  root,
  max_read_bytes: bytes("Most of a file returned", "1048576"),
  timeout_ms
})

/**
 * Config of `write_file`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const WriteFileConfig = Schema.Struct({
  root,
  max_write_bytes: bytes("Most a call may write", "1048576"),
  exactly_once_appends: Schema.optional(Schema.Boolean).annotations({
    description: "Record each append in <root>/.openagents/ first, so a resumed durable run never appends a call's " +
      "text twice; the tool is then idempotent (default true)."
  }),
  timeout_ms
})

/**
 * Config of `list_files`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const ListFilesConfig = Schema.Struct({
  root,
  max_entries: Schema.optional(PositiveInt).annotations({ description: "Most entries listed (default 1000)." }),
  timeout_ms
})

/**
 * Config of `delete_file`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const DeleteFileConfig = Schema.Struct({ root, timeout_ms })

/**
 * Config of `grep_files`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const GrepFilesConfig = Schema.Struct({
  root,
  max_matches: Schema.optional(PositiveInt).annotations({ description: "Most matching lines returned (default 200)." }),
  max_read_bytes: bytes("Most of each file searched", "1048576"),
  timeout_ms
})

/**
 * Config of `http_request`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const HttpRequestConfig = Schema.Struct({
  allowed_hosts: Schema.optional(Schema.Array(NonEmptyString)).annotations({
    description: "Host names the tool may reach, exact or '*.example.com' (default: any public host)."
  }),
  allow_private: Schema.optional(Schema.Boolean).annotations({
    description: "Allow loopback, private and link-local addresses (default false)."
  }),
  allowed_methods: Schema.optional(Schema.Array(HttpRequest.Method)).annotations({
    description: "HTTP methods the model may use (default GET and HEAD)."
  }),
  max_response_bytes: bytes("Most of an answer's body read", "1048576"),
  max_request_bytes: bytes("Largest request body", "1048576"),
  timeout_ms: Schema.optional(PositiveInt).annotations({
    description: "Longest a request may take, answer included, in milliseconds (default 30000)."
  })
})

/**
 * Config of `shell_exec`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const ShellExecConfig = Schema.Struct({
  root: Schema.propertySignature(NonEmptyString).annotations({
    description: "The folder the working directory is confined to (relative paths are resolved against the config file's folder)."
  }),
  allowed_commands: Schema.propertySignature(Schema.NonEmptyArray(NonEmptyString)).annotations({
    description: "Programs the model may run, by exact name (looked up on PATH) or absolute path."
  }),
  env_passthrough: Schema.optional(Schema.Array(NonEmptyString)).annotations({
    description: "Environment variables passed to the program besides PATH (default none)."
  }),
  timeout_ms: Schema.optional(PositiveInt).annotations({
    description: "Kill the program's process group after this many milliseconds (default 60000)."
  }),
  capture_bytes: bytes("Most of stdout and of stderr kept; more kills the program", "1048576")
})

/**
 * Config of `get_env`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const GetEnvConfig = Schema.Struct({
  allowed_keys: Schema.propertySignature(Schema.NonEmptyArray(NonEmptyString)).annotations({
    description: "The environment variables the model may read."
  }),
  timeout_ms
})

/**
 * Config of `remember_preference`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const RememberPreferenceConfig = Schema.Struct({
  root,
  file: Schema.optional(NonEmptyString).annotations({
    description: "The Markdown file, relative to root (default 'preferences.md')."
  }),
  timeout_ms
})

/**
 * Config of `agent`: another agent of the config as a tool (a child run, see `SubAgent`).
 *
 * @since 0.2.0
 * @category schemas
 */
export const SubAgentToolConfig = Schema.Struct({
  agent: Schema.propertySignature(NonEmptyString).annotations({
    description: "The id of the agent to run (one of this config's agents)."
  }),
  description: Schema.optional(NonEmptyString).annotations({
    description: "What the model reads about the tool (default: a sentence naming the agent)."
  }),
  session: Schema.optional(Schema.Literal("isolated", "shared", "forked")).annotations({
    description: "The child's session: 'isolated' (its own, '<parent session>/<call id>'), 'shared' (the parent's), or 'forked' (a copy of the parent's) (default: multi_agent.default_session_isolation, else 'isolated')."
  }),
  budget: Schema.optional(ChildBudget).annotations({ description: "A budget of the child's own, capped by what the parent has left." }),
  background: Schema.optional(Schema.Boolean).annotations({
    description: "Start the child as a background task: the call answers at once with its task id (default false)."
  }),
  timeout_ms
})

/**
 * Config of `handoff`: hands the conversation to another agent of the config (see `Handoff`).
 *
 * @since 0.4.0
 * @category schemas
 */
export const HandoffToolConfig = Schema.Struct({
  agent: Schema.propertySignature(NonEmptyString).annotations({
    description: "The id of the agent to hand the conversation to (one of this config's agents)."
  }),
  description: Schema.optional(NonEmptyString).annotations({
    description: "What the model reads about the tool (default: a sentence naming the agent)."
  }),
  session: Schema.optional(Schema.Literal("shared", "isolated", "forked")).annotations({
    description: "Where the other agent answers: 'shared' (default: the conversation's session, which it continues), 'isolated' or 'forked'."
  }),
  budget: Schema.optional(ChildBudget).annotations({ description: "A budget of the other agent's own, capped by what the run has left." }),
  timeout_ms
})
