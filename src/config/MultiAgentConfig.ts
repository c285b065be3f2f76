/**
 * The `multi_agent` block of agent.json (the Python SDK's `MultiAgentConfig`): the defaults of delegation
 * to other agents, which tools of type `agent` and `handoff` use when they say nothing of their own. From
 * code, the same goes in `AgentRuntime.Options.multiAgent`.
 *
 * @since 0.4.0
 */
import * as Schema from "effect/Schema"
import type { Options } from "../runtime/AgentRuntime.js"
import { ChildBudget, childBudgetOf } from "./internal/toolConfigs.js"
import { PositiveInt } from "./internal/primitives.js"

/**
 * Top-level `multi_agent`.
 *
 * @since 0.4.0
 * @category schemas
 */
export const MultiAgentConfig = Schema.Struct({
  enabled: Schema.optional(Schema.Boolean).annotations({
    description: "Accepted for the Python SDK's files; tools of type agent and handoff work without it."
  }),
  default_session_isolation: Schema.optional(Schema.Literal("isolated", "shared", "forked")).annotations({
    description: "The session of a child run whose tool names none (default 'isolated'; a handoff's default is 'shared')."
  }),
  max_delegation_depth: Schema.optional(PositiveInt).annotations({
    description: "How many levels below the first agent a chain of delegation may go (default 3)."
  }),
  default_child_budget: Schema.optional(ChildBudget).annotations({
    description: "The budget of a child run whose tool names none (always capped by what the parent has left)."
  })
}).annotations({ identifier: "MultiAgentConfig", title: "multi_agent" })

/**
 * A decoded `multi_agent` block.
 *
 * @since 0.4.0
 * @category models
 */
export interface MultiAgentConfig extends Schema.Schema.Type<typeof MultiAgentConfig> {}

/**
 * The block as the runtime's options take it.
 *
 * @since 0.4.0
 * @category conversions
 */
export const toOptions = (c: MultiAgentConfig | undefined): Options["multiAgent"] =>
  c && {
    maxDelegationDepth: c.max_delegation_depth,
    defaultChildBudget: childBudgetOf(c.default_child_budget),
    defaultSessionIsolation: c.default_session_isolation
  }
