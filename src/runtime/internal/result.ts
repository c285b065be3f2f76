/**
 * How a run ends, whatever happened: its exit becomes a RunResult, what it wrote is persisted (the
 * journal, its messages and artifacts always; memory when it completed), the session lease is released
 * and `run.finished` is published. The release and `run.finished` are finalizers: a defect in
 * persistence cannot skip them. Private to the runtime.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { identity } from "effect/Function"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import { unsafeMake } from "../../internal/unsafeMake.js"
import * as Records from "./records.js"
import type { PendingApprovalInfo } from "../../kernel/Approval.js"
import { ApprovalTimeout, AwaitingApproval, BudgetExhausted, type SessionStoreError } from "../../kernel/Errors.js"
import { RunErrorInfo, RunResult, type StopReason } from "../../kernel/Run.js"
import { SessionArtifact } from "../../kernel/Session.js"
import { pendingOf } from "./approval.js"
import { STOP_FOR_LIMIT } from "./budget.js"
import type { Run } from "./env.js"
import { jsonText } from "./json.js"
import { memoryGuard } from "./memory.js"

/** What a RunResult tells of an error: its tag, message, whether retrying can help, and a hint. */
export const errorInfo = (error: unknown): RunErrorInfo => {
  const e = error as {
    _tag?: unknown
    message?: unknown
    retryable?: unknown
    hint?: unknown
    attempts?: unknown
    retryAfterMs?: unknown
  }
  const tag = typeof e?._tag === "string" ? e._tag : error instanceof Error ? error.name : "UnknownError"
  const message = typeof e?.message === "string" && e.message !== "" ? e.message : String(error)
  return new RunErrorInfo({
    tag,
    message,
    retryable: e?.retryable === true,
    ...(typeof e?.hint === "string" ? { hint: e.hint } : {}),
    ...(typeof e?.attempts === "number" ? { attempts: e.attempts } : {}),
    ...(typeof e?.retryAfterMs === "number" ? { retryAfterMs: e.retryAfterMs } : {})
  })
}

/** The stop reason, error and limit of an exit. */
const outcomeOf = (run: Run, exit: Exit.Exit<unknown, unknown>) => {
  const limitHit = run.state.limitHit
  const handoff = run.state.handoff
  if (handoff !== undefined) return { stopReason: "completed" as StopReason, finalOutput: handoff.finalOutput, error: null, limit: undefined }
  if (Exit.isSuccess(exit)) return { stopReason: "completed" as StopReason, finalOutput: exit.value, error: null, limit: undefined }
  if (Cause.isInterruptedOnly(exit.cause) && !limitHit) {
    return {
      stopReason: "cancelled" as StopReason,
      finalOutput: null,
      error: new RunErrorInfo({ tag: "Cancelled", message: "The run was cancelled", retryable: false }),
      limit: undefined
    }
  }
  const failure = Cause.failureOption(exit.cause)
  const cause = Option.isSome(failure) ? failure.value : Cause.squash(exit.cause)
  if (cause instanceof AwaitingApproval || cause instanceof ApprovalTimeout) {
    const stopReason: StopReason = cause instanceof AwaitingApproval ? "awaiting_approval" : "approval_timeout"
    return { stopReason, finalOutput: null, error: errorInfo(cause), limit: undefined }
  }
  if (cause instanceof BudgetExhausted) {
    return { stopReason: STOP_FOR_LIMIT[cause.limit], finalOutput: null, error: errorInfo(cause), limit: cause.limit }
  }
  if (limitHit && Cause.isInterrupted(exit.cause)) {
    return { stopReason: STOP_FOR_LIMIT[limitHit.limit], finalOutput: null, error: errorInfo(limitHit), limit: limitHit.limit }
  }
  return { stopReason: "failed" as StopReason, finalOutput: null, error: errorInfo(cause), limit: undefined }
}

/**
 * Writes what the run produced, in order: the journal's end, the run's messages, its artifacts, and
 * (for a completed run) the memory write-back. Fails with the store's error; the result is kept either
 * way. A chain of effects rather than Effect.gen: it runs once a run, on every run's path.
 */
const persist = (run: Run, stopReason: StopReason, finalOutput: unknown, finishedAt: number): Effect.Effect<void, SessionStoreError> =>
  Effect.suspend(() => {
    const { agent, request, state, store } = run
    const { runId, sessionId } = request
    const writes: Array<Effect.Effect<void, SessionStoreError>> = []
    if (run.journal.started) {
      run.journal.append({ kind: "run_finished", payload: { stopReason } })
      writes.push(run.journal.flush)
    }
    // a run that handed its turn over leaves the conversation to the agent that answered (on the session)
    const own = state.handoff ? [] : state.messages.slice(state.runStart + state.persistedBefore)
    if (own.length > 0) {
      writes.push(store.appendMessages(
        sessionId,
        own.map((message) => Records.sessionMessage({ runId, agentId: agent.id, message, timestampMs: finishedAt }))
      ))
    }
    for (const a of state.artifacts.slice(state.artifactsPersistedBefore)) {
      writes.push(Effect.suspend(() =>
        store.saveArtifact(sessionId, new SessionArtifact({ name: a.name, kind: a.kind, payload: a.payload, metadata: { ...a.metadata, runId } }))
      ))
    }
    if (stopReason === "completed" && !state.handoff) {
      writes.push(Effect.flatMap(store.getState(sessionId), (before) =>
        Effect.flatMap(
          memoryGuard(run, "writeback", agent.memory.writeback(before, {
            runId,
            input: state.input(request.inputText),
            output: typeof finalOutput === "string" ? finalOutput : jsonText(finalOutput),
            stopReason
          })),
          // a writeback that failed (on_error: continue) leaves the state as it was, and says nothing was written
          (next) => Option.isNone(next) ? Effect.void : Effect.map(store.setState(sessionId, next.value), () => run.emitter.emit("memory.written", {}))
        )))
    }
    return writes.length === 0 ? Effect.void : writes.length === 1 ? writes[0]! : Effect.forEach(writes, identity, { discard: true })
  })

/**
 * The result of a run that ended with `exit`. Persists, releases the session lease (closing
 * `leaseScope`) and publishes `run.finished`, in that order; never fails.
 */
export const finish = (
  run: Run,
  exit: Exit.Exit<unknown, unknown>,
  startedAt: number,
  leaseScope: Scope.CloseableScope
): Effect.Effect<RunResult> =>
  Effect.flatMap(
    Effect.ensuring(
      // a defect here must still end the run with a result, its lease released and run.finished published
      Effect.catchAllCause(resultOf(run, exit, startedAt), (cause) => Effect.succeed(defectResult(run, cause, startedAt))),
      Scope.close(leaseScope, Exit.void)
    ),
    (result) => {
      const announce = (): RunResult => {
        run.emitter.finish({
          stopReason: result.stopReason,
          ...(result.error ? { error: result.error.message } : {}),
          durationMs: result.metadata["durationMs"] as number
        }, result)
        return result
      }
      // the trace is written before run.finished: whoever sees the result can read its trace
      return run.recorder ? Effect.map(run.recorder.end(result), announce) : Effect.sync(announce)
    }
  )

const resultOf = (run: Run, exit: Exit.Exit<unknown, unknown>, startedAt: number): Effect.Effect<RunResult> =>
  Effect.suspend(() => {
    const { agent, request, state } = run
    const finishedAt = run.clock.unsafeCurrentTimeMillis()
    const outcome = outcomeOf(run, exit)
    const metadata: Record<string, unknown> = {
      ...state.patternMetadata,
      steps: state.steps,
      durationMs: finishedAt - startedAt,
      ...(state.contextMetadata ? { context: state.contextMetadata } : {}),
      ...(state.children.length > 0 ? { children: state.children.map((c) => ({ ...c, usage: c.usage })) } : {}),
      ...(outcome.limit ? { limit: outcome.limit } : {}),
      ...(state.handoff ? { handoffFrom: state.handoff.runId, handoffChain: state.handoff.chain } : {})
    }
    const build = (pendingApprovals: ReadonlyArray<PendingApprovalInfo> | undefined): RunResult =>
      unsafeMake(RunResult, {
        ...(pendingApprovals !== undefined ? { pendingApprovals } : {}),
        runId: request.runId,
        sessionId: request.sessionId,
        agentId: agent.id,
        finalOutput: outcome.finalOutput,
        stopReason: outcome.stopReason,
        usage: state.usage,
        artifacts: state.artifacts,
        error: outcome.error,
        metadata,
        ...(run.recorder ? { traceId: request.runId } : {})
      })
    return Effect.flatMap(Effect.exit(persist(run, outcome.stopReason, outcome.finalOutput, finishedAt)), (persisted) => {
      if (Exit.isFailure(persisted)) {
        metadata["persistError"] = Cause.isFailType(persisted.cause)
          ? persisted.cause.error.message
          : Cause.pretty(persisted.cause).split("\n")[0]
      }
      const waiting = outcome.stopReason === "awaiting_approval" || outcome.stopReason === "approval_timeout"
      return waiting ? Effect.map(pendingOf(run), build) : Effect.succeed(build(undefined))
    })
  })

const defectResult = (run: Run, cause: Cause.Cause<unknown>, startedAt: number): RunResult =>
  new RunResult({
    runId: run.request.runId,
    sessionId: run.request.sessionId,
    agentId: run.agent.id,
    finalOutput: null,
    stopReason: "failed",
    usage: run.state.usage,
    artifacts: run.state.artifacts,
    error: errorInfo(Cause.squash(cause)),
    metadata: { steps: run.state.steps, durationMs: run.clock.unsafeCurrentTimeMillis() - startedAt },
    ...(run.recorder ? { traceId: run.request.runId } : {})
  }, true)
