/**
 * The builtin plugin `type` names of `agent.json`, per seam, each with a one-line description and the
 * Schema of its `config` object. Config validation, `openagents list-plugins` and the code that maps a
 * config to Layers all read this one table, so a name is added in exactly one place.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"

// Kept local (and not imported from AppConfig.ts) because AppConfig.ts imports this module.
const PositiveInt = Schema.Int.pipe(Schema.positive()).annotations({ description: "a positive integer" })
const NonEmptyString = Schema.String.pipe(Schema.minLength(1)).annotations({ description: "a non-empty string" })
const NonNegativeInt = Schema.Int.pipe(Schema.nonNegative()).annotations({ description: "a non-negative integer" })

const isTimezone = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone })
    return true
  } catch {
    return false
  }
}

const Timezone = Schema.String.pipe(Schema.filter(isTimezone)).annotations({
  description: "an IANA timezone name such as 'UTC' or 'Europe/Paris'"
})

/**
 * The extension points that a config names plugins for.
 *
 * @since 0.1.0
 * @category models
 */
export type Seam =
  | "memory"
  | "pattern"
  | "tool"
  | "tool_executor"
  | "context_assembler"
  | "session"
  | "events"
  | "skills"
  | "runtime"

/**
 * Every seam, in the order `list-plugins` prints them.
 *
 * @since 0.1.0
 * @category constants
 */
export const seams: ReadonlyArray<Seam> = [
  "memory",
  "pattern",
  "tool",
  "tool_executor",
  "context_assembler",
  "session",
  "events",
  "skills",
  "runtime"
]

/**
 * How messages name each seam (`unknown tool executor type 'x'`).
 *
 * @since 0.1.0
 * @category constants
 */
export const seamLabel: { readonly [S in Seam]: string } = {
  memory: "memory",
  pattern: "pattern",
  tool: "tool",
  tool_executor: "tool executor",
  context_assembler: "context assembler",
  session: "session",
  events: "events",
  skills: "skills",
  runtime: "runtime"
}

/**
 * One builtin plugin: what it does and the Schema of its `config` object (decoded with excess keys
 * rejected, so an unknown key is an error).
 *
 * @since 0.1.0
 * @category models
 */
export interface BuiltinSpec {
  readonly description: string
  readonly config: Schema.Schema.AnyNoContext
}

// ---------------------------------------------------------------------------------------------------------
// config schemas of the builtins
// ---------------------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------------------
// the table
// ---------------------------------------------------------------------------------------------------------

/**
 * The builtin plugins of each seam, by `type` name.
 *
 * @since 0.1.0
 * @category constants
 */
export const builtins = {
  memory: {
    window_buffer: {
      description: "Replays the last `window_size` turns of the session to the model (default 20).",
      config: WindowBufferConfig
    },
    buffer: {
      description: "Alias of window_buffer sized by `max_items` (the Python SDK's name).",
      config: BufferConfig
    }
  },
  pattern: {
    react: {
      description: "ReAct with native tool calling: the model calls tools until it answers without one.",
      config: NoConfig
    }
  },
  tool: {
    calc: {
      description: "Evaluates an arithmetic expression exactly (+ - * / % ** ^, parentheses, pi, e, sqrt, ...).",
      config: ToolConfig
    },
    current_time: {
      description: "Returns the current date and time (ISO 8601, local time in a given IANA timezone).",
      config: CurrentTimeConfig
    },
    json_parse: {
      description: "Parses a JSON text (optionally returning the part at a path) or says where it is invalid.",
      config: ToolConfig
    },
    text_transform: {
      description: "Transforms or measures a text: case, reverse, trim, length, word_count, slug.",
      config: ToolConfig
    }
  },
  tool_executor: {
    default: {
      description: "Validates tool arguments and runs each call under a timeout (`default_timeout_ms`).",
      config: DefaultToolExecutorConfig
    }
  },
  context_assembler: {
    passthrough: {
      description: "Sends the whole transcript to the model unchanged.",
      config: NoConfig
    }
  },
  session: {
    in_memory: {
      description: "Keeps sessions in process memory; they are gone when the process exits.",
      config: NoConfig
    },
    jsonl_file: {
      description: "Stores each session as append-only JSONL files under `root_dir`.",
      config: JsonlFileSessionConfig
    },
    sqlite: {
      description: "Stores sessions in the SQLite database file at `db_path`.",
      config: SqliteSessionConfig
    }
  },
  events: {
    async: {
      description: "In-process event bus that never blocks a run; keeps the last `max_history` events.",
      config: AsyncEventsConfig
    }
  },
  skills: {
    none: {
      description: "No skills.",
      config: NoConfig
    }
  },
  runtime: {
    default: {
      description: "The default agent runtime.",
      config: NoConfig
    }
  }
} as const satisfies { readonly [S in Seam]: { readonly [name: string]: BuiltinSpec } }

/**
 * The builtin `type` names of a seam, as a union of string literals.
 *
 * @since 0.1.0
 * @category models
 */
export type TypeName<S extends Seam> = keyof (typeof builtins)[S] & string

/**
 * The builtin `type` names of a seam, in table order.
 *
 * @since 0.1.0
 * @category getters
 */
export const typeNames = <S extends Seam>(seam: S): readonly [TypeName<S>, ...Array<TypeName<S>>] =>
  Object.keys(builtins[seam]) as unknown as readonly [TypeName<S>, ...Array<TypeName<S>>]

/**
 * Looks up a builtin by seam and `type` name.
 *
 * @since 0.1.0
 * @category getters
 */
export const get = (seam: Seam, name: string): BuiltinSpec | undefined => {
  const table: { readonly [name: string]: BuiltinSpec } = builtins[seam]
  return Object.hasOwn(table, name) ? table[name] : undefined
}

/**
 * The values of `llm.provider`, each with a one-line description.
 *
 * @since 0.1.0
 * @category constants
 */
export const providers = {
  mock: "Offline model for tests and demos: echoes the input, or plays back `llm.script` step by step.",
  anthropic: "Anthropic Messages API (key from `api_key_env`, default ANTHROPIC_API_KEY).",
  openai: "OpenAI API, Chat Completions or Responses (`openai_api_style`; key default OPENAI_API_KEY).",
  openai_compatible: "Any OpenAI-compatible server at `api_base` (vLLM, Ollama, LiteLLM proxy, ...)."
} as const

/**
 * A value of `llm.provider`.
 *
 * @since 0.1.0
 * @category models
 */
export type ProviderName = keyof typeof providers

/**
 * The values of `llm.provider`, in table order.
 *
 * @since 0.1.0
 * @category constants
 */
export const providerNames = Object.keys(providers) as unknown as readonly [ProviderName, ...Array<ProviderName>]

/**
 * One config key of a builtin, as `list-plugins` shows it.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConfigKey {
  readonly name: string
  readonly required: boolean
  readonly description: string | undefined
}

/**
 * One row of {@link list}.
 *
 * @since 0.1.0
 * @category models
 */
export interface BuiltinEntry {
  readonly seam: Seam
  readonly name: string
  readonly description: string
  readonly configKeys: ReadonlyArray<ConfigKey>
}

/**
 * The config keys a config Schema accepts (read from its encoded side, where defaults are optional).
 *
 * @since 0.1.0
 * @category getters
 */
export const configKeys = (schema: Schema.Schema.AnyNoContext): ReadonlyArray<ConfigKey> => {
  const ast = AST.encodedAST(schema.ast)
  if (!AST.isTypeLiteral(ast)) return []
  const typeSide = AST.typeAST(schema.ast)
  return ast.propertySignatures.map((ps) => {
    const typePs = AST.isTypeLiteral(typeSide) ? typeSide.propertySignatures.find((p) => p.name === ps.name) : undefined
    const description = [typePs, ps]
      .flatMap((p) => (p === undefined ? [] : [AST.getDescriptionAnnotation(p)]))
      .find((o) => o._tag === "Some")
    return {
      name: String(ps.name),
      required: !ps.isOptional,
      description: description?._tag === "Some" ? description.value : undefined
    }
  })
}

/**
 * Every builtin of every seam (providers excluded, see {@link providers}), for `openagents list-plugins`.
 *
 * @since 0.1.0
 * @category getters
 */
export const list = (): ReadonlyArray<BuiltinEntry> =>
  seams.flatMap((seam) => {
    const table: { readonly [name: string]: BuiltinSpec } = builtins[seam]
    return Object.entries(table).map(([name, spec]) => ({
      seam,
      name,
      description: spec.description,
      configKeys: configKeys(spec.config)
    }))
  })
