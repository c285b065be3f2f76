/**
 * The trace recorder: it follows a run's typed events (every pattern's, builtin or custom, since every
 * model and tool call goes through the run context) and turns them into trace steps. Observing is
 * synchronous (a push per step, no Effect); the steps are written in one batch when the run ends, and a
 * durable run also writes them right after each journal checkpoint. A resumed run goes on with the trace
 * it started: the steps already stored are not recorded again. Private to the runtime.
 */
import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { unsafeMake } from "../../internal/unsafeMake.js"
import type { RuntimeEvent } from "../../kernel/EventTaxonomy.js"
import type { RunRequest, RunResult } from "../../kernel/Run.js"
import { type Message, responseText, responseToolCalls } from "../../kernel/Transcript.js"
import { Trace, TraceStep, type TraceStore, type StepType } from "../../traces/TraceStore.js"
import { jsonSafe } from "./json.js"

export interface Recorder {
  /** Called by the emitter with every event of the run, synchronously. */
  readonly observe: (event: RuntimeEvent) => void
  /** Writes the steps recorded since the last write (a durable run's step boundary). */
  readonly flush: Effect.Effect<void>
  /** Records the end of the run (its conclusion and totals) and writes what is left. Never fails. */
  readonly end: (result: RunResult) => Effect.Effect<void>
}

/** The parents of the next model call, as a stored trace leaves them: the last model call's tool calls. */
const parentsAfter = (steps: ReadonlyArray<TraceStep>): Array<string> => {
  const lastLlm = [...steps].reverse().find((s) => s.type === "llm_call")
  if (!lastLlm) return steps.length > 0 ? [steps[steps.length - 1]!.stepId] : []
  const tools = steps.filter((s) => s.type === "tool_call" && s.parentIds.includes(lastLlm.stepId)).map((s) => s.stepId)
  return tools.length > 0 ? tools : [lastLlm.stepId]
}

export const make = (
  store: TraceStore["Type"],
  request: RunRequest,
  agentId: string,
  clock: Clock.Clock
): Effect.Effect<Recorder> =>
  Effect.gen(function*() {
    const now = clock.unsafeCurrentTimeMillis()
    let trace = unsafeMake(Trace, {
      traceId: request.runId,
      mode: "run",
      agentId,
      sessionId: request.sessionId,
      task: request.inputText,
      ...(typeof request.metadata["userId"] === "string" ? { userId: request.metadata["userId"] } : {}),
      status: "running",
      startedAtMs: now,
      finishedAtMs: null,
      totalTokens: 0,
      totalCostUsd: 0
    })
    let sequence = 0
    let parents: Array<string> = []
    if (request.resumeFromCheckpoint !== undefined) {
      // a resumed run continues its trace: numbering and parents go on from what was stored
      const stored = yield* Effect.all([store.getTrace(request.runId), store.getSteps(request.runId)]).pipe(
        Effect.catchAll((e) => Effect.as(Effect.logWarning(`Could not read the trace of run '${request.runId}': ${e.message}`), undefined))
      )
      if (stored && Option.isSome(stored[0])) {
        trace = unsafeMake(Trace, { ...stored[0].value, status: "running", finishedAtMs: null })
        sequence = stored[1].reduce((m, s) => Math.max(m, s.sequence + 1), 0)
        parents = parentsAfter(stored[1])
      }
    }
    let pending: Array<TraceStep> = []
    let llmStep: string | undefined
    let siblings: Array<string> = []
    let called: { readonly system: string | undefined; readonly messages: ReadonlyArray<Message> | undefined } | undefined
    const params = new Map<string, unknown>()

    const add = (type: StepType, parentIds: ReadonlyArray<string>, data: Record<string, unknown>, at: number): string => {
      const stepId = `${request.runId}:${sequence}`
      pending.push(unsafeMake(TraceStep, { stepId, traceId: trace.traceId, type, sequence: sequence++, parentIds, data, createdAtMs: at }))
      return stepId
    }

    const observe = (event: RuntimeEvent): void => {
      switch (event.name) {
        case "memory.injected": {
          const id = add("memory_read", parents, {
            messages: event.payload.injected ?? [],
            count: event.payload.messages
          }, event.timestampMs)
          parents = [id]
          break
        }
        case "llm.called":
          called = { system: event.payload.system, messages: event.payload.messages }
          break
        case "llm.finished": {
          const p = event.payload
          const content = p.content ?? []
          const id = add("llm_call", parents, {
            model: p.model,
            step: p.step,
            system: called?.system ?? null,
            messages: called?.messages ?? [],
            response: responseText({ content }),
            toolCalls: responseToolCalls({ content }).map((c) => ({ id: c.id, name: c.name, arguments: c.arguments })),
            stopReason: p.stopReason,
            inputTokens: p.usage.inputTokens,
            outputTokens: p.usage.outputTokens,
            tokens: p.usage.inputTokens + p.usage.outputTokens,
            costUsd: p.costUsd ?? null
          }, event.timestampMs)
          called = undefined
          llmStep = id
          siblings = []
          parents = [id]
          break
        }
        case "llm.failed": {
          const p = event.payload
          const id = add("llm_call", parents, {
            model: p.model,
            step: p.step,
            system: called?.system ?? null,
            messages: called?.messages ?? [],
            error: p.error,
            retryable: p.retryable,
            tokens: 0,
            costUsd: 0
          }, event.timestampMs)
          called = undefined
          parents = [id]
          break
        }
        case "tool.started":
          params.set(event.payload.callId, event.payload.params)
          break
        case "tool.finished": {
          const p = event.payload
          const id = add("tool_call", llmStep !== undefined ? [llmStep] : parents, {
            tool: p.toolId,
            callId: p.callId,
            arguments: jsonSafe(params.get(p.callId) ?? null),
            ...(p.error !== undefined ? { error: p.error, errorTag: p.errorTag ?? null } : { result: jsonSafe(p.result ?? null) })
          }, event.timestampMs)
          params.delete(p.callId)
          // parallel calls of one answer are siblings; the next model call has all of them as parents
          siblings.push(id)
          parents = [...siblings]
          break
        }
        default:
          break
      }
    }

    const write = (steps: ReadonlyArray<TraceStep>) =>
      store.record(trace, steps).pipe(
        Effect.catchAllCause((cause) =>
          Effect.logWarning(`Could not write the trace of run '${request.runId}'`, cause)
        )
      )

    return {
      observe,
      flush: Effect.suspend(() => {
        if (pending.length === 0) return Effect.void
        const steps = pending
        pending = []
        return write(steps)
      }),
      end: (result) =>
        Effect.suspend(() => {
          const at = clock.unsafeCurrentTimeMillis()
          if (result.stopReason === "completed") {
            add("conclusion", parents, { output: jsonSafe(result.finalOutput), stopReason: result.stopReason }, at)
          }
          trace = unsafeMake(Trace, {
            ...trace,
            status: result.stopReason,
            finishedAtMs: at,
            totalTokens: result.usage.totalTokens,
            totalCostUsd: result.usage.costUsd
          })
          const steps = pending
          pending = []
          return write(steps)
        })
    }
  })
