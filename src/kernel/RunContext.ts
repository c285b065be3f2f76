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
import type { EventName, EventPayload } from "./EventTaxonomy.js"
import type { RunArtifact, RunRequest, RunResult } from "./Run.js"
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
 * The events a pattern publishes itself (see `RunContext.emitPattern`).
 *
 * @since 0.2.0
 * @category models
 */
export type PatternEventName = Extract<EventName, `pattern.${string}`>

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
  /**
   * The messages of this attempt of the pattern, after the user input: empty when the pattern starts,
   * the messages since the latest rejected output's feedback when validation made it run again, and what
   * the journal rebuilt when a durable run resumed. A pattern that replays these before acting live (see
   * `Resumable`) goes on where it stood after a crash.
   */
  readonly attempt: Effect.Effect<ReadonlyArray<Message>>
  /** Sets a key of the run result's `metadata` (the runtime's own keys, such as `steps`, win). */
  readonly setMetadata: (key: string, value: unknown) => Effect.Effect<void>
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
  /**
   * Publishes one of the pattern events of the taxonomy (`pattern.phase`, `pattern.plan_created`,
   * `pattern.step_started`, `pattern.step_finished`, `pattern.reflection`, `pattern.routed`): they are chunks of the run's
   * stream.
   */
  readonly emitPattern: <K extends PatternEventName>(name: K, payload: EventPayload<K>) => Effect.Effect<void>
  /** Publishes a custom event for this run. */
  readonly emit: (name: string, payload: Record<string, unknown>) => Effect.Effect<void>
  /** Records an artifact of the run (streamed as an `artifact` chunk). */
  readonly addArtifact: (artifact: RunArtifact) => Effect.Effect<void>
  /**
   * Runs another agent as a child of this run, as a tool of type `agent` or `handoff` does (see
   * docs/multi-agent.md): within the run's budget, cancelled with it, its chunks in the run's stream. With
   * `handoff`, the run ends with the child's answer. `key` names the child (its run id is
   * `<run id>/<key>`). Absent outside a runtime.
   */
  readonly runAgent?: ((request: AgentRequest) => Effect.Effect<RunResult, RunError>) | undefined
}

/**
 * What a pattern asks of `RunContext.runAgent`.
 *
 * @since 0.4.0
 * @category models
 */
export interface AgentRequest {
  readonly agentId: string
  /** The child's input (a handoff's child answers the run's own input). */
  readonly inputText: string
  /** The child's name within the run, unique in it (its run id is `<run id>/<key>`). */
  readonly key: string
  readonly session?: "isolated" | "shared" | "forked" | undefined
  readonly handoff?: boolean | undefined
}

/**
 * The context of the run in progress.
 *
 * @since 0.1.0
 * @category tags
 */
export class RunContext extends Context.Tag("openagents/RunContext")<RunContext, Service>() {}
