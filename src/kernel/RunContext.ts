/**
 * The run context: what a pattern works with during one run. The runtime implements it; every model call
 * and tool call goes through it, so budgets, usage, events, streaming and journaling hold for every
 * pattern, builtin or custom.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { RunError } from "./Errors.js"
import type { RunArtifact, RunRequest } from "./Run.js"
import type { Message, ModelResponse, ToolCallPart, ToolSpec } from "./Transcript.js"

/**
 * Options of one model step.
 *
 * @since 0.1.0
 * @category models
 */
export interface StepOptions {
  readonly toolChoice?: "auto" | "required" | "none" | { readonly name: string }
  /** Offer the agent's tools to the model (default true). */
  readonly withTools?: boolean
}

/**
 * The outcome of one tool call as it went back to the model.
 *
 * @since 0.1.0
 * @category models
 */
export interface ToolOutcome {
  readonly callId: string
  readonly toolName: string
  readonly isError: boolean
  /** The tool's result (undefined when it failed). */
  readonly result: unknown
  /** The text the model reads. */
  readonly content: string
}

/**
 * What a pattern can do within a run.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly request: RunRequest
  readonly runId: string
  readonly sessionId: string
  readonly agentId: string
  /** The agent's instructions (system prompt), skills included. */
  readonly instructions: string | undefined
  readonly tools: ReadonlyArray<ToolSpec>
  /** JSON Schema the final output must follow, when structured output was asked for. */
  readonly outputSchema: Record<string, unknown> | undefined
  /** The conversation so far: history, the user input, and everything this run added. */
  readonly messages: Effect.Effect<ReadonlyArray<Message>>
  /** Adds a message to the conversation (e.g. feedback to the model). */
  readonly appendMessage: (message: Message) => Effect.Effect<void>
  /**
   * One step: a model call on the conversation so far. Enforces the step, cost and time limits, streams
   * text as `llm.delta`, records usage, retries retryable provider errors, and appends the model's answer
   * to the conversation.
   */
  readonly step: (options?: StepOptions) => Effect.Effect<ModelResponse, RunError>
  /**
   * Runs one tool call and appends its result to the conversation. A tool that fails, an unknown tool or
   * invalid arguments do not fail the run: the error goes back to the model as the tool's result.
   */
  readonly callTool: (call: ToolCallPart) => Effect.Effect<ToolOutcome, RunError>
  /**
   * Runs the tool calls of one model answer and appends their results to the conversation in the order
   * given. Calls of concurrency-safe tools run at the same time (up to the agent's `maxConcurrentTools`);
   * any other call runs alone, and safe calls touching one resource (the same file path) run in order.
   * The outcomes come back in the order given.
   */
  readonly callTools: (calls: ReadonlyArray<ToolCallPart>) => Effect.Effect<ReadonlyArray<ToolOutcome>, RunError>
  /** Publishes a custom event for this run. */
  readonly emit: (name: string, payload: Record<string, unknown>) => Effect.Effect<void>
  /** Records an artifact of the run (streamed as an `artifact` chunk). */
  readonly addArtifact: (artifact: RunArtifact) => Effect.Effect<void>
}

/**
 * The context of the run in progress.
 *
 * @since 0.1.0
 * @category tags
 */
export class RunContext extends Context.Tag("openagents/RunContext")<RunContext, Service>() {}
