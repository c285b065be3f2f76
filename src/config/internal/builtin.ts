/**
 * The shape of a row of the builtin table (`config/Registry.ts`) and the helpers its rows share. Each seam's
 * rows live in their own module under `builtins/`; the registry puts them together.
 */
import type * as Layer from "effect/Layer"
import type * as Schema from "effect/Schema"
import type { ContextAssembler } from "../../context/ContextAssembler.js"
import type { EventBus } from "../../events/EventBus.js"
import { ConfigError, type SessionStoreError } from "../../kernel/Errors.js"
import type { Memory } from "../../memory/Memory.js"
import type { Pattern } from "../../patterns/Pattern.js"
import type { SessionStore } from "../../sessions/SessionStore.js"
import type { Skills } from "../../skills/Skills.js"
import type { Tool } from "../../tools/Tool.js"
import type { Toolkit } from "../../tools/Toolkit.js"
import type { ToolExecutor } from "../../tools/ToolExecutor.js"

/**
 * What the builtin of each seam becomes. The runtime has a single builtin and nothing to build.
 *
 * @since 0.2.0
 * @category models
 */
export interface Products {
  readonly memory: Layer.Layer<Memory, ConfigError>
  readonly pattern: Layer.Layer<Pattern, ConfigError>
  /** A tool, or a toolkit Layer for a type whose tools are known only once connected (`mcp`). */
  readonly tool: Tool | Layer.Layer<Toolkit, ConfigError>
  readonly tool_executor: Layer.Layer<ToolExecutor, ConfigError>
  readonly context_assembler: Layer.Layer<ContextAssembler, ConfigError>
  readonly session: Layer.Layer<SessionStore, ConfigError>
  readonly events: Layer.Layer<EventBus, ConfigError>
  readonly skills: Layer.Layer<Skills, ConfigError>
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

/**
 * Ties a constructor's parameter to its config Schema, so each builtin's `config` is typed.
 *
 * @since 0.2.0
 * @category constructors
 */
export const builtin = <C, I, A>(spec: {
  readonly description: string
  readonly config: Schema.Schema<C, I>
  readonly make: (config: C, context: BuildContext) => A
}): Builtin<C, A> => spec

/**
 * The rows of one seam's table.
 *
 * @since 0.2.0
 * @category models
 */
export type Table<S extends keyof Products> = { readonly [name: string]: Builtin<any, Products[S]> }

/**
 * A session store's error while building, as a config error at `<where>.config.<key>`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const storeError = (where: string, key: string) => (e: SessionStoreError) =>
  ConfigError.single(`${where}.config.${key}`, e.message, e.hint ? { hint: e.hint } : undefined)

/**
 * A tool config's `timeout_ms` as a tool constructor's option.
 *
 * @since 0.2.0
 * @category constructors
 */
export const timeoutOf = (config: { readonly timeout_ms?: number | undefined }) =>
  config.timeout_ms === undefined ? {} : { timeoutMs: config.timeout_ms }
