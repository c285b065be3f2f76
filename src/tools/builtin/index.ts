/**
 * The builtin tools by their config type name (`tools[].type` in agent.json). A tool declared in config
 * has an `id`, which becomes the name the model sees, a `type`, and an optional `config` object checked
 * here: an unknown key or a value of the wrong type throws an Error naming the key.
 *
 * @since 0.1.0
 */
import { closest } from "../../internal/suggest.js"
import type * as Tool from "../Tool.js"
import * as Calc from "./Calc.js"
import * as CurrentTime from "./CurrentTime.js"
import * as JsonParse from "./JsonParse.js"
import * as TextTransform from "./TextTransform.js"

/**
 * @since 0.1.0
 * @category modules
 */
export * as Calc from "./Calc.js"

/**
 * @since 0.1.0
 * @category modules
 */
export * as CurrentTime from "./CurrentTime.js"

/**
 * @since 0.1.0
 * @category modules
 */
export * as JsonParse from "./JsonParse.js"

/**
 * @since 0.1.0
 * @category modules
 */
export * as TextTransform from "./TextTransform.js"

/**
 * A builtin tool type.
 *
 * @since 0.1.0
 * @category models
 */
export interface Builtin {
  readonly description: string
  /** Builds the tool under its type name; throws on an invalid config. */
  readonly make: (config: Record<string, unknown>) => Tool.Tool
}

type Check = (value: unknown) => string | undefined

const positiveInteger: Check = (value) =>
  typeof value === "number" && Number.isInteger(value) && value > 0 ? undefined : "must be a positive integer"

const timezone: Check = (value) =>
  typeof value !== "string"
    ? "must be a string"
    : CurrentTime.isValidTimezone(value)
    ? undefined
    : `'${value}' is not a valid IANA timezone (e.g. 'UTC', 'Europe/Paris')`

interface Definition {
  readonly description: string
  /** Config keys (snake_case, as in agent.json) and their checks. */
  readonly keys: Readonly<Record<string, Check>>
  readonly build: (name: string, config: Record<string, unknown>) => Tool.Tool
}

const common = { timeout_ms: positiveInteger }

const timeoutOf = (config: Record<string, unknown>) =>
  config["timeout_ms"] === undefined ? {} : { timeoutMs: config["timeout_ms"] as number }

const definitions: ReadonlyArray<readonly [string, Definition]> = [
  ["calc", {
    description: Calc.description,
    keys: common,
    build: (name, config) => Calc.make({ name, ...timeoutOf(config) })
  }],
  ["current_time", {
    description: CurrentTime.description,
    keys: { ...common, default_timezone: timezone },
    build: (name, config) =>
      CurrentTime.make({
        name,
        ...timeoutOf(config),
        ...(config["default_timezone"] === undefined ? {} : { defaultTimezone: config["default_timezone"] as string })
      })
  }],
  ["json_parse", {
    description: JsonParse.description,
    keys: common,
    build: (name, config) => JsonParse.make({ name, ...timeoutOf(config) })
  }],
  ["text_transform", {
    description: TextTransform.description,
    keys: common,
    build: (name, config) => TextTransform.make({ name, ...timeoutOf(config) })
  }]
]

const byType: ReadonlyMap<string, Definition> = new Map(definitions)

// "timezone" should lead to "default_timezone", which edit distance alone does not find
const suggestKey = (key: string, allowed: ReadonlyArray<string>): string | undefined => {
  const lower = key.toLowerCase()
  return (lower.length >= 4 ? allowed.find((k) => k.includes(lower) || lower.includes(k)) : undefined) ??
    closest(key, allowed)
}

const checkConfig = (type: string, definition: Definition, config: Record<string, unknown>) => {
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new Error(`Invalid config for builtin tool '${type}': expected an object`)
  }
  const allowed = Object.keys(definition.keys)
  for (const [key, value] of Object.entries(config)) {
    const check = Object.hasOwn(definition.keys, key) ? definition.keys[key] : undefined
    if (check === undefined) {
      const suggestion = suggestKey(key, allowed)
      throw new Error(
        `Unknown config key '${key}' for builtin tool '${type}'.${suggestion ? ` Did you mean '${suggestion}'?` : ""} ` +
          `Allowed keys: [${allowed.join(", ")}]`
      )
    }
    // an explicit undefined is the same as leaving the key out
    if (value === undefined) continue
    const problem = check(value)
    if (problem !== undefined) throw new Error(`Invalid config key '${key}' for builtin tool '${type}': ${problem}`)
  }
}

/**
 * The builtin tool types by config type name: `calc`, `current_time`, `json_parse`, `text_transform`.
 *
 * @since 0.1.0
 * @category registry
 */
export const builtins: ReadonlyMap<string, Builtin> = new Map(
  definitions.map(([type, definition]) => [type, {
    description: definition.description,
    make: (config: Record<string, unknown>) => {
      checkConfig(type, definition, config)
      return definition.build(type, config)
    }
  }])
)

/**
 * The config keys a builtin type accepts (for config validation and docs).
 *
 * @since 0.1.0
 * @category registry
 */
export const configKeys = (type: string): ReadonlyArray<string> | undefined => {
  const definition = byType.get(type)
  return definition && Object.keys(definition.keys)
}

/**
 * Builds the builtin tool of type `type` under the name `id` (the name the model sees). Throws an Error
 * for an unknown type (with a suggestion), an unknown config key, or an invalid config value.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (type: string, id: string, config: Record<string, unknown> = {}): Tool.Tool => {
  const definition = byType.get(type)
  if (definition === undefined) {
    const suggestion = closest(type, byType.keys())
    throw new Error(
      `Unknown builtin tool type '${type}'.${suggestion ? ` Did you mean '${suggestion}'?` : ""} ` +
        `Builtin types: [${[...byType.keys()].join(", ")}]`
    )
  }
  checkConfig(type, definition, config)
  return definition.build(id, config)
}
