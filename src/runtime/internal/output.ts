/**
 * Structured output: the validator of a run's output (from the request's `outputType` or the agent's
 * `output_schema`), and the loop that runs the pattern until its output is accepted, feeding each
 * rejection back to the model. Private to the runtime.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as JSONSchema from "effect/JSONSchema"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as JsonSchema from "../../internal/jsonSchema.js"
import { ConfigError, OutputValidationError, type RunError } from "../../kernel/Errors.js"
import type { RunRequest } from "../../kernel/Run.js"
import type * as RunContext from "../../kernel/RunContext.js"
import type { Message } from "../../kernel/Transcript.js"
import type { Run } from "./env.js"
import { jsonSafe } from "./json.js"

export interface OutputValidator {
  readonly jsonSchema: Record<string, unknown>
  readonly validate: (value: unknown) => Either.Either<unknown, string>
}

/** The validator of the run's structured output, or a ConfigError naming what is wrong with its schema. */
export const validatorOf = (
  request: RunRequest,
  agent: { readonly id: string; readonly outputSchema: Record<string, unknown> | undefined }
): Either.Either<OutputValidator | undefined, ConfigError> => {
  if (request.outputType) {
    const schema = request.outputType
    try {
      const decode = Schema.decodeUnknownEither(schema, { errors: "all" })
      const jsonSchema = JSONSchema.make(schema) as unknown as Record<string, unknown>
      return Either.right({
        jsonSchema,
        validate: (value) => Either.mapLeft(decode(value), (e) => ParseResult.TreeFormatter.formatErrorSync(e))
      })
    } catch (e) {
      return Either.left(ConfigError.single("request.outputType", `cannot be used as an output type: ${(e as Error).message}`))
    }
  }
  if (agent.outputSchema) {
    const schema = agent.outputSchema
    return Either.match(JsonSchema.compile(schema), {
      onLeft: (message) => Either.left(ConfigError.single(`agents.${agent.id}.output_schema`, `is not a valid JSON Schema: ${message}`)),
      onRight: (validate) => Either.right({ jsonSchema: schema, validate })
    })
  }
  return Either.right(undefined)
}

/** The model's final text as JSON: accepts a bare JSON document or one fenced in ```json. */
const parseOutput = (output: unknown): Either.Either<unknown, string> => {
  if (typeof output !== "string") return Either.right(output)
  const fenced = /^\s*```(?:json)?\s*([\s\S]*?)\s*```\s*$/.exec(output)
  const text = fenced ? fenced[1]! : output
  try {
    return Either.right(JSON.parse(text))
  } catch (e) {
    return Either.left(`the output is not valid JSON (${(e as Error).message})`)
  }
}

class ModelRetryRequested {
  constructor(readonly message: string) {}
}

/**
 * Runs the pattern, then validates its output, until the output is accepted or the retries run out. A
 * durable run journals the pattern's output with a checkpoint: resumed from there, it validates that
 * output (`resumed`) without running the pattern again. Resumed from earlier, the pattern runs again on
 * the rebuilt conversation and knows where it was (react returns a final answer the conversation already
 * ends with): the runtime does not guess from the transcript.
 */
export const execute = (
  run: Run,
  context: RunContext.Service,
  resumed: { readonly value: unknown } | undefined
): Effect.Effect<unknown, RunError> => {
  const { state, validator } = run
  const max = run.limits.maxValidationRetries
  // flatMaps rather than Effect.gen: a generator held across the whole run costs about 1 KB of heap per
  // run in flight, and one continuation (not a catchTag and a generator) is on the fiber's stack
  const judge = (raw: unknown): Effect.Effect<unknown, RunError> => {
    const verdict: Either.Either<unknown, string> = raw instanceof ModelRetryRequested
      ? Either.left(raw.message)
      : validator
      ? Either.flatMap(parseOutput(raw), validator.validate)
      : Either.right(raw)
    if (Either.isRight(verdict)) return Effect.succeed(verdict.right)
    const attempt = ++state.validationAttempts
    if (attempt > max) return Effect.fail(new OutputValidationError({ attempts: attempt, lastValidationError: verdict.left }))
    run.emitter.emit("validation.retry", { attempt, error: verdict.left })
    const feedback: Message = {
      _tag: "user",
      content: `Your previous answer was not accepted (attempt ${attempt} of ${max}): ${verdict.left}` +
        (validator ? `\nAnswer again with only a JSON value matching this JSON Schema:\n${JSON.stringify(validator.jsonSchema)}` : "")
    }
    state.messages.push(feedback)
    state.attemptStart = state.messages.length
    run.journal.append({ kind: "validation_retry", payload: { attempt, error: verdict.left, message: feedback } })
    return pattern()
  }
  const pattern = (): Effect.Effect<unknown, RunError> =>
    Effect.matchCauseEffect(run.agent.pattern.execute(context), {
      onFailure: (cause) => {
        // what Effect.catchTag("ModelRetryError") catches: the model is asked again, as for a rejected output
        const failure = Cause.failureOrCause(cause)
        return failure._tag === "Left" && failure.left._tag === "ModelRetryError"
          ? judge(new ModelRetryRequested(failure.left.message))
          : Effect.failCause(cause)
      },
      onSuccess: (raw) => {
        if (!run.journal.durable) return judge(raw)
        run.journal.append({ kind: "output", payload: { value: jsonSafe(raw) } })
        return Effect.flatMap(run.journal.sync, () => judge(raw))
      }
    })
  return resumed !== undefined ? Effect.suspend(() => judge(resumed.value)) : Effect.suspend(pattern)
}
