/**
 * The skills seam: packaged know-how an agent can draw on (`none` here; `local` in `LocalSkills.ts`).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/**
 * A skill as listed to a session.
 *
 * @since 0.1.0
 * @category models
 */
export interface SkillSummary {
  readonly name: string
  readonly description: string
}

/**
 * What a skills provider implements.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly list: (sessionId: string) => Effect.Effect<ReadonlyArray<SkillSummary>>
  /**
   * Text added to the agent's instructions for this session (empty when none). `task` is the run's input
   * text (since 0.2.0), which a provider may match its skills against.
   */
  readonly instructions: (sessionId: string, task?: string) => Effect.Effect<string>
}

/**
 * The skills available to the runtime.
 *
 * @since 0.1.0
 * @category tags
 */
export class Skills extends Context.Tag("openagents/Skills")<Skills, Service>() {}

/**
 * No skills.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerNone: Layer.Layer<Skills> = Layer.succeed(
  Skills,
  Skills.of({ list: () => Effect.succeed([]), instructions: () => Effect.succeed("") })
)
