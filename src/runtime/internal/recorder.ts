/**
 * The trace recorder: it follows a run's typed events (every pattern's, builtin or custom, since every
 * model and tool call goes through the run context) and turns them into trace steps. Observing is
 * synchronous (a push per step, no Effect); the steps are written in one batch when the run ends, and a
 * durable run also writes them right after each journal checkpoint. A resumed run goes on with the trace
 * it started: the steps already stored are not recorded again. Private to the runtime.
 */
import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { unsafeMake } from "../../internal/unsafeMake.js"
import type { RuntimeEvent } from "../../kernel/EventTaxonomy.js"
import type { RunRequest, RunResult } from "../../kernel/Run.js"
import { type Message, responseText, responseToolCalls } from "../../kernel/Transcript.js"
import type { SessionStore } from "../../sessions/SessionStore.js"
import { Trace, TraceStep, type TraceStore, type StepType } from "../../traces/TraceStore.js"
import { JournalRecord } from "./journal.js"
import { jsonSafe } from "./json.js"

export interface Recorder {
  /** Called by the emitter with every event of the run, synchronously. */
  readonly observe: (event: RuntimeEvent) => void
  /** Writes the steps recorded since the last write (a durable run's step boundary). */
  readonly flush: Effect.Effect<void>
  /** Records the end of the run (its conclusion and totals) and writes what is left. Never fails. */
  readonly end: (result: RunResult) => Effect.Effect<void>
}

const decodeRecord = Schema.decodeUnknownEither(JournalRecord)

/**
 * The model and tool calls a durable run journaled up to its checkpoint, as the events they were: a
 * process killed after a journal write and before the trace write that follows it left them out of the
 * trace, and the resumed run does not make them again.
 */
const journaledEvents = (
  sessions: SessionStore["Type"],
  request: RunRequest,
  agentId: string,
  checkpointId: string
): Effect.Effect<ReadonlyArray<RuntimeEvent>, unknown> =>
  Effect.gen(function*() {
    const checkpoint = yield* sessions.loadCheckpoint(request.sessionId, checkpointId)
    if (Option.isNone(checkpoint)) return []
    const upTo = Number(checkpoint.value.state["seq"])
    const entries = [...yield* sessions.loadJournal(request.sessionId, request.runId)].sort((a, b) => a.seq - b.seq)
    const envelope = { runId: request.runId, sessionId: request.sessionId, agentId }
    const out: Array<RuntimeEvent> = []
    for (const entry of entries) {
      if (entry.seq > upTo) break
      const decoded = decodeRecord({ kind: entry.kind, payload: entry.payload })
      if (Either.isLeft(decoded)) continue
      const r = decoded.right
      const at = { ...envelope, timestampMs: entry.timestampMs }
      if (r.kind === "model") {
        const p = r.payload
        out.push({
          ...at,
          name: "llm.finished",
          payload: {
            model: "",
            step: p.step,
            stopReason: p.content.some((c) => c._tag === "tool_call") ? "tool_use" : "end_turn",
            usage: p.usage,
            ...(p.cost ? { costUsd: p.cost.costUsd } : {}),
            content: p.content
          }
        })
      } else if (r.kind === "tool_started") {
        out.push({ ...at, name: "tool.started", payload: { toolId: r.payload.name, callId: r.payload.callId, params: r.payload.arguments } })
      } else if (r.kind === "tool") {
        const p = r.payload
        out.push({
          ...at,
          name: "tool.finished",
          payload: p.isError
            ? { toolId: p.name, callId: p.callId, error: p.content, errorTag: "ToolError" }
            : { toolId: p.name, callId: p.callId, result: p.result }
        })
      }
    }
    return out
  })

export const make = (
  store: TraceStore["Type"],
  sessions: SessionStore["Type"],
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
    let pending: Array<TraceStep> = []
    let llmStep: string | undefined
    let siblings: Array<string> = []
    let storedSteps: ReadonlyArray<TraceStep> = []
    if (request.resumeFromCheckpoint !== undefined) {
      // a resumed run continues its trace: numbering and parents go on from what was stored
      const stored = yield* Effect.all([store.getTrace(request.runId), store.getSteps(request.runId)]).pipe(
        Effect.catchAll((e) => Effect.as(Effect.logWarning(`Could not read the trace of run '${request.runId}': ${e.message}`), undefined))
      )
      if (stored && Option.isSome(stored[0])) {
        trace = unsafeMake(Trace, { ...stored[0].value, status: "running", finishedAtMs: null })
        storedSteps = stored[1]
        sequence = storedSteps.reduce((m, s) => Math.max(m, s.sequence + 1), 0)
        // the next model call's parents: the last model call's tool calls (or that call, or the last step)
        const lastLlm = [...storedSteps].reverse().find((s) => s.type === "llm_call")
        llmStep = lastLlm?.stepId
        siblings = storedSteps.filter((s) => s.type === "tool_call" && s.parentIds[0] === llmStep).map((s) => s.stepId)
        const last = storedSteps.at(-1)
        parents = siblings.length > 0 ? [...siblings] : llmStep ? [llmStep] : last ? [last.stepId] : []
      }
    }
    let called: { readonly system: string | undefined; readonly messages: ReadonlyArray<Message> | undefined } | undefined
    const params = new Map<string, unknown>()

    /** Set while steps are rebuilt from the journal (their messages sent are not known any more). */
    let recovering = false
    const add = (type: StepType, parentIds: ReadonlyArray<string>, data: Record<string, unknown>, at: number): string => {
      const stepId = `${request.runId}:${sequence}`
      const full = recovering ? { ...data, recovered: true } : data
      pending.push(unsafeMake(TraceStep, { stepId, traceId: trace.traceId, type, sequence: sequence++, parentIds, data: full, createdAtMs: at }))
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
            // kept as they are (the model's parsed JSON, the tool's result): a store encodes them when it writes
            arguments: params.get(p.callId) ?? null,
            ...(p.error !== undefined ? { error: p.error, errorTag: p.errorTag ?? null } : { result: p.result ?? null })
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

    if (request.resumeFromCheckpoint !== undefined) {
      const seenSteps = new Set(storedSteps.filter((s) => s.type === "llm_call").map((s) => s.data["step"]))
      const seenCalls = new Set(storedSteps.filter((s) => s.type === "tool_call").map((s) => s.data["callId"]))
      const journaled = yield* journaledEvents(sessions, request, agentId, request.resumeFromCheckpoint).pipe(
        Effect.catchAll(() => Effect.succeed([] as ReadonlyArray<RuntimeEvent>))
      )
      for (const event of journaled) {
        if (event.name === "llm.finished" && !seenSteps.has(event.payload.step)) {
          seenSteps.add(event.payload.step)
          recovering = true
          observe(event)
          recovering = false
        } else if (event.name === "tool.started" && !seenCalls.has(event.payload.callId)) {
          observe(event)
        } else if (event.name === "tool.finished" && !seenCalls.has(event.payload.callId)) {
          seenCalls.add(event.payload.callId)
          observe(event)
        }
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
