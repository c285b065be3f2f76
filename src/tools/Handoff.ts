/**
 * A handoff (the Python SDK's `transfer`): calling it hands the conversation to another agent, which
 * answers the run's input itself, on the run's session by default (so the conversation goes on with it
 * there). The run that handed over ends `completed` with the other agent's answer, its result's
 * `metadata.handoffFrom` naming the run that answered and `metadata.handoffChain` the agents the turn
 * passed; it stores none of its own messages of the turn. The other agent runs as a child run: within
 * the run's remaining budget, cancelled with it, its usage counted in the run's; a handoff that does not
 * complete is a tool error, and the run goes on.
 *
 * In agent.json: `{"id": "to_billing", "type": "handoff", "config": {"agent": "billing"}}`.
 *
 * @since 0.4.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { ToolExecutionError } from "../kernel/Errors.js"
import * as Tool from "./Tool.js"

/**
 * Options of a handoff tool.
 *
 * @since 0.4.0
 * @category models
 */
export interface Options {
  /** The id of the agent to hand the conversation to. */
  readonly agent: string
  /** What the model reads about the tool (default: a sentence naming the agent). */
  readonly description?: string | undefined
  /** Where the other agent answers (default `shared`: the run's session). */
  readonly session?: Tool.SubAgentRequest["session"]
  /** A budget of the other agent's own, capped by what the run has left. */
  readonly budget?: Tool.SubAgentRequest["budget"]
  /** Timeout of the other agent's whole run as a tool call (default 10 minutes). */
  readonly timeoutMs?: number | undefined
}

/**
 * The parameters: why the conversation is handed over (for the trace; the other agent reads the user's input).
 *
 * @since 0.4.0
 * @category schemas
 */
export const Parameters = Schema.Struct({
  reason: Schema.optional(Schema.String).annotations({ description: "Why this agent is the one to answer." })
})

/**
 * Builds the tool.
 *
 * @since 0.4.0
 * @category constructors
 */
export const make = (name: string, options: Options): Tool.Tool<typeof Parameters.Type> =>
  Tool.make(name, {
    description: options.description ??
      `Hands the conversation to the agent '${options.agent}', which answers the user instead of you.`,
    parameters: Parameters,
    // running the call again resumes the child: a durable parent's child is durable, and a resumed parent
    // resumes it from its last checkpoint (see runtime/internal/subAgents.ts), redoing none of its steps
    durableIdempotent: true,
    timeoutMs: options.timeoutMs ?? 600_000,
    handler: (_params, context) => {
      if (context.runAgent === undefined) {
        return Effect.fail(new ToolExecutionError({ toolName: name, message: "a handoff works only inside an agent runtime" }))
      }
      return Effect.flatMap(
        context.runAgent({
          agentId: options.agent,
          inputText: "",
          handoff: true,
          session: options.session ?? "shared",
          budget: options.budget
        }),
        (result) =>
          result.stopReason === "completed"
            ? Effect.succeed(result.finalOutput)
            : Effect.fail(
              new ToolExecutionError({
                toolName: name,
                message: `handoff to agent '${options.agent}' failed: ${result.stopReason}${result.error ? ` (${result.error.message})` : ""}`
              })
            )
      )
    }
  })
