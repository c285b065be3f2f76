/**
 * The builtin pattern types of agent.json: one row each (description, config Schema, constructor).
 */
import * as PlanExecute from "../../../patterns/PlanExecute.js"
import * as React from "../../../patterns/React.js"
import * as Reflexion from "../../../patterns/Reflexion.js"
import * as Router from "../../../patterns/Router.js"
import { NoConfig, PlanExecuteConfig, ReflexionConfig, RouterConfig } from "../../BuiltinConfigs.js"
import { builtin, type Table } from "../builtin.js"

export const patterns = {
  react: builtin({
    description: "ReAct with native tool calling: the model calls tools until it answers without one.",
    config: NoConfig,
    make: () => React.layer
  }),
  plan_execute: builtin({
    description: "Plans first (a list of steps), carries the plan out step by step with tools, re-plans when a step fails.",
    config: PlanExecuteConfig,
    make: (c) => PlanExecute.layer({ maxReplans: c.max_replans, maxPlanSteps: c.max_plan_steps })
  }),
  reflexion: builtin({
    description: "ReAct that reflects on failed tool calls and reviews its answer, revising it up to `max_retries` times.",
    config: ReflexionConfig,
    make: (c) => Reflexion.layer({ maxRetries: c.max_retries, reflectOnToolFailures: c.reflect_on_tool_failures })
  }),
  router: builtin({
    description: "A model call picks the agent of this config that handles the input (from the routes' descriptions), which answers it.",
    config: RouterConfig,
    make: (c) => Router.layer({ routes: c.routes, fallback: c.fallback })
  })
} as const satisfies Table<"pattern">
