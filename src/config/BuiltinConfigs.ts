/**
 * The Schemas of the `config` objects of the builtin plugin types (read by the one table of builtins,
 * `Registry.ts`, which re-exports them).
 *
 * @since 0.2.0
 */
import * as JSONSchema from "effect/JSONSchema"
import * as Schema from "effect/Schema"
import * as CurrentTime from "../tools/builtin/CurrentTime.js"
import { type ConfigMessage, MessageAnnotationId } from "./internal/annotations.js"
import { NonEmptyString, NonNegativeInt, PositiveInt } from "./internal/primitives.js"

const Timezone = Schema.String.pipe(Schema.filter(CurrentTime.isValidTimezone)).annotations({
  description: "an IANA timezone name such as 'UTC' or 'Europe/Paris'"
})

/**
 * Config of the `window_buffer` memory.
 *
 * @since 0.1.0
 * @category schemas
 */
export const WindowBufferConfig = Schema.Struct({
  window_size: Schema.optionalWith(PositiveInt, { default: () => 20 }).annotations({
    description: "How many turns of the session to keep (default 20)."
  }),
  state_key: Schema.optional(NonEmptyString).annotations({
    description: "The session state key holding the turns (default 'memory_buffer')."
  })
})

/**
 * Config of the `buffer` memory (the Python SDK's name for a window buffer sized by `max_items`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const BufferConfig = Schema.Struct({
  max_items: Schema.optional(PositiveInt).annotations({
    description: "How many turns of the session to keep."
  }),
  state_key: Schema.optional(NonEmptyString).annotations({
    description: "The session state key holding the turns (default 'memory_buffer')."
  })
})

/**
 * Config of the `default` tool executor.
 *
 * @since 0.1.0
 * @category schemas
 */
export const DefaultToolExecutorConfig = Schema.Struct({
  default_timeout_ms: Schema.optional(PositiveInt).annotations({
    description: "Timeout of a tool call whose tool declares none, in milliseconds (default 30000)."
  })
})

/**
 * Config of the `jsonl_file` session store.
 *
 * @since 0.1.0
 * @category schemas
 */
export const JsonlFileSessionConfig = Schema.Struct({
  root_dir: Schema.propertySignature(NonEmptyString).annotations({
    description: "Directory holding one JSONL file per session (relative paths are resolved against the config file)."
  }),
  fsync: Schema.optional(Schema.Boolean).annotations({
    description: "fsync every append (default false)."
  }),
  lock_timeout_ms: Schema.optional(NonNegativeInt).annotations({
    description: "How long to wait for a session locked by another process, in milliseconds (default 5000)."
  })
})

/**
 * Config of the `sqlite` session store.
 *
 * @since 0.1.0
 * @category schemas
 */
export const SqliteSessionConfig = Schema.Struct({
  db_path: Schema.propertySignature(NonEmptyString).annotations({
    description: "Path of the SQLite database file (relative paths are resolved against the config file)."
  }),
  busy_timeout_ms: Schema.optional(NonNegativeInt).annotations({
    description: "How long a statement waits for another connection's write lock, in milliseconds (default 5000)."
  }),
  lock_timeout_ms: Schema.optional(NonNegativeInt).annotations({
    description: "How long to wait for a session locked by another process, in milliseconds (default 5000)."
  })
})

/**
 * Config of the `postgres` session store.
 *
 * @since 0.4.0
 * @category schemas
 */
export const PostgresSessionConfig = Schema.Struct({
  url: Schema.propertySignature(
    NonEmptyString.pipe(Schema.pattern(/^postgres(ql)?:\/\//)).annotations({
      description: "a postgres:// or postgresql:// URL"
    })
  ).annotations({
    description:
      "postgres://user:password@host:5432/database (write the password as ${PG_PASSWORD} to keep it out of the file; config show --redact hides it)."
  }),
  schema: Schema.optional(
    Schema.String.pipe(Schema.pattern(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/)).annotations({
      description: "a PostgreSQL schema name: letters, digits and underscores, not starting with a digit"
    })
  ).annotations({
    description: "The PostgreSQL schema holding the tables, created if missing (default public)."
  }),
  lock_timeout_ms: Schema.optional(NonNegativeInt).annotations({
    description: "How long to wait for a session locked by another process, in milliseconds (default 5000)."
  }),
  max_connections: Schema.optional(PositiveInt).annotations({
    description: "Connections for reads and writes (default 10); leases use max_lease_connections more."
  }),
  max_lease_connections: Schema.optional(PositiveInt).annotations({
    description: "Connections holding session leases, one per session a run holds at a time (default 20): the " +
      "most runs of distinct sessions this process runs at once."
  }),
  connect_timeout_ms: Schema.optional(PositiveInt).annotations({
    description: "How long connecting, or waiting for a free connection, may take, in milliseconds (default 5000)."
  })
})

/**
 * Config of the `async` event bus.
 *
 * @since 0.1.0
 * @category schemas
 */
export const AsyncEventsConfig = Schema.Struct({
  max_history: Schema.optional(PositiveInt).annotations({
    description: "How many recent events the bus keeps for late subscribers (default 10000)."
  })
})

const EventNames = Schema.Array(NonEmptyString).annotations({ description: "an array of event names ('*' matches any characters)" })

/**
 * Config of the `file_logging` event bus: the `async` bus, with its events also written to a JSONL file.
 *
 * @since 0.4.0
 * @category schemas
 */
export const FileLoggingEventsConfig = Schema.Struct({
  log_path: Schema.propertySignature(NonEmptyString).annotations({
    description: "The JSONL file (relative paths are resolved against the config file; its folder is created)."
  }),
  include_events: Schema.optional(EventNames).annotations({
    description: "Event names to write, e.g. [\"run.*\", \"tool.*\"] (default all)."
  }),
  exclude_events: Schema.optional(EventNames).annotations({ description: "Event names not to write, e.g. [\"llm.delta\"]." }),
  redact_keys: Schema.optional(Schema.Array(NonEmptyString)).annotations({
    description: "Keys whose values are written as \"***\", at any depth, case-insensitive " +
      "(default api_key, apikey, authorization, token, access_token, password, secret)."
  }),
  max_value_length: Schema.optional(PositiveInt).annotations({
    description: "Strings longer than this are cut, noting how much (default 10000)."
  }),
  max_bytes: Schema.optional(NonNegativeInt).annotations({
    description: "Rotate the file before it grows past this many bytes (default 10485760; 0 never rotates)."
  }),
  backups: Schema.optional(NonNegativeInt).annotations({
    description: "Rotated files kept, <log_path>.1 being the newest (default 5; 0 starts the file over)."
  }),
  max_history: Schema.optional(PositiveInt).annotations({
    description: "How many recent events the bus keeps for late subscribers (default 10000)."
  })
})

const toolTimeout = Schema.optional(PositiveInt).annotations({
  description: "Timeout of one call of the tool, in milliseconds (default: the tool executor's)."
})

/**
 * Config of the builtin tools `calc`, `json_parse` and `text_transform`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ToolConfig = Schema.Struct({
  timeout_ms: toolTimeout
})

/**
 * Config of the builtin `current_time` tool.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CurrentTimeConfig = Schema.Struct({
  timeout_ms: toolTimeout,
  default_timezone: Schema.optional(Timezone).annotations({
    description: "IANA timezone used when the model gives none (default 'UTC')."
  })
})

/**
 * The config of a builtin that takes no config keys.
 *
 * @since 0.1.0
 * @category schemas
 */
export const NoConfig = Schema.Struct({})

const STDIO_KEYS = ["args", "env", "cwd", "env_passthrough"] as const

const mcpServerProblem = (server: Record<string, unknown>): string | undefined => {
  const has = (key: string) => server[key] !== undefined
  if (has("command") && has("url")) return "takes `command` (a server over stdio) or `url` (over streamable HTTP), not both"
  if (!has("command") && !has("url")) return "needs `command` (a server over stdio) or `url` (over streamable HTTP)"
  if (has("url")) {
    const stray = STDIO_KEYS.filter(has)
    if (stray.length > 0) return `${stray.map((k) => `\`${k}\``).join(", ")} apply to a \`command\` server, not to a \`url\` one`
  }
  if (has("command") && has("headers")) return "`headers` apply to a `url` server, not to a `command` one"
  return undefined
}

const McpServerKeys = Schema.Struct({
  command: Schema.optional(NonEmptyString).annotations({
    description: "Stdio: the program that runs the server (looked up on PATH), e.g. 'npx' or 'node'."
  }),
  args: Schema.optional(Schema.Array(Schema.String)).annotations({ description: "Stdio: its arguments." }),
  env: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String })).annotations({
    description: "Stdio: environment variables set for the server (besides HOME, PATH, SHELL, TERM, USER, LOGNAME)."
  }),
  cwd: Schema.optional(NonEmptyString).annotations({
    description: "Stdio: working directory of the server (relative paths are resolved against the config file)."
  }),
  env_passthrough: Schema.optional(Schema.Array(NonEmptyString)).annotations({
    description: "Stdio: names of environment variables of this process passed on to the server, e.g. ['GITHUB_TOKEN']."
  }),
  url: Schema.optional(
    Schema.String.pipe(Schema.pattern(/^https?:\/\/\S+$/)).annotations({ description: "an http:// or https:// URL" })
  ).annotations({ description: "HTTP: the server's streamable HTTP endpoint, e.g. 'http://127.0.0.1:3000/mcp'." }),
  headers: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String })).annotations({
    description: "HTTP: headers sent with every request, e.g. {\"Authorization\": \"Bearer ${TOKEN}\"}."
  }),
  init_timeout_ms: Schema.optionalWith(PositiveInt, { default: () => 30_000 }).annotations({
    description: "How long the server may take to start and answer `initialize`, in milliseconds (default 30000)."
  })
})

const McpServer = McpServerKeys.pipe(
  Schema.filter((server) => mcpServerProblem(server) === undefined, {
    description: "an MCP server: {command, args, env, cwd, env_passthrough} or {url, headers}",
    // the keys, and exactly one of `command` and `url` (the JSON Schema of a filter replaces its struct's)
    jsonSchema: {
      ...JSONSchema.fromAST(McpServerKeys.ast, { definitions: {}, topLevelReferenceStrategy: "skip" }),
      oneOf: [
        { type: "object", required: ["command"], properties: { command: true } },
        { type: "object", required: ["url"], properties: { url: true } }
      ]
    },
    [MessageAnnotationId]: {
      message: (actual: unknown) => mcpServerProblem(actual as Record<string, unknown>) ?? "is not a valid MCP server",
      hint: () => "e.g. {\"command\": \"npx\", \"args\": [\"-y\", \"@modelcontextprotocol/server-everything\"]} or {\"url\": \"http://127.0.0.1:3000/mcp\"}"
    } satisfies ConfigMessage
  })
)

/**
 * Config of the `mcp` tool: the tools of an MCP server, each offered to the model under its own name.
 *
 * @since 0.2.0
 * @category schemas
 */
export const McpToolConfig = Schema.Struct({
  server: Schema.propertySignature(McpServer).annotations({
    description: "How to reach the server: {command, args, env, cwd, env_passthrough} over stdio, or {url, headers} over streamable HTTP."
  }),
  tools: Schema.optional(Schema.Array(NonEmptyString)).annotations({
    description: "The server's tools offered to the model (default: all of them)."
  }),
  connection_mode: Schema.optionalWith(Schema.Literal("runtime", "session", "per_call", "pooled"), {
    default: () => "runtime" as const
  }).annotations({
    description: "One connection for the runtime (default), one per session ('pooled' is an alias), or one per call."
  }),
  idle_timeout_ms: Schema.optional(PositiveInt).annotations({
    description: "In session mode, how long a session's connection is kept without calls, in milliseconds (default 300000)."
  }),
  timeout_ms: toolTimeout
})
export * from "./internal/executorConfigs.js"
export * from "./internal/patternConfigs.js"
export * from "./internal/memoryConfigs.js"
