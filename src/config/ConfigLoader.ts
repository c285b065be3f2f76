/**
 * Loading and validating `agent.json`.
 *
 * Validation collects every problem instead of stopping at the first: unknown keys anywhere (with a
 * did-you-mean), wrong types and ranges, unknown builtin `type` names, `type`/`impl` set both or
 * neither, builtin plugin config, duplicate agent and tool ids, provider-specific keys, an
 * `output_schema` that does not compile, and environment variables that are not set. Each problem is
 * a `ConfigIssue` located by its JSON path (`agents[0].tools[1].type`); all of them travel in one
 * `ConfigError`.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as JSONSchema from "effect/JSONSchema"
import * as Option from "effect/Option"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"
import * as fs from "node:fs/promises"
import * as NodePath from "node:path"
import * as JsonSchema from "../internal/jsonSchema.js"
import { closest } from "../internal/suggest.js"
import { ConfigError, ConfigIssue } from "../kernel/Errors.js"
import { AppConfig, type ConfigMessage, MessageAnnotationId, NounAnnotationId } from "./AppConfig.js"
import * as Builtins from "./BuiltinTypes.js"

/**
 * Environment variables used for `${VAR}` substitution.
 *
 * @since 0.1.0
 * @category models
 */
export type Env = Readonly<Record<string, string | undefined>>

/**
 * Options of {@link decode}.
 *
 * @since 0.1.0
 * @category models
 */
export interface DecodeOptions {
  /** Where the config came from (a file path), shown in the error message. */
  readonly source?: string | undefined
  /** Variables for `${VAR}` substitution (default `process.env`). */
  readonly env?: Env | undefined
}

/**
 * Options of {@link loadFile} and {@link load}.
 *
 * @since 0.1.0
 * @category models
 */
export interface LoadOptions {
  /** Variables for `${VAR}` substitution (default `process.env`). */
  readonly env?: Env | undefined
}

/**
 * A decoded config and where it came from.
 *
 * @since 0.1.0
 * @category models
 */
export interface LoadedConfig {
  readonly config: AppConfig
  /** Absolute path of the file, or `"<inline>"` for a config object passed in code. */
  readonly path: string
  /** Absolute directory that relative `impl` modules and store paths are resolved against. */
  readonly dir: string
}

// ---------------------------------------------------------------------------------------------------------
// small helpers
// ---------------------------------------------------------------------------------------------------------

type Segment = string | number

interface Problem {
  readonly path: ReadonlyArray<Segment>
  readonly message: string
  readonly hint?: string | undefined
}

const isRecord = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u) && Object.prototype.toString.call(u) === "[object Object]"

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/

/**
 * Formats a path as `agents[0].llm.extra_headers["x-api-key"]`; the root is `""`.
 *
 * @since 0.1.0
 * @category formatting
 */
export const formatPath = (path: ReadonlyArray<PropertyKey>): string => {
  let out = ""
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`
    else if (typeof segment === "symbol") out += `[${String(segment)}]`
    else if (IDENTIFIER.test(segment)) out += out === "" ? segment : `.${segment}`
    else out += `[${JSON.stringify(segment)}]`
  }
  return out
}

const show = (u: unknown): string => {
  if (u === undefined) return "nothing"
  if (u === null) return "null"
  if (typeof u === "string") {
    const s = u.length > 60 ? `${u.slice(0, 57)}...` : u
    return JSON.stringify(s)
  }
  if (typeof u === "number" || typeof u === "boolean" || typeof u === "bigint") return String(u)
  if (Array.isArray(u)) return u.length === 0 ? "an empty array" : "an array"
  if (typeof u === "object") return "an object"
  return typeof u
}

const quoteList = (values: ReadonlyArray<string>): string => values.map((v) => `'${v}'`).join(", ")

// ---------------------------------------------------------------------------------------------------------
// environment substitution
// ---------------------------------------------------------------------------------------------------------

const ENV_REFERENCE = /\$(\$?)\{([^}]*)\}/g
const ENV_BODY = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/

const substituteString = (value: string, env: Env, path: ReadonlyArray<Segment>, problems: Array<Problem>): string =>
  value.replace(ENV_REFERENCE, (match: string, escape: string, body: string) => {
    if (escape !== "") return match.slice(1)
    const parsed = ENV_BODY.exec(body)
    if (parsed === null) {
      problems.push({
        path,
        message: `invalid environment variable reference '${match}'`,
        hint: "write ${NAME} or ${NAME:-default}; write $${...} for a literal '${...}'"
      })
      return match
    }
    const name = parsed[1]!
    const fallback = parsed[2]
    const set = env[name]
    if (fallback !== undefined) return set === undefined || set === "" ? fallback : set
    if (set === undefined) {
      problems.push({
        path,
        message: `environment variable '${name}' is not set (referenced as ${match})`,
        hint: `set ${name} in the environment, or give a default: \${${name}:-value}`
      })
      return match
    }
    return set
  })

const substitute = (value: unknown, env: Env, path: ReadonlyArray<Segment>, problems: Array<Problem>): unknown => {
  if (typeof value === "string") return substituteString(value, env, path, problems)
  if (Array.isArray(value)) return value.map((item, i) => substitute(item, env, [...path, i], problems))
  if (isRecord(value)) {
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) out[key] = substitute(item, env, [...path, key], problems)
    return out
  }
  return value
}

// ---------------------------------------------------------------------------------------------------------
// turning Schema parse issues into problems
// ---------------------------------------------------------------------------------------------------------

interface WalkContext {
  readonly path: ReadonlyArray<Segment>
  /** The struct whose keys are being checked (for unknown-key suggestions). */
  readonly struct: AST.TypeLiteral | undefined
  /** Names the owner of a builtin plugin config, e.g. `memory type 'window_buffer'`. */
  readonly owner: string | undefined
}

const annotation = <A>(ast: AST.Annotated, id: symbol): A | undefined => {
  const option = AST.getAnnotation<A>(id)(ast)
  return Option.isSome(option) ? option.value : undefined
}

const literalsOf = (ast: AST.AST): ReadonlyArray<AST.LiteralValue> | undefined => {
  if (AST.isLiteral(ast)) return [ast.literal]
  if (AST.isUnion(ast) && ast.types.every(AST.isLiteral)) return ast.types.map((t) => (t as AST.Literal).literal)
  return undefined
}

/** `undefined` and `null`, which optional / nullable fields accept but messages need not mention. */
const isAbsent = (ast: AST.AST): boolean =>
  AST.isUndefinedKeyword(ast) || (AST.isLiteral(ast) && ast.literal === null)

const describe = (ast: AST.AST): string => {
  switch (ast._tag) {
    case "StringKeyword":
      return "a string"
    case "NumberKeyword":
      return "a number"
    case "BooleanKeyword":
      return "a boolean (true or false)"
    case "Literal":
      return ast.literal === null ? "null" : JSON.stringify(ast.literal)
    case "TypeLiteral":
      return "an object"
    case "TupleType":
      return "an array"
    case "UnknownKeyword":
    case "AnyKeyword":
      return "any value"
    case "Refinement":
    case "Transformation": {
      const description = AST.getDescriptionAnnotation(ast)
      if (Option.isSome(description)) return description.value
      return describe(ast.from)
    }
    case "Union": {
      const literals = literalsOf(ast)
      if (literals !== undefined) return `one of ${literals.map((l) => JSON.stringify(l)).join(", ")}`
      const present = ast.types.filter((t) => !AST.isUndefinedKeyword(t))
      return [...new Set(present.map(describe))].join(" or ")
    }
    default:
      return String(ast)
  }
}

/** True when an issue is about the value itself, not about something nested in it. */
const isLocal = (issue: ParseResult.ParseIssue): boolean => {
  switch (issue._tag) {
    case "Type":
    case "Missing":
    case "Forbidden":
      return true
    case "Refinement":
    case "Transformation":
      return isLocal(issue.issue)
    case "Composite":
      return AST.isUnion(issue.ast) && toArray(issue.issues).every(isLocal)
    case "Pointer":
    case "Unexpected":
      return false
  }
}

const toArray = <A>(value: A | ReadonlyArray<A>): ReadonlyArray<A> =>
  Array.isArray(value) ? (value as ReadonlyArray<A>) : [value as A]

const typeProblem = (ast: AST.AST, actual: unknown, ctx: WalkContext): Problem => {
  const literals = literalsOf(ast)
  if (literals !== undefined) {
    const names = literals.filter((l): l is string => typeof l === "string")
    const noun = annotation<string>(ast, NounAnnotationId)
    if (typeof actual === "string") {
      const suggestion = closest(actual, names)
      const dym = suggestion !== undefined ? ` (did you mean '${suggestion}'?)` : ""
      return noun !== undefined
        ? { path: ctx.path, message: `unknown ${noun} '${actual}'${dym}`, hint: `available: ${names.join(", ")}` }
        : { path: ctx.path, message: `must be one of ${quoteList(names)} (got ${show(actual)})${dym}` }
    }
    return { path: ctx.path, message: `must be one of ${quoteList(names)} (got ${show(actual)})` }
  }
  return { path: ctx.path, message: `must be ${describe(ast)} (got ${show(actual)})` }
}

const unknownKeyProblem = (key: string, ctx: WalkContext): Problem => {
  const known = ctx.struct?.propertySignatures.map((ps) => String(ps.name)) ?? []
  const path = [...ctx.path, key]
  if (known.length === 0) {
    return {
      path,
      message: ctx.owner !== undefined ? `unknown key: ${ctx.owner} takes no config keys` : "unknown key",
      hint: "remove it"
    }
  }
  const suggestion = closest(key, known)
  if (suggestion !== undefined) return { path, message: `unknown key (did you mean '${suggestion}'?)` }
  return {
    path,
    message: "unknown key",
    hint: ctx.owner !== undefined ? `${ctx.owner} accepts: ${known.join(", ")}` : `allowed keys: ${known.join(", ")}`
  }
}

const walk = (issue: ParseResult.ParseIssue, ctx: WalkContext, out: Array<Problem>): void => {
  switch (issue._tag) {
    case "Pointer": {
      const segments = toArray(issue.path).map((s): Segment => (typeof s === "symbol" ? String(s) : s))
      if (issue.issue._tag === "Unexpected" && segments.length === 1) {
        out.push(unknownKeyProblem(String(segments[0]), ctx))
        return
      }
      walk(issue.issue, { ...ctx, path: [...ctx.path, ...segments] }, out)
      return
    }
    case "Composite": {
      if (AST.isUnion(issue.ast)) {
        // optional and `nullable` fields are unions with undefined / null: report against the member that
        // applies when it is the only one
        const relevant = toArray(issue.issues).filter((i) => !(i._tag === "Type" && isAbsent(i.ast)))
        if (relevant.length === 1) walk(relevant[0]!, ctx, out)
        else out.push(typeProblem(issue.ast, issue.actual, ctx))
        return
      }
      const struct = AST.isTypeLiteral(issue.ast) ? issue.ast : undefined
      for (const inner of toArray(issue.issues)) walk(inner, { ...ctx, struct }, out)
      return
    }
    case "Transformation":
      walk(issue.issue, ctx, out)
      return
    case "Refinement": {
      if (issue.kind === "From" && !isLocal(issue.issue)) {
        walk(issue.issue, ctx, out)
        return
      }
      const custom = issue.kind === "Predicate" ? annotation<ConfigMessage>(issue.ast, MessageAnnotationId) : undefined
      if (custom !== undefined) {
        out.push({ path: ctx.path, message: custom.message(issue.actual), hint: custom.hint?.(issue.actual) })
      } else {
        out.push({ path: ctx.path, message: `must be ${describe(issue.ast)} (got ${show(issue.actual)})` })
      }
      return
    }
    case "Type":
      out.push(typeProblem(issue.ast, issue.actual, ctx))
      return
    case "Missing":
      out.push({ path: ctx.path, message: "required key is missing" })
      return
    case "Unexpected":
      out.push({ path: ctx.path, message: "unexpected value" })
      return
    case "Forbidden":
      out.push({ path: ctx.path, message: issue.message ?? "cannot be checked" })
      return
  }
}

const parseOptions: AST.ParseOptions = { errors: "all", onExcessProperty: "error" }

const decodeWith = <A, I>(
  schema: Schema.Schema<A, I>,
  input: unknown,
  path: ReadonlyArray<Segment>,
  out: Array<Problem>,
  owner?: string
): Option.Option<A> => {
  const result = Schema.decodeUnknownEither(schema, parseOptions)(input)
  if (result._tag === "Right") return Option.some(result.right)
  walk(result.left.issue, { path, struct: undefined, owner }, out)
  return Option.none()
}

// ---------------------------------------------------------------------------------------------------------
// rules that span fields, checked on the raw (substituted) input so they are reported together with
// the Schema's problems
// ---------------------------------------------------------------------------------------------------------

/**
 * Compiles a JSON Schema with Ajv (draft-07, or 2019-09 / 2020-12 when its `$schema` says so) and returns
 * the compile error, if any.
 *
 * @since 0.1.0
 * @category validation
 */
export const jsonSchemaError = (schema: Record<string, unknown>): string | undefined =>
  Either.getLeft(JsonSchema.compile(schema)).pipe(Option.getOrUndefined)

const checkRef = (
  ref: unknown,
  seam: Builtins.Seam,
  path: ReadonlyArray<Segment>,
  out: Array<Problem>
): void => {
  if (!isRecord(ref)) return
  const label = Builtins.seamLabel[seam]
  const hasType = ref.type !== undefined
  const hasImpl = ref.impl !== undefined
  if (hasType && hasImpl) {
    out.push({
      path,
      message: "sets both 'type' and 'impl': set only one of them",
      hint: `'type' names a builtin ${label}, 'impl' points to your own module ('<module>#<export>')`
    })
    return
  }
  if (!hasType && !hasImpl) {
    out.push({
      path,
      message: `must set 'type' (a builtin ${label}) or 'impl' (your own module, '<module>#<export>')`,
      hint: `builtin ${label} types: ${Builtins.typeNames(seam).join(", ")}`
    })
    return
  }
  if (!hasType || typeof ref.type !== "string") return
  const spec = Builtins.get(seam, ref.type)
  if (spec === undefined) return // the Schema reports the unknown type
  const config = ref.config === undefined || ref.config === null ? {} : ref.config
  if (!isRecord(config)) return // the Schema reports the wrong type
  const owner = `${label} type '${ref.type}'`
  const ast = AST.encodedAST(spec.config.ast)
  if (AST.isTypeLiteral(ast) && ast.propertySignatures.length === 0 && ast.indexSignatures.length === 0) {
    // `Schema.Struct({})` accepts any object, excess keys included: report every key here
    for (const key of Object.keys(config)) {
      out.push(unknownKeyProblem(key, { path: [...path, "config"], struct: ast, owner }))
    }
    return
  }
  decodeWith(spec.config, config, [...path, "config"], out, owner)
}

const checkLlm = (llm: unknown, path: ReadonlyArray<Segment>, out: Array<Problem>): void => {
  if (!isRecord(llm)) return
  const provider = llm.provider === undefined ? "mock" : llm.provider
  if (typeof provider !== "string" || !Object.hasOwn(Builtins.providers, provider)) return
  if (provider === "openai_compatible" && (llm.api_base === undefined || llm.api_base === null)) {
    out.push({
      path: [...path, "api_base"],
      message: "is required when provider is 'openai_compatible'",
      hint: "set the server's base URL, e.g. \"http://localhost:8000/v1\""
    })
  }
  if (provider !== "mock" && llm.script !== undefined && llm.script !== null) {
    out.push({
      path: [...path, "script"],
      message: `is only allowed when provider is 'mock' (provider is '${provider}')`,
      hint: "remove 'script', or set provider to 'mock'"
    })
  }
}

const checkTools = (tools: unknown, path: ReadonlyArray<Segment>, out: Array<Problem>): void => {
  if (!Array.isArray(tools)) return
  const seen = new Map<string, number>()
  tools.forEach((tool: unknown, i) => {
    const toolPath = [...path, i]
    checkRef(tool, "tool", toolPath, out)
    if (!isRecord(tool) || typeof tool.id !== "string" || tool.id === "") return
    const first = seen.get(tool.id)
    if (first !== undefined) {
      out.push({
        path: [...toolPath, "id"],
        message: `duplicate tool id '${tool.id}' (already used by ${formatPath([...path, first])})`,
        hint: "tool ids must be unique within an agent"
      })
    } else seen.set(tool.id, i)
  })
}

const crossCheck = (root: Record<string, unknown>, out: Array<Problem>): void => {
  checkRef(root.runtime, "runtime", ["runtime"], out)
  checkRef(root.session, "session", ["session"], out)
  checkRef(root.events, "events", ["events"], out)
  checkRef(root.skills, "skills", ["skills"], out)
  if (!Array.isArray(root.agents)) return
  const seen = new Map<string, number>()
  root.agents.forEach((agent: unknown, i) => {
    const path: ReadonlyArray<Segment> = ["agents", i]
    if (!isRecord(agent)) return
    if (typeof agent.id === "string" && agent.id !== "") {
      const first = seen.get(agent.id)
      if (first !== undefined) {
        out.push({
          path: [...path, "id"],
          message: `duplicate agent id '${agent.id}' (already used by agents[${first}])`,
          hint: "agent ids must be unique"
        })
      } else seen.set(agent.id, i)
    }
    checkRef(agent.memory, "memory", [...path, "memory"], out)
    checkRef(agent.pattern, "pattern", [...path, "pattern"], out)
    checkRef(agent.tool_executor, "tool_executor", [...path, "tool_executor"], out)
    checkRef(agent.context_assembler, "context_assembler", [...path, "context_assembler"], out)
    checkTools(agent.tools, [...path, "tools"], out)
    checkLlm(agent.llm, [...path, "llm"], out)
    if (isRecord(agent.output_schema)) {
      const error = jsonSchemaError(agent.output_schema)
      if (error !== undefined) {
        out.push({
          path: [...path, "output_schema"],
          message: `is not a valid JSON Schema: ${error}`,
          hint: "output_schema must be a JSON Schema (draft-07 by default) describing the final answer"
        })
      }
    }
  })
}

// Decoding only validates a builtin's config; this puts the decoded config (its defaults applied) in.
const withBuiltinConfig = <R extends { readonly type?: string | undefined; readonly config: Record<string, unknown> }>(
  seam: Builtins.Seam,
  ref: R
): R => {
  if (ref.type === undefined) return ref
  const spec = Builtins.get(seam, ref.type)
  if (spec === undefined) return ref
  const decoded = Schema.decodeUnknownEither(spec.config)(ref.config)
  return decoded._tag === "Right" && isRecord(decoded.right) ? { ...ref, config: decoded.right } : ref
}

const applyBuiltinConfigs = (config: AppConfig): AppConfig => ({
  ...config,
  runtime: withBuiltinConfig("runtime", config.runtime),
  session: withBuiltinConfig("session", config.session),
  events: withBuiltinConfig("events", config.events),
  skills: withBuiltinConfig("skills", config.skills),
  agents: config.agents.map((agent) => ({
    ...agent,
    memory: withBuiltinConfig("memory", agent.memory),
    pattern: withBuiltinConfig("pattern", agent.pattern),
    ...(agent.tool_executor !== undefined ? { tool_executor: withBuiltinConfig("tool_executor", agent.tool_executor) } : {}),
    ...(agent.context_assembler !== undefined
      ? { context_assembler: withBuiltinConfig("context_assembler", agent.context_assembler) }
      : {}),
    tools: agent.tools.map((tool) => withBuiltinConfig("tool", tool))
  }))
})

// Ranks paths in the order they appear in the document, so problems are listed top to bottom; a
// missing key ranks with its parent.
const documentOrder = (root: unknown): ((path: ReadonlyArray<Segment>) => number) => {
  const ranks = new Map<string, number>()
  const visit = (value: unknown, path: ReadonlyArray<Segment>): void => {
    ranks.set(formatPath(path), ranks.size)
    if (Array.isArray(value)) value.forEach((item: unknown, i) => visit(item, [...path, i]))
    else if (isRecord(value)) for (const [key, item] of Object.entries(value)) visit(item, [...path, key])
  }
  visit(root, [])
  return (path) => {
    for (let i = path.length; i >= 0; i--) {
      const rank = ranks.get(formatPath(path.slice(0, i)))
      if (rank !== undefined) return rank
    }
    return 0
  }
}

const isUnder = (path: string, prefix: string): boolean =>
  path === prefix || prefix === "" || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`)

const validate = (input: unknown, env: Env): { readonly issues: ReadonlyArray<ConfigIssue>; readonly config?: AppConfig } => {
  if (!isRecord(input)) {
    return {
      issues: [
        new ConfigIssue({
          path: "",
          message: `the config must be a JSON object with an "agents" array (got ${show(input)})`,
          hint: "start from {\"agents\": [{\"id\": \"assistant\"}]}"
        })
      ]
    }
  }
  const envProblems: Array<Problem> = []
  const substituted = substitute(input, env, [], envProblems)
  const problems: Array<Problem> = []
  const decoded = decodeWith(AppConfig, substituted, [], problems)
  crossCheck(substituted as Record<string, unknown>, problems)

  // A value with an unset variable keeps its `${VAR}` text; problems that text causes are noise.
  const envPaths = envProblems.map((p) => formatPath(p.path))
  const rank = documentOrder(substituted)
  const ordered = [...envProblems, ...problems].sort((a, b) => rank(a.path) - rank(b.path))
  const seen = new Set<string>()
  const issues: Array<ConfigIssue> = []
  for (const problem of ordered) {
    const path = formatPath(problem.path)
    if (!envProblems.includes(problem) && envPaths.some((p) => isUnder(path, p))) continue
    const key = `${path}\u0000${problem.message}`
    if (seen.has(key)) continue
    seen.add(key)
    issues.push(new ConfigIssue({ path, message: problem.message, ...(problem.hint ? { hint: problem.hint } : {}) }))
  }
  if (Option.isNone(decoded) && issues.length === 0) {
    issues.push(new ConfigIssue({ path: "", message: "the config does not match the agent.json format" }))
  }
  if (issues.length > 0 || Option.isNone(decoded)) return { issues }
  return { issues, config: applyBuiltinConfigs(decoded.value) }
}

// ---------------------------------------------------------------------------------------------------------
// public API
// ---------------------------------------------------------------------------------------------------------

/**
 * Validates a config value (parsed JSON or an object written in code) and applies the defaults.
 * `${VAR}` / `${VAR:-default}` in string values are replaced from `options.env` (default
 * `process.env`) first; `$${VAR}` stays a literal `${VAR}`. Fails with one `ConfigError` listing every
 * problem.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = (input: unknown, options?: DecodeOptions): Effect.Effect<AppConfig, ConfigError> =>
  Effect.suspend(() => {
    const result = validate(input, options?.env ?? process.env)
    return result.config !== undefined && result.issues.length === 0
      ? Effect.succeed(result.config)
      : Effect.fail(ConfigError.fromIssues(result.issues, options?.source))
  }).pipe(Effect.withSpan("ConfigLoader.decode"))

const errnoCode = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && typeof (error as { code?: unknown }).code === "string"
    ? (error as { code: string }).code
    : undefined

const readError = (path: string, error: unknown): ConfigError => {
  const code = errnoCode(error)
  if (code === "ENOENT" || code === "ENOTDIR") {
    return ConfigError.single("", `config file not found: ${path}`, {
      source: path,
      hint: "pass the path to an agent.json file (relative to the current directory, or absolute)"
    })
  }
  if (code === "EACCES" || code === "EPERM") {
    return ConfigError.single("", `cannot read config file ${path}: permission denied`, {
      source: path,
      hint: "check the file's permissions"
    })
  }
  const detail = error instanceof Error ? error.message : String(error)
  return ConfigError.single("", `cannot read config file ${path}: ${detail}`, { source: path })
}

const lineAndColumn = (text: string, position: number): { readonly line: number; readonly column: number } => {
  const before = text.slice(0, Math.max(0, Math.min(position, text.length)))
  const lines = before.split("\n")
  return { line: lines.length, column: lines[lines.length - 1]!.length + 1 }
}

/**
 * Parses JSON text, failing with a `ConfigError` that names the line and column of a syntax error.
 *
 * @since 0.1.0
 * @category decoding
 */
export const parseJson = (text: string, source?: string): Effect.Effect<unknown, ConfigError> =>
  Effect.try({
    try: () => JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as unknown,
    catch: (error) => {
      const raw = error instanceof Error ? error.message : String(error)
      const position = /at position (\d+)/.exec(raw)
      const { line, column } = lineAndColumn(text, position ? Number(position[1]) : text.length)
      const detail = raw
        .replace(/\s*\(line \d+ column \d+\)/, "")
        .replace(/\s*in JSON at position \d+/, "")
        .replace(/,\s*"[\s\S]*" is not valid JSON$/, "")
      return ConfigError.single("", `invalid JSON at line ${line}, column ${column}: ${detail}`, {
        ...(source !== undefined ? { source } : {}),
        hint: "JSON allows no comments, no trailing commas and only double-quoted strings and keys"
      })
    }
  })

/**
 * Reads, parses and validates an `agent.json` file. `dir` (the file's directory) is what relative
 * `impl` modules and store paths are resolved against.
 *
 * @since 0.1.0
 * @category loading
 */
export const loadFile = (path: string, options?: LoadOptions): Effect.Effect<LoadedConfig, ConfigError> =>
  Effect.gen(function*() {
    const absolute = NodePath.resolve(path)
    const stat = yield* Effect.tryPromise({ try: () => fs.stat(absolute), catch: (e) => readError(absolute, e) })
    if (stat.isDirectory()) {
      const candidate = NodePath.join(absolute, "agent.json")
      const hasCandidate = yield* Effect.promise(() =>
        fs.stat(candidate).then((s) => s.isFile(), () => false)
      )
      return yield* Effect.fail(
        ConfigError.single("", `${absolute} is a directory, not a config file`, {
          source: absolute,
          hint: hasCandidate
            ? `pass the file inside it: ${candidate}`
            : "pass the path to an agent.json file, not to a directory"
        })
      )
    }
    const text = yield* Effect.tryPromise({
      try: () => fs.readFile(absolute, "utf8"),
      catch: (e) => readError(absolute, e)
    })
    const json = yield* parseJson(text, absolute)
    const config = yield* decode(json, { source: absolute, env: options?.env })
    return { config, path: absolute, dir: NodePath.dirname(absolute) }
  }).pipe(Effect.withSpan("ConfigLoader.loadFile", { attributes: { path } }))

/**
 * Loads a config from a file path, or validates a config object written in code (then `path` is
 * `"<inline>"` and `dir` is the current directory).
 *
 * @since 0.1.0
 * @category loading
 */
export const load = (
  input: string | Record<string, unknown>,
  options?: LoadOptions
): Effect.Effect<LoadedConfig, ConfigError> =>
  typeof input === "string"
    ? loadFile(input, options)
    : Effect.map(decode(input, { env: options?.env }), (config) => ({ config, path: "<inline>", dir: process.cwd() }))

// ---------------------------------------------------------------------------------------------------------
// JSON Schema
// ---------------------------------------------------------------------------------------------------------

type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }
type JsonObject = Record<string, unknown>

const OWN_TITLES = new Set([
  "openagents agent.json",
  "agent",
  "llm",
  "retry",
  "pricing",
  "mock script step",
  "agent runtime options",
  "tool",
  ...Builtins.seams.map((s) => Builtins.seamLabel[s])
])

// Drops what Effect adds for its own use (`$id` of primitives, filter titles such as `minLength(1)`)
// and inlines `Int`, whose `$ref` with sibling keywords older validators ignore.
const tidy = (value: unknown, isRoot: boolean): unknown => {
  if (Array.isArray(value)) return value.map((v) => tidy(v, false))
  if (!isRecord(value)) return value
  let node: JsonObject = { ...value }
  if (node.$ref === "#/$defs/Int") {
    const { $ref: _ref, ...rest } = node
    node = { type: "integer", ...rest }
  }
  const out: JsonObject = {}
  for (const [key, item] of Object.entries(node)) {
    if (key === "$id" && !isRoot) continue
    if (key === "title" && !(typeof item === "string" && OWN_TITLES.has(item))) continue
    // property maps hold names, not keywords: keep every name, tidy each schema
    if ((key === "properties" || key === "$defs" || key === "patternProperties") && isRecord(item)) {
      out[key] = Object.fromEntries(Object.entries(item).map(([k, v]) => [k, tidy(v, false)]))
      continue
    }
    out[key] = tidy(item, false)
  }
  return out
}

const configJsonSchema = (schema: Schema.Schema.AnyNoContext): JsonObject => {
  const ast = AST.encodedAST(schema.ast)
  if (AST.isTypeLiteral(ast) && ast.propertySignatures.length === 0 && ast.indexSignatures.length === 0) {
    return { type: "object", maxProperties: 0, description: "This plugin takes no config keys." }
  }
  const { $schema: _s, $defs: _d, ...rest } = tidy(JSONSchema.make(schema), false) as JsonObject
  return rest
}

const refRules = (seam: Builtins.Seam): JsonObject => {
  const table: { readonly [name: string]: Builtins.BuiltinSpec } = Builtins.builtins[seam]
  return {
    oneOf: [{ required: ["type"], properties: { type: true } }, { required: ["impl"], properties: { impl: true } }],
    allOf: Object.entries(table).map(([name, spec]) => {
      const config = configJsonSchema(spec.config)
      // a builtin with a required key needs a `config` object (absent or null means {})
      const needsConfig = Array.isArray(config.required) && config.required.length > 0
      return {
        if: { required: ["type"], properties: { type: { const: name } } },
        then: needsConfig
          ? { required: ["config"], properties: { config } }
          : { properties: { config: { anyOf: [config, { type: "null" }] } } }
      }
    })
  }
}

const REF_DEFS: ReadonlyArray<readonly [string, Builtins.Seam]> = [
  ["MemoryRef", "memory"],
  ["PatternRef", "pattern"],
  ["ToolRef", "tool"],
  ["ToolExecutorRef", "tool_executor"],
  ["ContextAssemblerRef", "context_assembler"],
  ["RuntimeRef", "runtime"],
  ["SessionRef", "session"],
  ["EventsRef", "events"],
  ["SkillsRef", "skills"]
]

/**
 * The JSON Schema (draft-07) of `agent.json`, generated from the `AppConfig` Schema and completed with
 * the rules a plain Schema does not carry: `type` xor `impl`, each builtin's config keys,
 * `api_base` for `openai_compatible`, `script` for `mock` only. Editors use it for completion and
 * checking; it cannot express uniqueness of ids or compile `output_schema`, which `decode` checks.
 *
 * @since 0.1.0
 * @category json schema
 */
export const jsonSchema = (): Record<string, unknown> => {
  const generated = tidy(JSONSchema.make(AppConfig), true) as JsonObject
  const defs = { ...(generated.$defs as JsonObject) }
  delete defs.Int // inlined by `tidy`
  for (const [name, seam] of REF_DEFS) {
    const def = defs[name]
    if (isRecord(def)) defs[name] = { ...def, ...refRules(seam) }
  }
  const llm = defs.LlmConfig
  if (isRecord(llm)) {
    defs.LlmConfig = {
      ...llm,
      allOf: [
        {
          if: { required: ["provider"], properties: { provider: { const: "openai_compatible" } } },
          then: { required: ["api_base"], properties: { api_base: { type: "string" } } }
        },
        {
          if: { required: ["provider"], properties: { provider: { not: { const: "mock" } } } },
          then: { properties: { script: { type: "null" } } }
        }
      ]
    }
  }
  // Put the root definition at the root, so the file reads top-down.
  const root = defs.AppConfig
  delete defs.AppConfig
  const body: JsonObject = isRecord(root) ? root : {}
  const out: JsonObject = {
    $schema: "http://json-schema.org/draft-07/schema#",
    ...body,
    description: "Configuration of an openagents runtime: its agents and the plugins of each seam.",
    $defs: defs
  }
  return JSON.parse(JSON.stringify(out)) as Record<string, Json>
}
