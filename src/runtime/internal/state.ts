/**
 * The state of one run. One fiber drives a run, so its state is one small mutable record owned by that
 * fiber (tool handlers running on other fibers only emit events): a `Ref` per field would cost an
 * allocation per update on the hot path for no safety gained. Private to the runtime.
 */
import * as Records from "./records.js"
import type { BudgetExhausted } from "../../kernel/Errors.js"
import { type RunArtifact, RunUsage } from "../../kernel/Run.js"
import type { Message } from "../../kernel/Transcript.js"

/** A handoff that ended the run: the run that took the turn over, its answer, and the agents the turn passed. */
export interface Handoff {
  readonly runId: string
  readonly finalOutput: unknown
  readonly chain: ReadonlyArray<string>
}

export class RunState {
  /** The conversation: history, the user input, and everything the run added. */
  messages: Array<Message> = []
  /** Index in `messages` where this run's own messages begin (the user input). */
  runStart = 0
  /** Index in `messages` where the pattern's current attempt begins (after the input, or the latest feedback). */
  attemptStart = 0
  /** The child runs that tools started (see subAgents.ts), with what each spent. */
  readonly children: Array<{ readonly runId: string; readonly agentId: string; readonly stopReason: string; readonly usage: RunUsage }> = []
  /** Set when a handoff completed: the run ends with the other agent's answer (see subAgents.ts). */
  handoff: Handoff | undefined = undefined
  /** What the pattern put into the result's metadata. */
  patternMetadata: Record<string, unknown> | undefined = undefined
  usage: RunUsage = RunUsage.empty
  /** Model calls made (each is a step). */
  steps = 0
  artifacts: Array<RunArtifact> = []
  /** The limit that stopped the run, when one did (set before the run fiber is interrupted for it). */
  limitHit: BudgetExhausted | undefined = undefined
  /** The agent's instructions and the skills' for this session. */
  instructions: string | undefined = undefined
  contextMetadata: Readonly<Record<string, unknown>> | undefined = undefined
  /** Messages and artifacts an earlier attempt of this run stored already (a resumed run skips them). */
  persistedBefore = 0
  artifactsPersistedBefore = 0
  /** Validation retries made so far. */
  validationAttempts = 0
  costUnknownReported = false
  /** Tools a durable run warned about (made on the first warning). */
  warnedTools: Set<string> | undefined = undefined

  addToolCall(): void {
    this.usage = Records.withToolCall(this.usage)
  }

  /** The user input this run started with (a resumed run's, whatever the resume request said). */
  input(fallback: string): string {
    const first = this.messages[this.runStart]
    return first?._tag === "user" ? first.content : fallback
  }
}
