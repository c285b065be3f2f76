/**
 * `router`: one model call picks the agent that handles the input, from the routes' descriptions; the
 * choice is checked against a Schema (a JSON object naming one of the routes), and a missing or invalid
 * choice goes to the fallback. The chosen agent then answers the input as a handoff: on the run's session,
 * its chunks in the run's stream, and the run ends with its answer (`metadata.route`, `metadata.handoffFrom`).
 * The choice is a `pattern.routed` chunk. Written with {@link Resumable} steps: a durable run resumed
 * after the choice does not ask the model again.
 *
 * @since 0.4.0
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { PatternError } from "../kernel/Errors.js"
import { responseText } from "../kernel/Transcript.js"
import { Pattern } from "./Pattern.js"
import * as Resumable from "./Resumable.js"

/**
 * One agent the router can choose.
 *
 * @since 0.4.0
 * @category models
 */
export interface Route {
  /** The agent's id. */
  readonly agent: string
  /** What the agent is for: what the model reads to choose. */
  readonly description: string
}

/**
 * Options of the pattern (`pattern.config` in agent.json: `routes`, `fallback`).
 *
 * @since 0.4.0
 * @category models
 */
export interface Options {
  readonly routes: ReadonlyArray<Route>
  /** The agent that answers when the model's choice is missing or invalid (default: the first route's). */
  readonly fallback?: string | undefined
}

/**
 * The choice the model answers with, for the given agent ids.
 *
 * @since 0.4.0
 * @category schemas
 */
export const Choice = (agents: readonly [string, ...Array<string>]) =>
  Schema.Struct({
    agent: Schema.Literal(...agents),
    reason: Schema.optionalWith(Schema.String, { default: () => "" })
  })

/**
 * The choice in a model's answer (bare JSON or in a fenced block), or why there is none.
 *
 * @since 0.4.0
 * @category parsing
 */
export const parseChoice = (
  agents: readonly [string, ...Array<string>],
  text: string
): Either.Either<{ readonly agent: string; readonly reason: string }, string> => {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(text)
  const json = Either.try(() => JSON.parse((fenced ? fenced[1]! : text).trim()) as unknown)
  if (Either.isLeft(json)) return Either.left(`the answer is not JSON: ${JSON.stringify(text.slice(0, 80))}`)
  return Either.mapLeft(
    Schema.decodeUnknownEither(Choice(agents))(json.right),
    (e) => ParseResult.TreeFormatter.formatErrorSync(e)
  )
}

const prompt = (routes: ReadonlyArray<Route>) =>
  "Choose the agent that should handle the user's last message. The agents:\n" +
  routes.map((r) => `- ${r.agent}: ${r.description}`).join("\n") +
  `\nAnswer with only a JSON object {"agent": "<one of: ${routes.map((r) => r.agent).join(", ")}>", "reason": "why, in a few words"}.`

/**
 * Builds the pattern. Fails with a `PatternError` when there is no route, or when the fallback is not one
 * of the routes.
 *
 * @since 0.4.0
 * @category constructors
 */
export const make = (options: Options): Pattern["Type"] => {
  const ids = options.routes.map((r) => r.agent)
  const fallback = options.fallback ?? ids[0]
  return Pattern.of({
    name: "router",
    execute: (run) =>
      Effect.gen(function*() {
        if (ids.length === 0 || fallback === undefined) {
          return yield* new PatternError({ message: "router: no route", hint: "give pattern.config.routes at least one agent" })
        }
        if (run.runAgent === undefined) {
          return yield* new PatternError({ message: "router: other agents can be run only inside an agent runtime" })
        }
        const steps = yield* Resumable.make(run)
        yield* steps.say(prompt(options.routes))
        const answer = responseText(yield* steps.step({ withTools: false }))
        const parsed = parseChoice(ids as [string, ...Array<string>], answer)
        const choice = Either.isRight(parsed)
          ? { agent: parsed.right.agent, reason: parsed.right.reason, fallback: false }
          : { agent: fallback, reason: "", fallback: true, error: parsed.left }
        yield* steps.emit("pattern.routed", choice)
        yield* run.setMetadata("route", { agent: choice.agent, fallback: choice.fallback })
        const result = yield* run.runAgent({ agentId: choice.agent, inputText: run.request.inputText, key: "route", handoff: true })
        if (result.stopReason !== "completed") {
          return yield* new PatternError({
            message: `router: agent '${choice.agent}' stopped: ${result.stopReason}${result.error ? ` (${result.error.message})` : ""}`
          })
        }
        return result.finalOutput
      })
  })
}

/**
 * The pattern as a Layer.
 *
 * @since 0.4.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<Pattern> => Layer.succeed(Pattern, make(options))
