/**
 * The memory seam: what a run remembers of the session's earlier turns. Memory keeps its data in the
 * session state (so a persistent session store keeps it across restarts) and is written back at the end
 * of every run.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { Message } from "../kernel/Transcript.js"
import type { SessionState } from "../sessions/SessionStore.js"

/**
 * One finished turn, as memory sees it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Turn {
  readonly runId: string
  readonly input: string
  readonly output: string
  readonly stopReason: string
}

/**
 * The run a memory injects for: memories that choose what to recall by the task (experiences) read it.
 *
 * @since 0.3.0
 * @category models
 */
export interface RunInfo {
  readonly runId: string
  readonly sessionId: string
  readonly agentId: string
  /** The run's input text. */
  readonly input: string
}

/**
 * What a memory implements.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /**
   * The messages injected before the new user input (a leading `system` message joins the system
   * prompt). `run` is given by the runtime; a memory composing others passes it on.
   */
  readonly inject: (state: SessionState, run?: RunInfo) => Effect.Effect<ReadonlyArray<Message>>
  /** The new session state after a turn. Called again with the same `runId` when a run is resumed after it
   * wrote back: the turn must then replace the earlier one, not be added twice. */
  readonly writeback: (state: SessionState, turn: Turn) => Effect.Effect<SessionState>
}

/**
 * The memory used by an agent.
 *
 * @since 0.1.0
 * @category tags
 */
export class Memory extends Context.Tag("openagents/Memory")<Memory, Service>() {}
