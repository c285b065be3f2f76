/**
 * Another agent as a tool: calling it runs that agent on the `input` the model gives, as a child of the
 * run in progress, and its final answer is the tool's result. The child has a session of its own, at most
 * the parent's remaining budget (steps, tool calls, cost, time), is cancelled with the parent, and what it
 * spends counts as the parent's (its usage is in the parent's result, and `metadata.children` lists it).
 * A call that would re-enter an agent the run descends from (`a -> b -> a`) or go more than three levels
 * deep is refused with a tool error naming the chain.
 *
 * In agent.json: `{"id": "researcher", "type": "agent", "config": {"agent": "<agent id>"}}`.
 *
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { ToolExecutionError } from "../kernel/Errors.js"
import * as Tool from "./Tool.js"

/**
 * Options of a sub-agent tool.
 *
 * @since 0.2.0
 * @category models
 */
export interface Options {
  /** The id of the agent to run. */
  readonly agent: string
  /** What the model reads about the tool (default: a sentence naming the agent). */
  readonly description?: string | undefined
  /** A budget of the child's own, capped by what the parent has left. */
  readonly budget?: Tool.SubAgentRequest["budget"]
  /** The child's session (default: the runtime's `multiAgent.defaultSessionIsolation`, else `isolated`). */
  readonly session?: Tool.SubAgentRequest["session"]
  /**
   * Start the child in the background: the call answers at once with `{taskId, agent, status: "running"}`,
   * and `AgentRuntime.taskStatus(taskId)` tells how it went.
   */
  readonly background?: boolean | undefined
  /** Timeout of the whole child run as a tool call (default 10 minutes). */
  readonly timeoutMs?: number | undefined
}

/**
 * The parameters: the input for the other agent.
 *
 * @since 0.2.0
 * @category schemas
 */
export const Parameters = Schema.Struct({
  input: Schema.String.pipe(Schema.minLength(1)).annotations({
    description: "The task or question for the agent, with everything it needs to know: it does not see this conversation."
  })
})

/**
 * Builds the tool.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (name: string, options: Options): Tool.Tool<typeof Parameters.Type> =>
  Tool.make(name, {
    description: options.description ?? `Asks the agent '${options.agent}' to do a task and returns its answer.`,
    parameters: Parameters,
    // running the call again resumes the child: a durable parent's child is durable, and a resumed parent
    // resumes it from its last checkpoint (see runtime/internal/subAgents.ts), redoing none of its steps
    durableIdempotent: true,
    timeoutMs: options.timeoutMs ?? 600_000,
    handler: ({ input }, context) => {
      if (context.runAgent === undefined) {
        return Effect.fail(new ToolExecutionError({ toolName: name, message: "a sub-agent runs only inside an agent runtime" }))
      }
      return Effect.flatMap(
        context.runAgent({
          agentId: options.agent,
          inputText: input,
          budget: options.budget,
          session: options.session,
          background: options.background
        }),
        (result) =>
          result.stopReason === "completed"
            ? Effect.succeed(result.finalOutput)
            : Effect.fail(
              new ToolExecutionError({
                toolName: name,
                message: `agent '${options.agent}' stopped: ${result.stopReason}${result.error ? ` (${result.error.message})` : ""}`
              })
            )
      )
    }
  })
