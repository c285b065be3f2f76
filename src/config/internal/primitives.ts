/**
 * The primitive Schemas of agent.json values, each with the description its error messages use.
 *
 * @since 0.2.0
 */
import * as Schema from "effect/Schema"

/** @internal */
export const NonEmptyString = Schema.String.pipe(Schema.minLength(1)).annotations({ description: "a non-empty string" })
/** @internal */
export const PositiveInt = Schema.Int.pipe(Schema.positive()).annotations({ description: "a positive integer" })
/** @internal */
export const NonNegativeInt = Schema.Int.pipe(Schema.nonNegative()).annotations({ description: "a non-negative integer" })
/** @internal */
export const NonNegativeNumber = Schema.Number.pipe(Schema.nonNegative()).annotations({
  description: "a non-negative number"
})
/** @internal */
export const JsonObject = Schema.Record({ key: Schema.String, value: Schema.Unknown }).annotations({
  description: "an object"
})
