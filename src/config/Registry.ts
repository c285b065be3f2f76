/**
 * The one table of builtin plugin types: per seam, each `type` name of `agent.json` with its one-line
 * description, the Schema of its `config` object and the constructor that turns a decoded config into
 * the seam's value (a Layer, or a Tool). The loader's validation, the JSON Schema export
 * (`openagents schema`), `openagents list-plugins`, `openagents validate` and the Layers built from a
 * config all read it, so a builtin is added in exactly one place.
 *
 * @since 0.2.0
 */
import * as Either from "effect/Either"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"
import * as path from "node:path"
import * as ContextAssembler from "../context/ContextAssembler.js"
import * as EventBus from "../events/EventBus.js"
import { ConfigError, ConfigIssue, type SessionStoreError } from "../kernel/Errors.js"
import type { Memory } from "../memory/Memory.js"
import * as WindowBuffer from "../memory/WindowBuffer.js"
import type { Pattern } from "../patterns/Pattern.js"
import * as React from "../patterns/React.js"
import * as InMemorySessionStore from "../sessions/InMemorySessionStore.js"
import * as JsonlSessionStore from "../sessions/JsonlSessionStore.js"
import type { SessionStore } from "../sessions/SessionStore.js"
import * as Skills from "../skills/Skills.js"
import * as Calc from "../tools/builtin/Calc.js"
import * as CurrentTime from "../tools/builtin/CurrentTime.js"
import * as JsonParse from "../tools/builtin/JsonParse.js"
import * as TextTransform from "../tools/builtin/TextTransform.js"
import type { Tool } from "../tools/Tool.js"
import * as ToolExecutor from "../tools/ToolExecutor.js"
import {
  AsyncEventsConfig,
  BufferConfig,
  CurrentTimeConfig,
  DefaultToolExecutorConfig,
  JsonlFileSessionConfig,
  NoConfig,
  SqliteSessionConfig,
  ToolConfig,
  WindowBufferConfig
} from "./BuiltinConfigs.js"
import { decodeWith, formatPath, type Problem, type Segment, unknownKeyProblem } from "./internal/issues.js"

export * from "./BuiltinConfigs.js"

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
 * What the builtin of each seam becomes. The runtime has a single builtin and nothing to build.
 *
 * @since 0.2.0
 * @category models
 */
export interface Products {
  readonly memory: Layer.Layer<Memory, ConfigError>
  readonly pattern: Layer.Layer<Pattern, ConfigError>
  readonly tool: Tool
  readonly tool_executor: Layer.Layer<ToolExecutor.ToolExecutor, ConfigError>
  readonly context_assembler: Layer.Layer<ContextAssembler.ContextAssembler, ConfigError>
  readonly session: Layer.Layer<SessionStore, ConfigError>
  readonly events: Layer.Layer<EventBus.EventBus, ConfigError>
  readonly skills: Layer.Layer<Skills.Skills, ConfigError>
  readonly runtime: void
}

/**
 * Where a builtin is built: the config file's folder (relative paths are resolved against it), the
 * JSON path of its plugin ref (for errors) and, for a tool, its `id` (the name the model sees).
 *
 * @since 0.2.0
 * @category models
 */
export interface BuildContext {
  readonly dir: string
  readonly where: string
  readonly id: string
}

/**
 * One builtin plugin: what it does, the Schema of its `config` object (decoded with excess keys
 * rejected, so an unknown key is an error) and its constructor, which gets the decoded config.
 *
 * @since 0.2.0
 * @category models
 */
export interface Builtin<C, A> {
  readonly description: string
  readonly config: Schema.Schema<C, any>
  readonly make: (config: C, context: BuildContext) => A
}

/**
 * A builtin of any config type (how lookups by name see the table).
 *
 * @since 0.2.0
 * @category models
 */
export interface AnyBuiltin<A = unknown> {
  readonly description: string
  readonly config: Schema.Schema.AnyNoContext
  readonly make: (config: any, context: BuildContext) => A
}

/** Ties a constructor's parameter to its config Schema, so each builtin's `config` is typed. */
const builtin = <C, I, A>(spec: {
  readonly description: string
  readonly config: Schema.Schema<C, I>
  readonly make: (config: C, context: BuildContext) => A
}): Builtin<C, A> => spec

// ---------------------------------------------------------------------------------------------------------
// the table
// ---------------------------------------------------------------------------------------------------------

const storeError = (where: string, key: string) => (e: SessionStoreError) =>
  ConfigError.single(`${where}.config.${key}`, e.message, e.hint ? { hint: e.hint } : undefined)

const timeoutOf = (config: { readonly timeout_ms?: number | undefined }) =>
  config.timeout_ms === undefined ? {} : { timeoutMs: config.timeout_ms }

/**
 * The builtin plugins of each seam, by `type` name.
 *
 * @since 0.2.0
 * @category constants
 */
export const builtins = {
  memory: {
    window_buffer: builtin({
      description: "Replays the last `window_size` turns of the session to the model (default 20).",
      config: WindowBufferConfig,
      make: (c) => WindowBuffer.layer({ windowSize: c.window_size, ...(c.state_key !== undefined ? { stateKey: c.state_key } : {}) })
    }),
    buffer: builtin({
      description: "Alias of window_buffer sized by `max_items` (the Python SDK's name).",
      config: BufferConfig,
      make: (c) =>
        WindowBuffer.layer({
          windowSize: c.max_items ?? Number.MAX_SAFE_INTEGER,
          ...(c.state_key !== undefined ? { stateKey: c.state_key } : {})
        })
    })
  },
  pattern: {
    react: builtin({
      description: "ReAct with native tool calling: the model calls tools until it answers without one.",
      config: NoConfig,
      make: () => React.layer
    })
  },
  tool: {
    calc: builtin({
      description: "Evaluates an arithmetic expression exactly (+ - * / % ** ^, parentheses, pi, e, sqrt, ...).",
      config: ToolConfig,
      make: (c, { id }): Tool => Calc.make({ name: id, ...timeoutOf(c) })
    }),
    current_time: builtin({
      description: "Returns the current date and time (ISO 8601, local time in a given IANA timezone).",
      config: CurrentTimeConfig,
      make: (c, { id }): Tool =>
        CurrentTime.make({
          name: id,
          ...timeoutOf(c),
          ...(c.default_timezone !== undefined ? { defaultTimezone: c.default_timezone } : {})
        })
    }),
    json_parse: builtin({
      description: "Parses a JSON text (optionally returning the part at a path) or says where it is invalid.",
      config: ToolConfig,
      make: (c, { id }): Tool => JsonParse.make({ name: id, ...timeoutOf(c) })
    }),
    text_transform: builtin({
      description: "Transforms or measures a text: case, reverse, trim, length, word_count, slug.",
      config: ToolConfig,
      make: (c, { id }): Tool => TextTransform.make({ name: id, ...timeoutOf(c) })
    })
  },
  tool_executor: {
    default: builtin({
      description: "Validates tool arguments and runs each call under a timeout (`default_timeout_ms`).",
      config: DefaultToolExecutorConfig,
      make: (c) => ToolExecutor.layer(c.default_timeout_ms !== undefined ? { defaultTimeoutMs: c.default_timeout_ms } : {})
    })
  },
  context_assembler: {
    passthrough: builtin({
      description: "Sends the whole transcript to the model unchanged.",
      config: NoConfig,
      make: () => ContextAssembler.layerPassthrough
    })
  },
  session: {
    in_memory: builtin({
      description: "Keeps sessions in process memory; they are gone when the process exits.",
      config: NoConfig,
      make: () => InMemorySessionStore.layer
    }),
    jsonl_file: builtin({
      description: "Stores each session as append-only JSONL files under `root_dir`.",
      config: JsonlFileSessionConfig,
      make: (c, { dir, where }) =>
        Layer.mapError(
          JsonlSessionStore.layer({
            rootDir: path.resolve(dir, c.root_dir),
            fsync: c.fsync === true,
            lockTimeoutMs: c.lock_timeout_ms
          }),
          storeError(where, "root_dir")
        )
    }),
    sqlite: builtin({
      description: "Stores sessions in the SQLite database file at `db_path`.",
      config: SqliteSessionConfig,
      make: (c, { dir, where }) =>
        // loaded on first use: a config without SQLite sessions never loads the driver (a native addon),
        // which is an optional peer dependency of the package: its absence is a config error naming it
        Layer.unwrapEffect(
          Effect.map(
            Effect.tryPromise({
              try: () => import("../sessions/SqliteSessionStore.js"),
              catch: (e) =>
                ConfigError.single(
                  `${where}.type`,
                  `the sqlite session store needs the @effect/sql-sqlite-node package: ${(e as Error).message}`,
                  { hint: "install it: npm install @effect/sql-sqlite-node @effect/sql @effect/experimental" }
                )
            }),
            (SqliteSessionStore) =>
              Layer.mapError(
                SqliteSessionStore.layer({
                  dbPath: path.resolve(dir, c.db_path),
                  busyTimeoutMs: c.busy_timeout_ms,
                  lockTimeoutMs: c.lock_timeout_ms
                }),
                storeError(where, "db_path")
              )
          )
        )
    })
  },
  events: {
    async: builtin({
      description: "In-process event bus that never blocks a run; keeps the last `max_history` events.",
      config: AsyncEventsConfig,
      make: (c) => EventBus.layer(c.max_history !== undefined ? { maxHistory: c.max_history } : {})
    })
  },
  skills: {
    none: builtin({
      description: "No skills.",
      config: NoConfig,
      make: () => Skills.layerNone
    })
  },
  runtime: {
    default: builtin({
      description: "The default agent runtime.",
      config: NoConfig,
      make: () => undefined
    })
  }
} as const satisfies { readonly [S in Seam]: { readonly [name: string]: Builtin<any, Products[S]> } }

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
 * Looks up a builtin by seam and `type` name (own names only: `toString` is no builtin).
 *
 * @since 0.1.0
 * @category getters
 */
export const get = <S extends Seam>(seam: S, name: string): AnyBuiltin<Products[S]> | undefined => {
  // the generic seam widens the table to a union TypeScript cannot index; each row was checked by `satisfies`
  const table = builtins[seam] as unknown as { readonly [name: string]: AnyBuiltin<Products[S]> }
  return Object.hasOwn(table, name) ? table[name] : undefined
}

/**
 * Decodes the `config` of builtin `type` (absent or null means `{}`) with that type's own Schema, excess
 * keys rejected; each problem goes to `out` at its JSON path under `path` (unknown keys with a
 * did-you-mean). `None` when the type is unknown or the config does not fit.
 *
 * @since 0.2.0
 * @category decoding
 */
export const decodeConfig = (
  seam: Seam,
  type: string,
  config: unknown,
  path: ReadonlyArray<Segment>,
  out: Array<Problem>
): Option.Option<unknown> => {
  const spec = get(seam, type)
  if (spec === undefined) return Option.none()
  const value = config === undefined || config === null ? {} : config
  const owner = `${seamLabel[seam]} type '${type}'`
  const ast = AST.encodedAST(spec.config.ast)
  if (
    typeof value === "object" && !Array.isArray(value) && AST.isTypeLiteral(ast) &&
    ast.propertySignatures.length === 0 && ast.indexSignatures.length === 0
  ) {
    // `Schema.Struct({})` accepts any object, excess keys included: report every key here
    const keys = Object.keys(value)
    for (const key of keys) out.push(unknownKeyProblem(key, { path, struct: ast, owner }))
    return keys.length === 0 ? Option.some(value) : Option.none()
  }
  return decodeWith(spec.config, value, path, out, owner)
}

/**
 * Builds the builtin `type` of `seam` from its raw `config`: the config is decoded with the builtin's
 * Schema first (see {@link decodeConfig}), so every constructor gets a typed config with its defaults,
 * and a config that does not fit (one made in code, not by the loader) fails with issues at their paths.
 *
 * @since 0.2.0
 * @category constructors
 */
export const build = <S extends Seam>(
  seam: S,
  type: string,
  config: unknown,
  context: BuildContext
): Either.Either<Products[S], ConfigError> => {
  const spec = get(seam, type)
  if (spec === undefined) {
    return Either.left(
      ConfigError.single(`${context.where}.type`, `unknown ${seamLabel[seam]} type '${type}'`, {
        hint: `builtin ${seamLabel[seam]} types: ${typeNames(seam).join(", ")}`
      })
    )
  }
  const problems: Array<Problem> = []
  const decoded = decodeConfig(seam, type, config, [], problems)
  if (Option.isNone(decoded)) {
    const at = (segments: ReadonlyArray<Segment>) => {
      const rest = formatPath(segments)
      return `${context.where}.config${rest === "" || rest.startsWith("[") ? rest : `.${rest}`}`
    }
    const issues = problems.map((p) => new ConfigIssue({ path: at(p.path), message: p.message, ...(p.hint ? { hint: p.hint } : {}) }))
    return Either.left(
      ConfigError.fromIssues(issues.length > 0 ? issues : [new ConfigIssue({ path: at([]), message: "must be an object" })])
    )
  }
  return Either.try({
    try: () => spec.make(decoded.value, context),
    // constructors throw only on what the config cannot express, e.g. a tool id that is no valid name
    catch: (e) => ConfigError.single(context.where, e instanceof Error ? e.message : String(e))
  })
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
    const table: { readonly [name: string]: AnyBuiltin } = builtins[seam]
    return Object.entries(table).map(([name, spec]) => ({
      seam,
      name,
      description: spec.description,
      configKeys: configKeys(spec.config)
    }))
  })
