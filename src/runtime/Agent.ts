/**
 * Agent definitions in code. An agent names its seams as Layers; any seam it leaves out falls back to the
 * one the runtime was given (or the builtin default: mock model, ReAct, window buffer, passthrough,
 * default tool executor).
 *
 * @since 0.1.0
 */
import type * as Layer from "effect/Layer"
import type { ContextAssembler } from "../context/ContextAssembler.js"
import type { LanguageModel } from "../llm/LanguageModel.js"
import type { RetryOptions } from "../llm/ProviderRetry.js"
import type { Memory } from "../memory/Memory.js"
import type { Pattern } from "../patterns/Pattern.js"
import type { Tool } from "../tools/Tool.js"
import type { ToolExecutor } from "../tools/ToolExecutor.js"
import type { Toolkit } from "../tools/Toolkit.js"

/**
 * A toolkit Layer whose tools join an agent's (see {@link AgentDefinition.toolkits}); `source` names it
 * in the error about a tool name used twice.
 *
 * @since 0.2.0
 * @category models
 */
export interface ToolkitSource<R = never> {
  readonly source: string
  readonly layer: Layer.Layer<Toolkit, unknown, R>
}

/**
 * An agent. Its seam Layers may require services (`R`): they come from the context the runtime's Layer is
 * built in, so they surface in its requirements. A Layer that fails to build refuses the agent's runs with
 * a `ConfigError` naming the agent and the seam, its own error as the cause.
 *
 * @since 0.1.0
 * @category models
 */
export interface AgentDefinition<R = never> {
  readonly id: string
  readonly name?: string | undefined
  /** The system prompt. */
  readonly instructions?: string | undefined
  readonly model?: Layer.Layer<LanguageModel, unknown, R> | undefined
  readonly tools?: ReadonlyArray<Tool> | undefined
  /**
   * Toolkits built with the agent's other seams and in the same scope (released when the runtime closes
   * or the agent is reloaded), for tools known only once built, such as an MCP server's (`Mcp.layer`).
   * Their tools join `tools`; a name used twice refuses the agent's runs with a `ConfigError`.
   */
  readonly toolkits?: ReadonlyArray<ToolkitSource<R>> | undefined
  readonly pattern?: Layer.Layer<Pattern, unknown, R> | undefined
  readonly memory?: Layer.Layer<Memory, unknown, R> | undefined
  /** A memory that fails is skipped with a `memory.failed` event (`continue`, the default) or fails the run. */
  readonly memoryOnError?: "continue" | "fail" | undefined
  readonly contextAssembler?: Layer.Layer<ContextAssembler, unknown, R> | undefined
  readonly toolExecutor?: Layer.Layer<ToolExecutor, unknown, R> | undefined
  /** Retries of model calls (see `ProviderRetry`). */
  readonly retry?: Partial<RetryOptions> | undefined
  /** Model calls per run (default 16); `budget.maxSteps` of a request takes precedence. */
  readonly maxSteps?: number | undefined
  /** Longest a single model call (retries included) may take (default 30 000 ms). */
  readonly stepTimeoutMs?: number | undefined
  /**
   * Calls of one model answer that may run at the same time (default 10): calls of concurrency-safe tools
   * run together up to this bound; any other call runs alone, in the model's order.
   */
  readonly maxConcurrentTools?: number | undefined
  /** Runs that may wait for a busy session before new ones fail with `SessionBusy` (default 1000). */
  readonly sessionQueueSize?: number | undefined
  /** Chunks buffered for a slow stream consumer before the run waits for it (default 2000). */
  readonly eventQueueSize?: number | undefined
  /** How long a tool call waits for approval before the run stops with `approval_timeout` (default: no limit). */
  readonly approvalTimeoutMs?: number | undefined
  /** JSON Schema the final output must follow (`output_schema` in agent.json). */
  readonly outputSchema?: Record<string, unknown> | undefined
  /**
   * What the definition was built from (e.g. its agent.json block as JSON): `reload` compares it to tell
   * the agents that changed from those that did not.
   */
  readonly fingerprint?: string | undefined
  /** Free-form description of how the agent was configured (shown by `getAgentInfo`). */
  readonly info?: Readonly<Record<string, unknown>> | undefined
}

/**
 * Defines an agent (identity function that keeps the type).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <R = never>(definition: AgentDefinition<R>): AgentDefinition<R> => definition
