/**
 * `plan_execute`: the model first makes a plan (a list of steps, validated by a Schema), then carries it
 * out step by step with its tools, makes a new plan for what remains when a step fails (a bounded number
 * of times), and ends with a final answer. Written with {@link Resumable} steps: a durable run resumed
 * after a crash goes on at the step it stood at.
 *
 * Events (chunks of the run's stream): `pattern.phase` (`planning`, `executing`, `answering`),
 * `pattern.plan_created` (the plan, `revision` 0 and then 1, 2, ... for each new plan),
 * `pattern.step_started` and `pattern.step_finished`. The plan in force at the end is the result's
 * `metadata.plan`.
 *
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type { RunError } from "../kernel/Errors.js"
import type * as RunContext from "../kernel/RunContext.js"
import { responseText } from "../kernel/Transcript.js"
import { Pattern } from "./Pattern.js"
import * as Resumable from "./Resumable.js"

/**
 * Options of the pattern (`pattern.config` in agent.json: `max_replans`, `max_plan_steps`).
 *
 * @since 0.2.0
 * @category models
 */
export interface Options {
  /** New plans after failed steps before the failure is accepted and the run goes on (default 2). */
  readonly maxReplans?: number
  /** The most steps a plan may have (default 8). */
  readonly maxPlanSteps?: number
}

/**
 * The plan the model answers with: `{"plan": ["step", ...]}` (a step may also be `{"description": ...}`).
 *
 * @since 0.2.0
 * @category schemas
 */
export const PlanAnswer = Schema.Struct({
  plan: Schema.Array(Schema.Union(
    Schema.String.pipe(Schema.minLength(1)),
    Schema.Struct({ description: Schema.String.pipe(Schema.minLength(1)) })
  )).pipe(Schema.minItems(1))
})

/**
 * One step of a plan.
 *
 * @since 0.2.0
 * @category models
 */
export interface PlanStep {
  readonly description: string
}

const FAILED = /^\s*FAILED\b:?\s*/i

/** The plan in a model's answer (bare JSON or fenced), or why it is none. */
export const parsePlan = (text: string, maxSteps: number): Either.Either<ReadonlyArray<PlanStep>, string> => {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(text)
  const body = (fenced ? fenced[1]! : text).trim()
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch (e) {
    return Either.left(`the plan is not valid JSON (${(e as Error).message})`)
  }
  return Either.flatMap(
    Either.mapLeft(Schema.decodeUnknownEither(PlanAnswer)(json), (e) => ParseResult.TreeFormatter.formatErrorSync(e)),
    ({ plan }) =>
      plan.length > maxSteps
        ? Either.left(`the plan has ${plan.length} steps, more than ${maxSteps}`)
        : Either.right(plan.map((s) => ({ description: typeof s === "string" ? s : s.description })))
  )
}

const planRequest = (run: RunContext.Service, maxSteps: number, context: string) =>
  `${context}Answer with only a JSON object {"plan": ["first step", "second step", ...]}, at most ${maxSteps} steps, ` +
  `each one thing to do. ` +
  (run.tools.length > 0
    ? `The tools you can use when carrying it out: ${run.tools.map((t) => `${t.name} (${t.description})`).join("; ")}.`
    : "There are no tools: each step is done by reasoning.")

/**
 * Builds the pattern.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (options?: Options): Pattern["Type"] => {
  const maxReplans = options?.maxReplans ?? 2
  const maxPlanSteps = options?.maxPlanSteps ?? 8
  return Pattern.of({
    name: "plan_execute",
    execute: (run) =>
      Effect.gen(function*() {
        const steps = yield* Resumable.make(run)
        const emit = steps.emit

        /** A planning call; an unusable answer is sent back once, then the task itself is the one step. */
        const makePlan = (context: string, revision: number): Effect.Effect<ReadonlyArray<PlanStep>, RunError> =>
          Effect.gen(function*() {
            yield* emit("pattern.phase", { pattern: "plan_execute", phase: "planning" })
            yield* steps.say(planRequest(run, maxPlanSteps, context))
            let parsed = parsePlan(responseText(yield* steps.step({ withTools: false })), maxPlanSteps)
            if (Either.isLeft(parsed)) {
              yield* steps.say(`That is not a usable plan: ${parsed.left}. ${planRequest(run, maxPlanSteps, "")}`)
              parsed = parsePlan(responseText(yield* steps.step({ withTools: false })), maxPlanSteps)
            }
            const plan = Either.getOrElse(parsed, () => [{ description: run.request.inputText }])
            yield* emit("pattern.plan_created", { plan, revision })
            return plan
          })

        let plan = yield* makePlan("Before doing anything, make a plan for the task above. ", 0)
        yield* run.setMetadata("plan", plan)
        yield* emit("pattern.phase", { pattern: "plan_execute", phase: "executing" })
        let replans = 0
        for (let i = 0; i < plan.length; i++) {
          const step = plan[i]!
          yield* emit("pattern.step_started", { index: i, description: step.description })
          yield* steps.say(
            `Step ${i + 1} of ${plan.length}: ${step.description}\n` +
              `Do this step now, with the tools you need. Then answer with a short report of what it gave; ` +
              `if it cannot be done, start the answer with "FAILED:" and say why.`
          )
          const outcome = yield* steps.act()
          const failed = FAILED.test(outcome.text)
          yield* emit("pattern.step_finished", { index: i, status: failed ? "failed" : "done", result: outcome.text })
          if (failed && replans < maxReplans) {
            replans++
            const rest = yield* makePlan(
              `Step ${i + 1} failed: ${outcome.text.replace(FAILED, "")}\n` +
                `Make a new plan for what remains of the task, given what is done so far. `,
              replans
            )
            plan = [...plan.slice(0, i), ...rest]
            yield* run.setMetadata("plan", plan)
            yield* emit("pattern.phase", { pattern: "plan_execute", phase: "executing" })
            i-- // the new plan's first step takes the failed one's place
            continue
          }
        }
        yield* emit("pattern.phase", { pattern: "plan_execute", phase: "answering" })
        yield* steps.say("Every step of the plan is done. Give the final answer to the task now.")
        return responseText(yield* steps.step({ withTools: false }))
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
