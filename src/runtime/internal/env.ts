/**
 * What a run works with: the agent's built seams (once per agent), the runtime's services, and the parts
 * of one run (its state, limits, emitter, journal and watchdog). Private to the runtime.
 */
import type * as Clock from "effect/Clock"
import type * as Effect from "effect/Effect"
import type { ContextAssembler } from "../../context/ContextAssembler.js"
import type { EventBus } from "../../events/EventBus.js"
import type { RunRequest } from "../../kernel/Run.js"
import type { LanguageModel } from "../../llm/LanguageModel.js"
import type * as ProviderRetry from "../../llm/ProviderRetry.js"
import type { Memory } from "../../memory/Memory.js"
import type { Pattern } from "../../patterns/Pattern.js"
import type { SessionStore } from "../../sessions/SessionStore.js"
import type { ToolExecutor } from "../../tools/ToolExecutor.js"
import type { TraceStore } from "../../traces/TraceStore.js"
import type * as Toolkit from "../../tools/Toolkit.js"
import type { Limits, RunDeadlines, Watchdog } from "./budget.js"
import type { Waiting } from "./approval.js"
import type { Delegation } from "./subAgents.js"
import type { Emitter } from "./emitter.js"
import type { JournalWriter } from "./journalWriter.js"
import type { OutputValidator } from "./output.js"
import type { Recorder } from "./recorder.js"
import type { RunState } from "./state.js"

/** Everything a run of one agent needs, built once per agent. */
export interface AgentEnv {
  readonly id: string
  readonly name: string
  readonly instructions: string | undefined
  readonly model: LanguageModel["Type"]
  readonly pattern: Pattern["Type"]
  readonly memory: Memory["Type"]
  /** What a failing memory does to the run. */
  readonly memoryOnError: "continue" | "fail"
  readonly assembler: ContextAssembler["Type"]
  readonly executor: ToolExecutor["Type"]
  readonly toolkit: Toolkit.Service
  readonly retry: ProviderRetry.RetryOptions
  readonly maxSteps: number
  readonly stepTimeoutMs: number
  /** Calls of one model answer that may run at the same time. */
  readonly maxConcurrentTools: number
  readonly sessionQueueSize: number
  readonly eventQueueSize: number
  readonly outputSchema: Record<string, unknown> | undefined
  readonly approvalTimeoutMs: number | undefined
}

/** The runtime's services a run uses. */
export interface RunServices {
  readonly store: SessionStore["Type"]
  readonly bus: EventBus["Type"]
  /** The skills' text for a session, given the run's input text to match skills against. */
  readonly skillsInstructions: (sessionId: string, task?: string) => Effect.Effect<string>
  /** The runtime's watchdog, which holds every run's deadlines. */
  readonly watchdog: Watchdog
  /** Starts a child run (the runtime's `runDetailed`), for `ToolContext.runAgent`. */
  readonly runChild?: Delegation | undefined
  /** Calls of this process's runs waiting for a decision (see approval.ts). */
  readonly approvals: Waiting
  /** Where runs are traced; no tracing without it. */
  readonly traces?: TraceStore["Type"] | undefined
}

/** The parts of one run in progress. */
export interface Run {
  readonly request: RunRequest
  readonly agent: AgentEnv
  readonly store: SessionStore["Type"]
  readonly clock: Clock.Clock
  readonly limits: Limits
  readonly state: RunState
  readonly emitter: Emitter
  readonly journal: JournalWriter
  readonly deadlines: RunDeadlines
  readonly validator: OutputValidator | undefined
  /** Whether spans are recorded (a tracer other than Effect's default is installed). */
  readonly tracing: boolean
  /** Starts a child run, for `ToolContext.runAgent`. */
  readonly runChild?: Delegation | undefined
  /** Calls of this process's runs waiting for a decision. */
  readonly approvals: Waiting
  /** The run's trace recorder, when the runtime records traces. */
  readonly recorder?: Recorder | undefined
}
