/**
 * Tools: a name, a description, a parameter schema and a handler. A tool defined from an Effect Schema
 * gets its JSON Schema (sent to the model) and its argument validation from that one schema.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as JSONSchema from "effect/JSONSchema"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as JsonSchema from "../internal/jsonSchema.js"
import type { ApprovalMode } from "../kernel/Approval.js"
import type { ToolExecutionError } from "../kernel/Errors.js"
import type { RunResult } from "../kernel/Run.js"
import type { ToolSpec } from "../kernel/Transcript.js"

/**
 * What a tool's handler can see and do besides its parameters.
 *
 * @since 0.1.0
 * @category models
 */
export interface ToolContext {
  readonly runId: string
  readonly sessionId: string
  readonly agentId: string
  readonly callId: string
  /** The `deps` of the run request. */
  readonly deps: unknown
  /** Streams a piece of output as a `tool.delta` chunk. */
  readonly emit: (text: string) => Effect.Effect<void>
  /**
   * Runs another agent as a child of this run (see `SubAgent`): its own session, the parent's remaining
   * budget at most, cancelled with the parent, its usage added to the parent's. Absent outside a runtime.
   */
  readonly runAgent?: ((request: SubAgentRequest) => Effect.Effect<RunResult, ToolExecutionError>) | undefined
}

/**
 * What a tool asks of `ToolContext.runAgent`.
 *
 * @since 0.2.0
 * @category models
 */
export interface SubAgentRequest {
  readonly agentId: string
  /** The child's input (a handoff's child answers the run's own input instead). */
  readonly inputText: string
  /**
   * The child's session: `isolated` (default: a session of its own, `<session>/<call id>`), `shared` (the
   * parent's, inside the parent's turn), or `forked` (a copy of the parent's made for the child).
   */
  readonly session?: "isolated" | "shared" | "forked" | undefined
  /** The parent hands its turn over: it ends with the child's answer (`metadata.handoffFrom`). */
  readonly handoff?: boolean | undefined
  /** Start the child as a task of the runtime and answer at once with its task id (see `taskStatus`). */
  readonly background?: boolean | undefined
  /** A budget of its own, capped by what the parent has left (the parent's remaining budget without it). */
  readonly budget?: {
    readonly maxSteps?: number | undefined
    readonly maxToolCalls?: number | undefined
    readonly maxCostUsd?: number | undefined
    readonly maxDurationMs?: number | undefined
  } | undefined
}

/**
 * A tool.
 *
 * @since 0.1.0
 * @category models
 */
export interface Tool<Params = any, R = never> extends ApprovalOptions {
  readonly name: string
  readonly description: string
  /** JSON Schema of the parameters, as sent to the model. */
  readonly jsonSchema: Record<string, unknown>
  /** Checks and converts the arguments the model sent; `Left` holds a readable message. */
  readonly decode: (args: unknown) => Either.Either<Params, string>
  /** Per-call timeout; the executor's default applies when absent. */
  readonly timeoutMs?: number | undefined
  /** False for tools with side effects that must not run twice (durable runs replay them instead). */
  readonly durableIdempotent: boolean
  /**
   * True when calls of this tool may run at the same time as other calls of one model answer (default
   * false: the call runs alone, in the model's order). See {@link conflictKeysOf} for the calls that still
   * wait for each other.
   */
  readonly concurrencySafe?: boolean | undefined
  /**
   * The resources a call touches (a file path, a record id): two calls of one answer that share a key run
   * in the model's order even when both tools are concurrency-safe. Default: the values of the path
   * arguments (see {@link conflictKeysOf}).
   */
  readonly conflictKeys?: ((params: Params) => ReadonlyArray<string>) | undefined
  readonly handler: (params: Params, context: ToolContext) => Effect.Effect<unknown, unknown, R>
}

/**
 * Human approval of a tool's calls (see docs/approvals.md): `approvalMode` (`never` by default),
 * `approvalPolicy` (for `policy`: true when a call with these arguments needs approval; without it every
 * call does) and `editableParams` (the arguments an approver may change).
 *
 * @since 0.3.0
 * @category models
 */
export interface ApprovalOptions {
  readonly approvalMode?: ApprovalMode | undefined
  readonly approvalPolicy?: ((args: unknown) => boolean) | undefined
  readonly editableParams?: ReadonlyArray<string> | undefined
}


const approvalOf = (options: ApprovalOptions): ApprovalOptions => ({
  ...(options.approvalMode !== undefined ? { approvalMode: options.approvalMode } : {}),
  ...(options.approvalPolicy !== undefined ? { approvalPolicy: options.approvalPolicy } : {}),
  ...(options.editableParams !== undefined ? { editableParams: options.editableParams } : {})
})

/**
 * The services a tool's handler requires.
 *
 * @since 0.2.0
 * @category models
 */
export type Requirements<T> = T extends Tool<any, infer R> ? R : never

/**
 * A tool whose handler gets the services it requires from `context`: what `Toolkit.layer` does with the
 * context it is built in.
 *
 * @since 0.2.0
 * @category combinators
 */
export const provide = <Params, R>(tool: Tool<Params, R>, context: Context.Context<R>): Tool<Params> => ({
  ...tool,
  handler: (params, toolContext) => Effect.provide(tool.handler(params, toolContext), context)
})

/**
 * Options shared by every way of making a tool.
 *
 * @since 0.1.0
 * @category models
 */
export interface CommonOptions extends ApprovalOptions {
  readonly description: string
  readonly timeoutMs?: number
  readonly durableIdempotent?: boolean
  /** Calls may run concurrently with other calls of one model answer (default false). */
  readonly concurrencySafe?: boolean
  /** The resources a call touches; calls sharing one run in order (default: its path arguments). */
  readonly conflictKeys?: (params: any) => ReadonlyArray<string>
}

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/

/**
 * Throws when `name` cannot be a tool name (1-64 letters, digits, `_` or `-`, as the providers require).
 *
 * @since 0.1.0
 * @category validation
 */
export const checkName = (name: string) => {
  if (!TOOL_NAME.test(name)) {
    throw new Error(`Invalid tool name '${name}': use 1-64 letters, digits, '_' or '-'`)
  }
}

/**
 * Defines a tool from an Effect Schema of its parameters.
 *
 * @example
 * const Add = Tool.make("add", {
 *   description: "Adds two numbers",
 *   parameters: Schema.Struct({ a: Schema.Number, b: Schema.Number }),
 *   handler: ({ a, b }) => Effect.succeed(a + b)
 * })
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <S extends Schema.Schema<any, any, never>, E = never, R = never>(
  name: string,
  options: CommonOptions & {
    readonly parameters: S
    readonly handler: (params: Schema.Schema.Type<S>, context: ToolContext) => Effect.Effect<unknown, E, R>
  }
): Tool<Schema.Schema.Type<S>, R> => {
  checkName(name)
  const decode = Schema.decodeUnknownEither(options.parameters, { errors: "all", onExcessProperty: "error" })
  // a schema with an identifier would otherwise become a top-level $ref, which providers reject
  const definitions: Record<string, JSONSchema.JsonSchema7> = {}
  const jsonSchema: Record<string, unknown> = {
    ...JSONSchema.fromAST(options.parameters.ast, { definitions, topLevelReferenceStrategy: "skip" })
  }
  if (Object.keys(definitions).length > 0) jsonSchema["$defs"] = definitions
  return {
    name,
    description: options.description,
    jsonSchema,
    decode: (args) =>
      Either.mapLeft(decode(args), (error) => ParseResult.TreeFormatter.formatErrorSync(error)),
    timeoutMs: options.timeoutMs,
    durableIdempotent: options.durableIdempotent ?? true,
    concurrencySafe: options.concurrencySafe ?? false,
    conflictKeys: options.conflictKeys,
    ...approvalOf(options),
    handler: options.handler
  }
}

/**
 * Defines a tool from a JSON Schema of its parameters (for tools declared in config or bridged from
 * other systems). Arguments are validated with Ajv.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromJsonSchema = <E = never, R = never>(
  name: string,
  options: CommonOptions & {
    readonly jsonSchema: Record<string, unknown>
    readonly handler: (params: any, context: ToolContext) => Effect.Effect<unknown, E, R>
  }
): Tool<any, R> => {
  checkName(name)
  const compiled = JsonSchema.compile(options.jsonSchema)
  if (Either.isLeft(compiled)) throw new Error(`Invalid parameter schema of tool '${name}': ${compiled.left}`)
  return {
    name,
    description: options.description,
    jsonSchema: options.jsonSchema,
    decode: compiled.right,
    timeoutMs: options.timeoutMs,
    durableIdempotent: options.durableIdempotent ?? true,
    concurrencySafe: options.concurrencySafe ?? false,
    conflictKeys: options.conflictKeys,
    ...approvalOf(options),
    handler: options.handler
  }
}

/** The argument names read as paths by the default conflict keys (the Python SDK's path keys). */
const PATH_KEYS = ["path", "paths", "file", "file_path", "filename", "directory", "dir", "dir_path", "cwd", "root", "target", "source", "destination"]

const normalizePath = (value: string): string => {
  const parts: Array<string> = []
  for (const part of value.replace(/\\/g, "/").split("/")) {
    if (part === "" || part === ".") continue
    if (part === ".." && parts.length > 0 && parts[parts.length - 1] !== "..") parts.pop()
    else parts.push(part)
  }
  return (value.startsWith("/") ? "/" : "") + parts.join("/")
}

/**
 * The conflict key of a file path (normalized: `./a/../b.txt` and `b.txt` are one key). Two path keys
 * conflict when they name one path or one is a folder holding the other (`.` holds every path).
 *
 * @since 0.2.0
 * @category constructors
 */
export const pathKey = (value: string): string => `path:${normalizePath(value)}`

/**
 * Whether two conflict keys conflict: equal, or path keys of which one holds the other.
 *
 * @since 0.2.0
 * @category accessors
 */
export const keysConflict = (a: string, b: string): boolean => {
  if (a === b) return true
  if (!a.startsWith("path:") || !b.startsWith("path:")) return false
  const x = a.slice(5)
  const y = b.slice(5)
  const holds = (outer: string, inner: string) => outer === "" || inner.startsWith(outer.endsWith("/") ? outer : `${outer}/`)
  return holds(x, y) || holds(y, x)
}

/**
 * The resources one call of `tool` touches, for ordering the calls of one model answer: the tool's own
 * `conflictKeys`, or else the values of its path arguments (`path`, `file_path`, `directory`, `cwd`,
 * `root`, ... see {@link pathKey}). Calls with conflicting keys ({@link keysConflict}) run in order.
 *
 * @since 0.2.0
 * @category accessors
 */
export const conflictKeysOf = (tool: Tool<any, any>, params: unknown): ReadonlyArray<string> => {
  if (tool.conflictKeys) return tool.conflictKeys(params)
  if (typeof params !== "object" || params === null) return []
  const keys: Array<string> = []
  for (const name of PATH_KEYS) {
    const value = (params as Record<string, unknown>)[name]
    if (typeof value === "string") keys.push(pathKey(value))
    else if (Array.isArray(value)) {
      for (const v of value) if (typeof v === "string") keys.push(pathKey(v))
    }
  }
  return keys
}

/**
 * The tool as the model sees it.
 *
 * @since 0.1.0
 * @category accessors
 */
export const spec = (tool: Tool<any, any>): ToolSpec => ({
  name: tool.name,
  description: tool.description,
  parameters: tool.jsonSchema
})
