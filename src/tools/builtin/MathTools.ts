/**
 * The arithmetic builtins `percentage` and `min_max`: small exact helpers a model gets wrong by heart.
 *
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Tool from "../Tool.js"
import { refuse } from "./BuiltinToolError.js"

interface Common {
  readonly name?: string
  readonly timeoutMs?: number
}

const timeout = (options?: Common) => (options?.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {})

const finite = (n: number) => Number.isFinite(n)

/**
 * Parameters of `percentage`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const PercentageParameters = Schema.Struct({
  value: Schema.Number.annotations({ description: "The value." }),
  percent: Schema.Number.annotations({
    description: "The percentage (for \"of\", \"increase\", \"decrease\") or the second value (for \"ratio\", \"change\")."
  }),
  operation: Schema.optional(Schema.Literal("of", "increase", "decrease", "ratio", "change").annotations({
    description: "\"of\": percent% of value (default); \"increase\" / \"decrease\": value raised / lowered by percent%; " +
      "\"ratio\": value as a percentage of the second; \"change\": the percent change from value to the second."
  }))
})

/**
 * Makes the `percentage` tool.
 *
 * @since 0.2.0
 * @category constructors
 */
export const makePercentage = (options?: Common) => {
  const name = options?.name ?? "percentage"
  return Tool.make(name, {
    // pure
    concurrencySafe: true,
    description: "Percentages: percent% of a value, a value increased or decreased by a percentage, one value as a " +
      "percentage of another, or the percent change between two values.",
    parameters: PercentageParameters,
    ...timeout(options),
    handler: ({ operation = "of", percent, value }) => {
      if (!finite(value)) return Effect.fail(refuse(name, "value", `must be a finite number, not ${value}`))
      if (!finite(percent)) return Effect.fail(refuse(name, "percent", `must be a finite number, not ${percent}`))
      if ((operation === "ratio" && percent === 0) || (operation === "change" && value === 0)) {
        return Effect.fail(refuse(name, operation === "ratio" ? "percent" : "value", `is 0: "${operation}" would divide by zero`))
      }
      const result = operation === "of"
        ? (value * percent) / 100
        : operation === "increase"
        ? value + (value * percent) / 100
        : operation === "decrease"
        ? value - (value * percent) / 100
        : operation === "ratio"
        ? (value / percent) * 100
        : ((percent - value) / Math.abs(value)) * 100
      return Effect.succeed({ operation, value, percent, result })
    }
  })
}

/**
 * Parameters of `min_max`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const MinMaxParameters = Schema.Struct({
  numbers: Schema.propertySignature(Schema.Array(Schema.Number)).annotations({ description: "The numbers (at least one)." }),
  action: Schema.optional(Schema.Literal("min", "max", "both").annotations({
    description: "\"min\" (default), \"max\", or \"both\"."
  }))
})

/**
 * Makes the `min_max` tool.
 *
 * @since 0.2.0
 * @category constructors
 */
export const makeMinMax = (options?: Common) => {
  const name = options?.name ?? "min_max"
  return Tool.make(name, {
    // pure
    concurrencySafe: true,
    description: "Finds the smallest and/or largest of a list of numbers, with the position of each.",
    parameters: MinMaxParameters,
    ...timeout(options),
    handler: ({ action = "min", numbers }) => {
      if (numbers.length === 0) return Effect.fail(refuse(name, "numbers", "is empty: give at least one number"))
      if (numbers.length > 1_000_000) return Effect.fail(refuse(name, "numbers", "has more than 1000000 numbers"))
      const bad = numbers.findIndex((n) => !finite(n))
      if (bad >= 0) return Effect.fail(refuse(name, `numbers[${bad}]`, `must be a finite number, not ${numbers[bad]}`))
      let min = 0
      let max = 0
      numbers.forEach((n, i) => {
        if (n < numbers[min]!) min = i
        if (n > numbers[max]!) max = i
      })
      const low = { min: numbers[min]!, minIndex: min }
      const high = { max: numbers[max]!, maxIndex: max }
      return Effect.succeed(action === "min" ? low : action === "max" ? high : { ...low, ...high })
    }
  })
}
