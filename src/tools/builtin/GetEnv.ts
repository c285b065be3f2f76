/**
 * The `get_env` builtin: reads an environment variable, only one of the names the config allows (so a
 * model cannot read API keys it was not meant to see).
 *
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Tool from "../Tool.js"
import { type BuiltinToolError, quote, refuse } from "./BuiltinToolError.js"

/**
 * Parameters of `get_env`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const Parameters = Schema.Struct({
  key: Schema.String.annotations({ description: "Name of the environment variable (one of the allowed names)." }),
  default: Schema.optional(Schema.String.annotations({ description: "Value returned when the variable is not set." }))
})

/**
 * Options of {@link make}.
 *
 * @since 0.2.0
 * @category models
 */
export interface Options {
  /** The variable names the model may read. */
  readonly allowedKeys: ReadonlyArray<string>
  /** Where variables are read (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>
  readonly name?: string
  readonly timeoutMs?: number
}

/**
 * Makes the `get_env` tool. Throws when `allowedKeys` is empty.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (options: Options): Tool.Tool<typeof Parameters.Type> => {
  if (options.allowedKeys.length === 0) throw new Error("get_env needs at least one allowed key")
  const name = options.name ?? "get_env"
  const allowed = new Set(options.allowedKeys)
  const env = options.env ?? process.env
  return Tool.make(name, {
    // reads the environment only
    concurrencySafe: true,
    description: `Reads an environment variable (allowed: ${options.allowedKeys.join(", ")}). Returns its value, ` +
      "or the default (or null) when it is not set.",
    parameters: Parameters,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    handler: ({ default: fallback, key }): Effect.Effect<{ key: string; value: string | null; found: boolean }, BuiltinToolError> => {
      if (!allowed.has(key)) {
        return Effect.fail(refuse(name, "key", `${quote(key)} is not an allowed variable (allowed: ${[...allowed].join(", ")})`))
      }
      const value = Object.prototype.hasOwnProperty.call(env, key) ? env[key] : undefined
      return Effect.succeed({ key, value: value ?? fallback ?? null, found: value !== undefined })
    }
  })
}
