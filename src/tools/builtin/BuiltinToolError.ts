/**
 * The error of the builtin tools that touch the world (files, processes, the network, the environment):
 * a value that goes back to the model as the tool's result, naming the tool, the argument and the rule
 * it broke, so the model can correct its call.
 *
 * @since 0.2.0
 */
import * as Schema from "effect/Schema"

/**
 * A builtin tool refused or could not complete a call. `argument` names the parameter at fault, when
 * one is; `retryable` is true only for transient failures (a network error, a 5xx answer).
 *
 * @since 0.2.0
 * @category errors
 */
export class BuiltinToolError extends Schema.TaggedError<BuiltinToolError>()("BuiltinToolError", {
  toolName: Schema.String,
  argument: Schema.optional(Schema.String),
  message: Schema.String,
  retryable: Schema.optionalWith(Schema.Boolean, { default: () => false })
}) {}

/**
 * A refusal: `<tool>: <argument> <what is wrong>`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const refuse = (toolName: string, argument: string | undefined, message: string, retryable = false) =>
  new BuiltinToolError({
    toolName,
    ...(argument !== undefined ? { argument } : {}),
    message: `${toolName}: ${argument !== undefined ? `argument '${argument}': ` : ""}${message}`,
    retryable
  })

/**
 * A short, quoted form of a value the model sent, for messages (long values are cut).
 *
 * @since 0.2.0
 * @category formatting
 */
export const quote = (value: string, max = 120): string =>
  JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value)
