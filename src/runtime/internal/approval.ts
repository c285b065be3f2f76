/**
 * The approval gate of one tool call (see docs/approvals.md). A call whose tool needs approval
 * (`approvalMode` always, or policy and its predicate says so) runs only once a decision says so: one
 * given in advance on the request, one recorded in the session store (a run continued after it stopped),
 * or one a human gives while the run waits. Before it waits, the run's journal is written up to the call
 * with a checkpoint and the call is saved in the session store, so that another process can decide and
 * continue the run if this one goes away. Waiting is one `Deferred`, with one `Effect.timeout` when there
 * is a time limit. Private to the runtime.
 */
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { type ApprovalDecision, normalize, PendingApproval, PendingApprovalInfo } from "../../kernel/Approval.js"
import { ApprovalTimeout, AwaitingApproval, type RunError } from "../../kernel/Errors.js"
import type { ToolCallPart } from "../../kernel/Transcript.js"
import type { Tool } from "../../tools/Tool.js"
import * as Budget from "./budget.js"
import type { Run } from "./env.js"

const keyOf = (runId: string, callId: string) => `${runId} ${callId}`

/** The calls of this process's runs that wait for a decision: a human's decision completes one. */
export class Waiting {
  private readonly calls = new Map<string, Deferred.Deferred<ApprovalDecision>>()

  /** Hands a decision to the run waiting for it in this process; false when none waits. */
  deliver(runId: string, callId: string, decision: ApprovalDecision): Effect.Effect<boolean> {
    const waiting = this.calls.get(keyOf(runId, callId))
    return waiting === undefined ? Effect.succeed(false) : Deferred.succeed(waiting, decision)
  }

  /** Registers the call as waiting (before anyone can be told about it, so no decision misses it). */
  register(runId: string, callId: string): Effect.Effect<Deferred.Deferred<ApprovalDecision>> {
    return Effect.tap(Deferred.make<ApprovalDecision>(), (d) => Effect.sync(() => this.calls.set(keyOf(runId, callId), d)))
  }

  unregister(runId: string, callId: string): Effect.Effect<void> {
    return Effect.sync(() => void this.calls.delete(keyOf(runId, callId)))
  }
}

/** Whether a call of `tool` with these arguments needs a decision. A policy that throws asks: when in doubt, a human decides. */
export const needsApproval = (tool: Tool, args: unknown): boolean => {
  switch (tool.approvalMode) {
    case "always":
      return true
    case "policy":
      try {
        return tool.approvalPolicy === undefined || tool.approvalPolicy(args)
      } catch {
        return true
      }
    default:
      return false
  }
}

/**
 * The arguments a call runs with after an approver's edit: only editable parameters may change, and the
 * result must match the tool's parameters. `Left` says what is wrong.
 */
export const applyEdit = (
  tool: Tool,
  original: unknown,
  edit: Readonly<Record<string, unknown>> | undefined
): Either.Either<unknown, string> => {
  if (edit === undefined) return Either.right(original)
  const editable = tool.editableParams ?? []
  const refused = Object.keys(edit).filter((k) => !editable.includes(k))
  if (refused.length > 0) {
    return Either.left(
      `argument${refused.length > 1 ? "s" : ""} ${refused.map((k) => `'${k}'`).join(", ")} of tool '${tool.name}' ` +
        `cannot be edited (editable: ${editable.length > 0 ? editable.join(", ") : "none"})`
    )
  }
  const merged = { ...(typeof original === "object" && original !== null ? original : {}), ...edit }
  return Either.match(tool.decode(merged), {
    onLeft: (message) => Either.left(`the edited arguments do not match the parameters of tool '${tool.name}': ${message}`),
    onRight: () => Either.right(merged)
  })
}

/** What runs the call once decided: with (possibly edited) arguments, or rejected with a message for the model. */
export type Next<A> = (run: Run, call: ToolCallPart, rejected?: string) => Effect.Effect<A, RunError>

/**
 * The gate before a tool call. A call that needs no approval goes straight to `next` (no Effect added);
 * so does one the tool call limit refuses anyway.
 */
export const gate = <A>(run: Run, call: ToolCallPart, next: Next<A>): Effect.Effect<A, RunError> => {
  const tool = run.agent.toolkit.tools.get(call.name)
  if (tool === undefined || !needsApproval(tool, call.arguments) || Budget.checkToolCall(run.state, run.limits)) {
    return next(run, call)
  }
  return Effect.flatMap(decide(run, call, tool), ({ decision, source }) => {
    run.emitter.emit("tool.approval_decided", {
      callId: call.id,
      tool: call.name,
      decision: decision.decision,
      ...(decision.decision === "approve" && decision.arguments ? { arguments: decision.arguments } : {}),
      ...(decision.decision === "reject" && decision.reason ? { reason: decision.reason } : {}),
      source
    })
    if (decision.decision === "reject") {
      return next(run, call, `The call was rejected by the approver${decision.reason ? `: ${decision.reason}` : ""}`)
    }
    return Either.match(applyEdit(tool, call.arguments, decision.arguments), {
      // checked when decided; a tool changed since then gets its arguments refused like a model's
      onLeft: () => next(run, { ...call, arguments: { ...(call.arguments as object), ...decision.arguments } }),
      onRight: (args) => next(run, args === call.arguments ? call : { ...call, arguments: args })
    })
  })
}

/** The decision on a call: given in advance, recorded in the store, or awaited. */
const decide = (
  run: Run,
  call: ToolCallPart,
  tool: Tool
): Effect.Effect<{ readonly decision: ApprovalDecision; readonly source: "human" | "request" }, RunError> =>
  Effect.gen(function*() {
    const { request, store } = run
    const { runId, sessionId } = request
    const advance = request.approvals?.byCallId?.[call.id] ?? request.approvals?.byTool?.[call.name]
    if (advance !== undefined) {
      const decision = normalize(advance)
      const edit = decision.decision === "approve" ? applyEdit(tool, call.arguments, decision.arguments) : Either.right(null)
      if (Either.isRight(edit)) return { decision, source: "request" as const }
      yield* Effect.logWarning(`approval given in advance for call ${call.id} not used: ${edit.left}`)
    }
    const stored = (yield* store.listPendingApprovals(sessionId)).find((p) => p.runId === runId && p.callId === call.id)
    if (stored?.decision !== undefined) {
      // the decision is used once: a crash before the call's result is journaled asks again, never runs twice
      yield* store.deletePendingApproval(sessionId, runId, call.id)
      return { decision: stored.decision, source: "human" as const }
    }
    const checkpointId = yield* run.journal.hold
    const editableParams = tool.editableParams ?? []
    const decision = yield* Effect.acquireUseRelease(
      run.approvals.register(runId, call.id),
      (waiting) =>
        Effect.gen(function*() {
          yield* store.savePendingApproval(
            sessionId,
            new PendingApproval({
              sessionId,
              runId,
              agentId: run.agent.id,
              callId: call.id,
              tool: call.name,
              arguments: call.arguments ?? null,
              editableParams,
              checkpointId,
              inputText: run.state.input(request.inputText),
              durable: request.durable,
              requestedAtMs: run.clock.unsafeCurrentTimeMillis()
            })
          )
          run.emitter.emit("tool.approval_requested", {
            runId,
            callId: call.id,
            tool: call.name,
            arguments: call.arguments ?? null,
            editableParams
          })
          if (request.waitForApproval === false) {
            return yield* new AwaitingApproval({ runId, callId: call.id, toolName: call.name })
          }
          const timeoutMs = request.approvalTimeoutMs ?? run.agent.approvalTimeoutMs
          const wait = Deferred.await(waiting)
          return yield* (timeoutMs === undefined ? wait : Effect.timeoutFail(wait, {
            duration: Duration.millis(timeoutMs),
            onTimeout: () => new ApprovalTimeout({ runId, callId: call.id, toolName: call.name, timeoutMs })
          })).pipe(
            // a cancelled run's call is not left for anyone to decide; a timed-out one stays pending
            Effect.onInterrupt(() => Effect.ignore(store.deletePendingApproval(sessionId, runId, call.id)))
          )
        }),
      () => run.approvals.unregister(runId, call.id)
    )
    yield* store.deletePendingApproval(sessionId, runId, call.id)
    return { decision, source: "human" as const }
  })

/** The calls a stopped run leaves waiting, for its RunResult (a store that cannot tell leaves the list empty). */
export const pendingOf = (run: Run): Effect.Effect<ReadonlyArray<PendingApprovalInfo>> =>
  run.store.listPendingApprovals(run.request.sessionId).pipe(
    Effect.map((all) =>
      all.filter((p) => p.runId === run.request.runId && p.decision === undefined).map((p) =>
        new PendingApprovalInfo({
          runId: p.runId,
          callId: p.callId,
          tool: p.tool,
          arguments: p.arguments,
          editableParams: p.editableParams
        })
      )
    ),
    Effect.orElseSucceed(() => [])
  )
