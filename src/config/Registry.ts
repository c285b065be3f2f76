/**
 * The one table of builtin plugin types: per seam, each `type` name of `agent.json` with its one-line
 * description, the Schema of its `config` object and the constructor that turns a decoded config into
 * the seam's value (a Layer, or a Tool). The loader's validation, the JSON Schema export
 * (`openagents schema`), `openagents list-plugins`, `openagents validate` and the Layers built from a
 * config all read it, so a builtin is added in exactly one place: its row, in its seam's module under
 * `internal/builtins/`.
 *
 * @since 0.2.0
 */
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"
import { ConfigError, ConfigIssue } from "../kernel/Errors.js"
import { NoConfig } from "./BuiltinConfigs.js"
import type { Tool } from "../tools/Tool.js"
import { type AnyBuiltin, type BuildContext, builtin, type Products, type Table } from "./internal/builtin.js"
import { context } from "./internal/builtins/context.js"
import { events } from "./internal/builtins/events.js"
import { executors } from "./internal/builtins/executors.js"
import { memory } from "./internal/builtins/memory.js"
import { patterns } from "./internal/builtins/patterns.js"
import { sessions } from "./internal/builtins/sessions.js"
import { skills } from "./internal/builtins/skills.js"
import { tools } from "./internal/builtins/tools.js"
import { decodeWith, formatPath, type Problem, type Segment, unknownKeyProblem } from "./internal/issues.js"

export * from "./BuiltinConfigs.js"
export type { AnyBuiltin, BuildContext, Builtin, Products } from "./internal/builtin.js"

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
 * The builtin plugins of each seam, by `type` name.
 *
 * @since 0.2.0
 * @category constants
 */
export const builtins = {
  memory,
  pattern: patterns,
  tool: tools,
  tool_executor: executors,
  context_assembler: context,
  session: sessions,
  events,
  skills,
  runtime: {
    default: builtin({
      description: "The default agent runtime.",
      config: NoConfig,
      make: () => undefined
    })
  }
} as const satisfies { readonly [S in Seam]: Table<S> }

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

/**
 * Builds a builtin tool type that makes one tool (every tool type but those, like `mcp`, whose tools are
 * known only once connected: they build a toolkit Layer, and are a ConfigError here).
 *
 * @since 0.2.0
 * @category constructors
 */
export const buildTool = (type: string, config: unknown, context: BuildContext): Either.Either<Tool, ConfigError> =>
  Either.flatMap(build("tool", type, config, context), (built) =>
    "handler" in built
      ? Either.right(built)
      : Either.left(ConfigError.single(`${context.where}.type`, `tool type '${type}' gives a toolkit (several tools), not one tool`)))
