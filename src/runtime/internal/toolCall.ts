/**
 * One tool call of a run: through the approval gate, under the tool call limit, journaled before and
 * after (so a resumed run knows whether it started and how it ended), its result appended to the
 * conversation. A failing tool does not fail the run: its error goes back to the model, and so does a
 * rejection by the approver. A call is two halves, so that a batch (`toolBatch.ts`) can run the first
 * halves together and settle them in the model's order. Private to the runtime.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type { RunError, ToolError } from "../../kernel/Errors.js"
import type * as RunContext from "../../kernel/RunContext.js"
import type { ToolCallPart } from "../../kernel/Transcript.js"
import * as Approval from "./approval.js"
import * as Budget from "./budget.js"
import * as SubAgents from "./subAgents.js"
import type { Run } from "./env.js"
import { jsonSafe, resultText } from "./json.js"
import * as Trace from "./trace.js"

type Outcome = RunContext.ToolOutcome & { readonly error?: string; readonly errorTag?: string }

const failed = (call: ToolCallPart, error: string, errorTag: string): Outcome => ({
  callId: call.id,
  toolName: call.name,
  isError: true,
  result: undefined,
  content: JSON.stringify({ error, type: errorTag }),
  error,
  errorTag
})

/** What goes back to the model: the result as JSON, or the error (a result JSON cannot hold is one). */
const outcomeOf = (call: ToolCallPart, exit: Either.Either<unknown, ToolError>): Outcome => {
  if (Either.isLeft(exit)) return failed(call, exit.left.message, exit.left._tag)
  const text = resultText(exit.right)
  return "error" in text
    ? failed(call, text.error, "ToolResultError")
    : { callId: call.id, toolName: call.name, isError: false, result: exit.right, content: text.text }
}

/** How the first half of a call ended: the tool's own outcome, or the approver's rejection (the tool did not run). */
export type Started =
  | { readonly _tag: "Ran"; readonly exit: Either.Either<unknown, ToolError> }
  | { readonly _tag: "Rejected"; readonly message: string }

/**
 * The first half of a call: the approval gate (when the tool asks for one), then under the tool call
 * limit, journaled as started, run by the executor (with the arguments as approved). What it yields is
 * not yet in the conversation: {@link settle} puts it there.
 */
export const startCall = (run: Run, call: ToolCallPart): Effect.Effect<Started, RunError> =>
  Approval.gate(run, call, startGated)

const startGated = (run: Run, call: ToolCallPart, rejected?: string): Effect.Effect<Started, RunError> =>
  Effect.suspend((): Effect.Effect<Started, RunError> => {
    const { agent, emitter, request, state } = run
    const refused = Budget.checkToolCall(state, run.limits)
    if (refused) return refused
    state.addToolCall()
    const tool = agent.toolkit.tools.get(call.name)
    if (request.durable && tool && !tool.durableIdempotent && !state.warnedTools?.has(tool.name)) {
      state.warnedTools ??= new Set()
      state.warnedTools.add(tool.name)
      emitter.emit("run.durable_idempotency_warning", {
        toolId: tool.name,
        hint: "not idempotent: if the run is interrupted while it runs, resuming needs a decision"
      })
    }
    const params = call.arguments ?? null
    run.journal.append({ kind: "tool_started", payload: { callId: call.id, name: call.name, arguments: params } })
    if (rejected !== undefined) return Effect.succeed({ _tag: "Rejected", message: rejected })
    const execution = Effect.suspend(() => {
      emitter.emit("tool.started", { toolId: call.name, callId: call.id, params })
      // one match rather than Effect.either and Effect.map: a continuation a call instead of three
      return Effect.match(
        Trace.span(run.tracing, () => Trace.tool(request, agent, call), agent.executor.execute(call, agent.toolkit, {
          runId: request.runId,
          sessionId: request.sessionId,
          agentId: agent.id,
          callId: call.id,
          deps: request.deps,
          emit: (text) => emitter.emitEffect("tool.delta", { toolId: call.name, callId: call.id, text }),
          runAgent: run.runChild === undefined ? undefined : (asked) => SubAgents.runChild(run, call, asked, run.runChild!)
        })),
        {
          onFailure: (error): Started => ({ _tag: "Ran", exit: Either.left(error) }),
          onSuccess: (value): Started => ({ _tag: "Ran", exit: Either.right(value) })
        }
      )
    })
    // a durable run writes that a non-idempotent call started before it runs, so that after a crash the
    // resume knows it may have had its effect; an idempotent call is simply run again, and pays no write
    const mustWrite = run.journal.durable && tool !== undefined && !tool.durableIdempotent
    return mustWrite ? Effect.zipRight(run.journal.write, execution) : execution
  })

/**
 * The second half of a call: its outcome goes into the conversation and the journal (a durable run
 * writes it, with a checkpoint, before `tool.finished` is told).
 */
export const settle = (run: Run, call: ToolCallPart, started: Started): Effect.Effect<RunContext.ToolOutcome, RunError> => {
  const { emitter, state } = run
  const outcome = started._tag === "Ran" ? outcomeOf(call, started.exit) : failed(call, started.message, "ApprovalRejected")
  state.messages.push({ _tag: "tool", toolCallId: call.id, toolName: call.name, content: outcome.content, isError: outcome.isError })
  run.journal.append({
    kind: "tool",
    payload: { callId: call.id, name: call.name, content: outcome.content, isError: outcome.isError, result: jsonSafe(outcome.result) }
  })
  const finished = () =>
    emitter.emit(
      "tool.finished",
      outcome.isError
        ? { toolId: call.name, callId: call.id, error: outcome.error, errorTag: outcome.errorTag }
        : { toolId: call.name, callId: call.id, result: outcome.result ?? null }
    )
  if (!run.journal.durable) {
    finished()
    return Effect.succeed(outcome)
  }
  return Effect.map(run.journal.sync, () => {
    finished()
    return outcome
  })
}

/** One call, start to end. */
export const callTool = (run: Run, call: ToolCallPart): Effect.Effect<RunContext.ToolOutcome, RunError> =>
  Effect.flatMap(startCall(run, call), (started) => settle(run, call, started))
