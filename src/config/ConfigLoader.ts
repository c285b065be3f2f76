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
 * This module is the public face; each job lives in `config/internal/`: reading (`read.ts`: regular
 * files only, JSON errors by line and column, a nesting limit), `${VAR}` substitution (`env.ts`),
 * Schema issues to paths and messages (`issues.ts`), the rules spanning fields (`checks.ts`) and the
 * JSON Schema export (`schemaExport.ts`). Layers are built from a config by `Plugins.ts`, from the
 * builtins of `Registry.ts`.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as NodePath from "node:path"
import { ConfigError, ConfigIssue } from "../kernel/Errors.js"
import { AppConfig } from "./AppConfig.js"
import { applyBuiltinConfigs, crossCheck } from "./internal/checks.js"
import { type Env, substitute } from "./internal/env.js"
import { decodeWith, documentOrder, findTooDeep, formatPath, isRecord, isUnder, type Problem, show } from "./internal/issues.js"
import { MAX_DEPTH, parseJson, readConfigText } from "./internal/read.js"

export {
  /**
   * Compiles a JSON Schema with Ajv and returns the compile error, if any.
   *
   * @since 0.1.0
   * @category validation
   */
  jsonSchemaError
} from "./internal/checks.js"
export type {
  /**
   * Environment variables used for `${VAR}` substitution.
   *
   * @since 0.1.0
   * @category models
   */
  Env
} from "./internal/env.js"
export {
  /**
   * Formats a path as `agents[0].llm.extra_headers["x-api-key"]`; the root is `""`.
   *
   * @since 0.1.0
   * @category formatting
   */
  formatPath
} from "./internal/issues.js"
export {
  /**
   * Parses JSON text, failing with a `ConfigError` that names the line and column of a syntax error.
   *
   * @since 0.1.0
   * @category decoding
   */
  parseJson
} from "./internal/read.js"
export {
  /**
   * The JSON Schema (draft-07) of `agent.json`, for editors and `openagents schema`.
   *
   * @since 0.1.0
   * @category json schema
   */
  jsonSchema
} from "./internal/schemaExport.js"

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
  const deep = findTooDeep(input, MAX_DEPTH)
  if (deep !== undefined) {
    return {
      issues: [
        new ConfigIssue({
          path: formatPath(deep),
          message: `nests arrays or objects more than ${MAX_DEPTH} levels deep (or contains a cycle)`,
          hint: `an agent.json needs only a few levels of nesting; at most ${MAX_DEPTH} are allowed`
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
    const text = yield* readConfigText(absolute)
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
