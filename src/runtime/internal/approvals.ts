/**
 * The runtime's approval operations (see docs/approvals.md): list the calls waiting for a human, and
 * approve or reject one. A decision goes to the run waiting for it in this process; a run that stopped
 * (`awaiting_approval`, `approval_timeout`, or a process that went away) gets it through the session
 * store and is continued under its own run id from its journal, to its end. Private to the runtime.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { type ApprovalDecision, PendingApproval } from "../../kernel/Approval.js"
import { ApprovalError, type ConfigError, type SessionStoreError, type UnknownAgentError } from "../../kernel/Errors.js"
import { RunRequest, type RunResult } from "../../kernel/Run.js"
import type { SessionStore } from "../../sessions/SessionStore.js"
import { applyEdit, type Waiting } from "./approval.js"
import type { AgentEnv } from "./env.js"

/**
 * Options of a decision.
 *
 * @since 0.3.0
 * @category models
 */
export interface DecideOptions {
  /** The session of the run, when known (else every session is searched). */
  readonly sessionId?: string | undefined
  /** A run continued by this decision waits at its next call needing approval (default false: it stops). */
  readonly waitForApproval?: boolean | undefined
  /** False: only record the decision, the caller continues the run (see `continuation`). Default true. */
  readonly continueRun?: boolean | undefined
}

/**
 * The request that continues a stopped run once each of its waiting calls is decided (`undefined` while
 * one is not): same run id, from the checkpoint of its latest pending call.
 *
 * @since 0.3.0
 * @category constructors
 */
export const continuation = (
  ofRun: ReadonlyArray<PendingApproval>,
  waitForApproval: boolean
): RunRequest | undefined => {
  if (ofRun.length === 0 || ofRun.some((p) => p.decision === undefined)) return undefined
  const latest = ofRun.reduce((a, b) => (b.requestedAtMs >= a.requestedAtMs ? b : a))
  return new RunRequest({
    agentId: latest.agentId,
    sessionId: latest.sessionId,
    runId: latest.runId,
    inputText: latest.inputText,
    durable: latest.durable,
    resumeFromCheckpoint: latest.checkpointId,
    waitForApproval
  })
}

/**
 * Errors of a decision: the call is unknown or the edit refused (`ApprovalError`), the store failed, or
 * the continued run could not start.
 *
 * @since 0.3.0
 * @category errors
 */
export type DecideError<StartError> = ApprovalError | SessionStoreError | StartError

/**
 * The approval operations of the runtime. `approve` and `reject` return the continued run's result when
 * the decision continued a stopped run, `None` when a run of this process was waiting for it (or the run
 * still waits for other decisions).
 *
 * @since 0.3.0
 * @category models
 */
export interface Operations<StartError> {
  /**
   * The calls waiting for a decision, of one session or of all. A call decided while its run was stopped
   * stays listed, with its `decision`, until the run goes on (a crash in between: decide it again).
   */
  readonly pendingApprovals: (sessionId?: string) => Effect.Effect<ReadonlyArray<PendingApproval>, SessionStoreError>
  readonly approve: (
    runId: string,
    callId: string,
    options?: DecideOptions & { readonly arguments?: Readonly<Record<string, unknown>> | undefined }
  ) => Effect.Effect<Option.Option<RunResult>, DecideError<StartError>>
  readonly reject: (
    runId: string,
    callId: string,
    reason?: string,
    options?: DecideOptions
  ) => Effect.Effect<Option.Option<RunResult>, DecideError<StartError>>
}

export const make = <StartError>(deps: {
  readonly store: SessionStore["Type"]
  readonly waiting: Waiting
  readonly agent: (agentId: string) => Effect.Effect<AgentEnv, ConfigError | UnknownAgentError>
  readonly runDetailed: (request: RunRequest) => Effect.Effect<RunResult, StartError>
}): Operations<StartError> => {
  const { store, waiting } = deps

  const find = (runId: string, callId: string, sessionId: string | undefined) =>
    Effect.flatMap(store.listPendingApprovals(sessionId), (all) => {
      const found = all.find((p) => p.runId === runId && p.callId === callId)
      return found !== undefined ? Effect.succeed(found) : Effect.fail(
        new ApprovalError({
          runId,
          callId,
          message: `no call '${callId}' of run '${runId}' waits for approval${sessionId ? ` in session '${sessionId}'` : ""}`,
          hint: "list the pending calls with `openagents approvals list` or runtime.pendingApprovals()"
        })
      )
    })

  /** An edit is checked against the tool as the agent has it now: refused, the call stays pending. */
  const check = (pending: PendingApproval, decision: ApprovalDecision) =>
    Effect.gen(function*() {
      if (decision.decision !== "approve" || decision.arguments === undefined) return
      const env = yield* Effect.mapError(deps.agent(pending.agentId), (e) =>
        new ApprovalError({ runId: pending.runId, callId: pending.callId, message: e.message }))
      const tool = env.toolkit.tools.get(pending.tool)
      const edited = tool
        ? applyEdit(tool, pending.arguments, decision.arguments)
        : Either.left(`agent '${pending.agentId}' has no tool '${pending.tool}' any more`)
      if (Either.isLeft(edited)) {
        return yield* new ApprovalError({
          runId: pending.runId,
          callId: pending.callId,
          message: edited.left,
          hint: `the call stays pending; editable arguments: ${pending.editableParams.join(", ") || "none"}`
        })
      }
    })

  const decide = (runId: string, callId: string, decision: ApprovalDecision, options: DecideOptions | undefined) =>
    Effect.gen(function*() {
      const pending = yield* find(runId, callId, options?.sessionId)
      yield* check(pending, decision)
      if (yield* waiting.deliver(runId, callId, decision)) return Option.none<RunResult>()
      yield* store.savePendingApproval(pending.sessionId, new PendingApproval({ ...pending, decision }))
      if (options?.continueRun === false) return Option.none<RunResult>()
      // a run with several calls waiting goes on once each of them is decided
      const ofRun = (yield* store.listPendingApprovals(pending.sessionId)).filter((p) => p.runId === runId)
      const request = continuation(ofRun, options?.waitForApproval ?? false)
      if (request === undefined) return Option.none<RunResult>()
      const result = yield* deps.runDetailed(request)
      return Option.some(result)
    })

  return {
    pendingApprovals: (sessionId) => store.listPendingApprovals(sessionId),
    approve: (runId, callId, options) =>
      decide(runId, callId, {
        decision: "approve",
        ...(options?.arguments !== undefined ? { arguments: options.arguments } : {})
      }, options),
    reject: (runId, callId, reason, options) =>
      decide(runId, callId, { decision: "reject", ...(reason !== undefined ? { reason } : {}) }, options)
  }
}
