/**
 * The pattern seam: the control flow of a run (when to call the model, which tools to run, when to stop).
 * A pattern works only through the {@link RunContext}, which enforces budgets and records everything.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { RunError } from "../kernel/Errors.js"
import type * as RunContext from "../kernel/RunContext.js"

/**
 * What a pattern implements. `execute` returns the run's final output (the answer text, or a value).
 * It is called again after a structured-output validation failure, with the feedback already in the
 * conversation.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly name: string
  readonly execute: (run: RunContext.Service) => Effect.Effect<unknown, RunError>
}

/**
 * The pattern used by an agent.
 *
 * @since 0.1.0
 * @category tags
 */
export class Pattern extends Context.Tag("openagents/Pattern")<Pattern, Service>() {}
