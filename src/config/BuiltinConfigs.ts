/**
 * The Schemas of the `config` objects of the builtin plugin types (read by the one table of builtins,
 * `Registry.ts`, which re-exports them).
 *
 * @since 0.2.0
 */
import * as Schema from "effect/Schema"
import * as CurrentTime from "../tools/builtin/CurrentTime.js"

// Kept local (and not imported from AppConfig.ts) because AppConfig.ts imports the registry, which imports this.
const PositiveInt = Schema.Int.pipe(Schema.positive()).annotations({ description: "a positive integer" })
const NonEmptyString = Schema.String.pipe(Schema.minLength(1)).annotations({ description: "a non-empty string" })
const NonNegativeInt = Schema.Int.pipe(Schema.nonNegative()).annotations({ description: "a non-negative integer" })

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
export * from "./internal/memoryConfigs.js"
