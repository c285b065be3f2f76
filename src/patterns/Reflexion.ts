/**
 * `reflexion`: the model acts as in ReAct; when a tool call fails, a reflection call says what went wrong
 * before it goes on; when it answers, a reflection call reviews the answer against the task, and a
 * `revise` verdict sends the model back to work with the critique, up to `max_retries` times. Each
 * reflection is a `pattern.reflection` chunk, and a model call in the journal. Written with
 * {@link Resumable} steps: a durable run resumed after a crash goes on where it stood.
 *
 * The result's `metadata.reflections` counts the reflections made.
 *
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import type { RunError } from "../kernel/Errors.js"
import { responseText, responseToolCalls } from "../kernel/Transcript.js"
import { Pattern } from "./Pattern.js"
import * as Resumable from "./Resumable.js"

/**
 * Options of the pattern (`pattern.config` in agent.json: `max_retries`, `reflect_on_tool_failures`).
 *
 * @since 0.2.0
 * @category models
 */
export interface Options {
  /** Revisions after a `revise` verdict before the last answer stands (default 2). */
  readonly maxRetries?: number
  /** Reflect on failed tool calls too (default true). */
  readonly reflectOnToolFailures?: boolean
}

/**
 * The review the model answers with.
 *
 * @since 0.2.0
 * @category schemas
 */
export const Review = Schema.Struct({
  verdict: Schema.Literal("accept", "revise"),
  critique: Schema.optionalWith(Schema.String, { default: () => "" })
})

/** The review in a model's answer; an answer that is no review accepts, with its text as the critique. */
export const parseReview = (text: string): typeof Review.Type => {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(text)
  try {
    return Schema.decodeUnknownSync(Review)(JSON.parse((fenced ? fenced[1]! : text).trim()))
  } catch {
    return { verdict: "accept", critique: text }
  }
}

const REVIEW_REQUEST = "Review your last answer against the task: is it correct and complete? Answer with only " +
  `a JSON object {"verdict": "accept" | "revise", "critique": "what is wrong or missing, if anything"}.`

/**
 * Builds the pattern.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (options?: Options): Pattern["Type"] => {
  const maxRetries = options?.maxRetries ?? 2
  const onToolFailures = options?.reflectOnToolFailures ?? true
  return Pattern.of({
    name: "reflexion",
    execute: (run) =>
      Effect.gen(function*() {
        const steps = yield* Resumable.make(run)
        let reflections = 0
        let retries = 0

        /** ReAct, with a reflection after each answer whose tool calls failed. */
        const act: Effect.Effect<string, RunError> = Effect.gen(function*() {
          while (true) {
            const response = yield* steps.step()
            const calls = responseToolCalls(response)
            if (calls.length === 0) return responseText(response)
            const outcomes = yield* steps.callTools(calls)
            const failed = outcomes.filter((o) => o.isError)
            if (failed.length === 0 || !onToolFailures) continue
            yield* steps.say(
              `The tool call${failed.length > 1 ? "s" : ""} ${failed.map((o) => `${o.toolName} (${o.content})`).join(", ")} ` +
                "failed. In one or two sentences: what went wrong, and what will you do instead?"
            )
            const critique = responseText(yield* steps.step({ withTools: false }))
            reflections++
            yield* steps.emit("pattern.reflection", { attempt: retries, trigger: "tool_failure", verdict: "revise", critique })
            yield* steps.say("Go on with the task, taking that into account.")
          }
        })

        while (true) {
          const answer = yield* act
          yield* steps.say(REVIEW_REQUEST)
          const review = parseReview(responseText(yield* steps.step({ withTools: false })))
          reflections++
          yield* steps.emit("pattern.reflection", { attempt: retries, trigger: "answer", ...review })
          yield* run.setMetadata("reflections", reflections)
          if (review.verdict === "accept" || retries >= maxRetries) return answer
          retries++
          yield* steps.say(`Revise your answer with this critique in mind: ${review.critique}\nThen give the whole revised answer.`)
        }
      })
  })
}

/**
 * The pattern as a Layer.
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (options?: Options): Layer.Layer<Pattern> => Layer.succeed(Pattern, make(options))
