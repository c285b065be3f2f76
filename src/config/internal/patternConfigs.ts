/**
 * The Schemas of the `config` objects of the builtin patterns (re-exported by `BuiltinConfigs.ts`).
 *
 * @since 0.2.0
 */
import * as Schema from "effect/Schema"
import { NonEmptyString, NonNegativeInt, PositiveInt } from "./primitives.js"

/**
 * Config of the `plan_execute` pattern.
 *
 * @since 0.2.0
 * @category schemas
 */
export const PlanExecuteConfig = Schema.Struct({
  max_replans: Schema.optionalWith(NonNegativeInt, { default: () => 2 }).annotations({
    description: "New plans after failed steps before a failure is accepted (default 2)."
  }),
  max_plan_steps: Schema.optionalWith(PositiveInt, { default: () => 8 }).annotations({
    description: "The most steps a plan may have (default 8)."
  })
})

/**
 * Config of the `reflexion` pattern.
 *
 * @since 0.2.0
 * @category schemas
 */
export const ReflexionConfig = Schema.Struct({
  max_retries: Schema.optionalWith(NonNegativeInt, { default: () => 2 }).annotations({
    description: "Revisions after a 'revise' verdict before the last answer stands (default 2)."
  }),
  reflect_on_tool_failures: Schema.optionalWith(Schema.Boolean, { default: () => true }).annotations({
    description: "Reflect on failed tool calls too (default true)."
  })
})

/**
 * Config of the `router` pattern.
 *
 * @since 0.4.0
 * @category schemas
 */
export const RouterConfig = Schema.Struct({
  routes: Schema.Array(Schema.Struct({
    agent: Schema.propertySignature(NonEmptyString).annotations({ description: "The id of an agent of this config." }),
    description: Schema.propertySignature(NonEmptyString).annotations({ description: "What the agent is for (what the model reads to choose)." })
  })).pipe(Schema.minItems(1)).annotations({ description: "The agents the router chooses from (at least one)." }),
  fallback: Schema.optional(NonEmptyString).annotations({
    description: "The agent that answers when the model's choice is missing or invalid (default: the first route's)."
  })
})
