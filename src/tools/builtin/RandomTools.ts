/**
 * The random builtins `random_int`, `random_choice`, `random_string` and `uuid`, drawn from the
 * operating system's cryptographic generator (`node:crypto`), so a random string can serve as a token.
 * Counts and lengths are capped.
 *
 * @since 0.2.0
 */
import * as crypto from "node:crypto"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Tool from "../Tool.js"
import { type BuiltinToolError, refuse } from "./BuiltinToolError.js"

interface Common {
  readonly name?: string
  readonly timeoutMs?: number
}

const timeout = (options?: Common) => (options?.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {})

/**
 * Most values one call draws.
 *
 * @since 0.2.0
 * @category constants
 */
export const MAX_COUNT = 1000

/**
 * Longest string `random_string` makes.
 *
 * @since 0.2.0
 * @category constants
 */
export const MAX_LENGTH = 10_000

const Count = Schema.optional(Schema.Number.annotations({ description: `How many to draw (default 1, at most ${MAX_COUNT}).` }))

const checkCount = (toolName: string, count: number): Effect.Effect<number, BuiltinToolError> =>
  Number.isInteger(count) && count >= 1 && count <= MAX_COUNT
    ? Effect.succeed(count)
    : Effect.fail(refuse(toolName, "count", `must be a whole number from 1 to ${MAX_COUNT}, not ${count}`))

/**
 * Parameters of `random_int`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const IntParameters = Schema.Struct({
  min: Schema.optional(Schema.Number.annotations({ description: "Smallest value, included (default 0)." })),
  max: Schema.optional(Schema.Number.annotations({ description: "Largest value, included (default 100)." })),
  count: Count
})

/**
 * Makes the `random_int` tool: uniform whole numbers in `[min, max]`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const makeInt = (options?: Common) => {
  const name = options?.name ?? "random_int"
  return Tool.make(name, {
    // no shared state
    concurrencySafe: true,
    description: "Draws random whole numbers between min and max, both included (uniform).",
    parameters: IntParameters,
    ...timeout(options),
    handler: ({ count = 1, max = 100, min = 0 }) =>
      Effect.gen(function*() {
        const n = yield* checkCount(name, count)
        if (!Number.isSafeInteger(min)) return yield* refuse(name, "min", `must be a whole number, not ${min}`)
        if (!Number.isSafeInteger(max)) return yield* refuse(name, "max", `must be a whole number, not ${max}`)
        if (min > max) return yield* refuse(name, "min", `${min} is greater than max ${max}`)
        if (max - min >= 2 ** 48) return yield* refuse(name, "max", "max - min must be less than 2^48")
        const values = Array.from({ length: n }, () => crypto.randomInt(min, max + 1))
        return { min, max, values, value: values[0]! }
      })
  })
}

/**
 * Parameters of `random_choice`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const ChoiceParameters = Schema.Struct({
  choices: Schema.propertySignature(Schema.Array(Schema.String)).annotations({ description: "The items to choose from." }),
  count: Count,
  unique: Schema.optional(Schema.Boolean.annotations({ description: "Never pick an item twice (default false)." }))
})

/**
 * Makes the `random_choice` tool: items picked at random from a list.
 *
 * @since 0.2.0
 * @category constructors
 */
export const makeChoice = (options?: Common) => {
  const name = options?.name ?? "random_choice"
  return Tool.make(name, {
    // no shared state
    concurrencySafe: true,
    description: "Picks items at random from a list (with unique: true, without picking one twice).",
    parameters: ChoiceParameters,
    ...timeout(options),
    handler: ({ choices, count = 1, unique = false }) =>
      Effect.gen(function*() {
        const n = yield* checkCount(name, count)
        if (choices.length === 0) return yield* refuse(name, "choices", "is empty: give at least one item")
        if (choices.length > 100_000) return yield* refuse(name, "choices", "has more than 100000 items")
        if (unique && n > choices.length) {
          return yield* refuse(name, "count", `${n} unique picks from ${choices.length} items is impossible`)
        }
        const pool = [...choices]
        const picked: Array<string> = []
        for (let i = 0; i < n; i++) {
          const at = crypto.randomInt(0, pool.length)
          picked.push(pool[at]!)
          if (unique) pool.splice(at, 1)
        }
        return { picked, choice: picked[0]! }
      })
  })
}

const CHARSETS = {
  alphanumeric: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
  alpha: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
  numeric: "0123456789",
  hex: "0123456789abcdef",
  lower: "abcdefghijklmnopqrstuvwxyz",
  upper: "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
  symbols: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*()-_=+[]{};:,.<>?"
} as const

/**
 * Parameters of `random_string`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const StringParameters = Schema.Struct({
  length: Schema.optional(Schema.Number.annotations({ description: `Length (default 16, at most ${MAX_LENGTH}).` })),
  charset: Schema.optional(Schema.Literal(...(Object.keys(CHARSETS) as [keyof typeof CHARSETS])).annotations({
    description: "The characters to use (default \"alphanumeric\")."
  }))
})

/**
 * Makes the `random_string` tool.
 *
 * @since 0.2.0
 * @category constructors
 */
export const makeString = (options?: Common) => {
  const name = options?.name ?? "random_string"
  return Tool.make(name, {
    // no shared state
    concurrencySafe: true,
    description: "Makes a random string of a length from a character set (alphanumeric, alpha, numeric, hex, lower, " +
      "upper, symbols), from a cryptographic generator.",
    parameters: StringParameters,
    ...timeout(options),
    handler: ({ charset = "alphanumeric", length = 16 }) =>
      Effect.gen(function*() {
        if (!(Number.isInteger(length) && length >= 1 && length <= MAX_LENGTH)) {
          return yield* refuse(name, "length", `must be a whole number from 1 to ${MAX_LENGTH}, not ${length}`)
        }
        const chars = CHARSETS[charset]
        let value = ""
        for (let i = 0; i < length; i++) value += chars[crypto.randomInt(0, chars.length)]
        return { value, length, charset }
      })
  })
}

/**
 * Parameters of `uuid`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const UuidParameters = Schema.Struct({
  count: Count,
  version: Schema.optional(Schema.Literal(4).annotations({ description: "The UUID version: 4 (random), the only one." }))
})

/**
 * Makes the `uuid` tool: random (version 4) UUIDs.
 *
 * @since 0.2.0
 * @category constructors
 */
export const makeUuid = (options?: Common) => {
  const name = options?.name ?? "uuid"
  return Tool.make(name, {
    // no shared state
    concurrencySafe: true,
    description: "Makes random (version 4) UUIDs.",
    parameters: UuidParameters,
    ...timeout(options),
    handler: ({ count = 1 }) =>
      Effect.map(checkCount(name, count), (n) => {
        const uuids = Array.from({ length: n }, () => crypto.randomUUID())
        return { uuids, uuid: uuids[0]! }
      })
  })
}
