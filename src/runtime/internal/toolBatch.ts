/**
 * The tool calls of one model answer as a batch. Calls of concurrency-safe tools run at the same time, up
 * to the agent's `maxConcurrentTools`; a call of any other tool runs alone (it waits for the calls before
 * it, and the calls after it wait for it); two safe calls whose conflict keys conflict (one file path,
 * or a folder and a path in it) run in the model's order. However they run, their outcomes go into the conversation, the journal and the
 * `tool.finished` events in the model's order, each as soon as it and every call before it have ended, so a
 * durable run resumed halfway through a batch replays the calls that ended and settles the rest as single
 * calls do. Private to the runtime.
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import type { RunError } from "../../kernel/Errors.js"
import type * as RunContext from "../../kernel/RunContext.js"
import type { ToolCallPart } from "../../kernel/Transcript.js"
import { conflictKeysOf, keysConflict } from "../../tools/Tool.js"
import type { Run } from "./env.js"
import { callTool, settle, type Started, startCall } from "./toolCall.js"

/** How one call of a batch may run: alone, or beside others except those sharing one of its keys. */
interface Slot {
  readonly safe: boolean
  readonly keys: ReadonlyArray<string>
}

const slotOf = (run: Run, call: ToolCallPart): Slot => {
  const tool = run.agent.toolkit.tools.get(call.name)
  // an unknown tool or invalid arguments fail at once: nothing to order
  if (tool === undefined) return { safe: true, keys: [] }
  if (tool.concurrencySafe !== true) return { safe: false, keys: [] }
  try {
    if (tool.conflictKeys === undefined) return { safe: true, keys: conflictKeysOf(tool, call.arguments) }
    const decoded = tool.decode(call.arguments ?? {})
    return { safe: true, keys: decoded._tag === "Right" ? conflictKeysOf(tool, decoded.right) : [] }
  } catch {
    // a conflictKeys function that throws cannot tell what the call touches: it runs alone
    return { safe: false, keys: [] }
  }
}

/** The calls each call waits for: every earlier one for a call that runs alone, else the last call that
 * runs alone and the earlier safe calls sharing a key. */
const dependenciesOf = (slots: ReadonlyArray<Slot>): ReadonlyArray<ReadonlyArray<number>> => {
  let lastAlone = -1
  return slots.map((slot, i) => {
    const deps: Array<number> = []
    if (!slot.safe) {
      for (let j = 0; j < i; j++) deps.push(j)
      lastAlone = i
      return deps
    }
    if (lastAlone >= 0) deps.push(lastAlone)
    if (slot.keys.length > 0) {
      for (let j = lastAlone + 1; j < i; j++) {
        if (slots[j]!.keys.some((k) => slot.keys.some((mine) => keysConflict(k, mine)))) deps.push(j)
      }
    }
    return deps
  })
}

/** Runs the calls as a batch (see the module's comment) and returns their outcomes in the model's order. */
export const callTools = (
  run: Run,
  calls: ReadonlyArray<ToolCallPart>
): Effect.Effect<ReadonlyArray<RunContext.ToolOutcome>, RunError> =>
  Effect.suspend(() => {
    // a batch beyond the tool call limit runs the calls within it, then the next one is refused as a
    // single call would be
    const max = run.limits.maxToolCalls
    const room = max === undefined ? calls.length : Math.max(0, max - run.state.usage.toolCalls)
    const within = room < calls.length ? calls.slice(0, room) : calls
    const slots = within.map((call) => slotOf(run, call))
    const safe = slots.reduce((n, s) => (s.safe ? n + 1 : n), 0)
    const batch = safe >= 2 && run.agent.maxConcurrentTools > 1
      ? concurrently(run, within, slots, Math.min(safe, run.agent.maxConcurrentTools))
      : Effect.forEach(within, (call) => callTool(run, call))
    return within.length === calls.length
      ? batch
      : Effect.zipRight(batch, Effect.map(callTool(run, calls[within.length]!), () => []))
  })

const concurrently = (
  run: Run,
  calls: ReadonlyArray<ToolCallPart>,
  slots: ReadonlyArray<Slot>,
  concurrent: number
): Effect.Effect<ReadonlyArray<RunContext.ToolOutcome>, RunError> =>
  Effect.gen(function*() {
    const batchId = `batch:${calls[0]!.id}`
    run.emitter.emit("tool.batch.started", { batchId, callIds: calls.map((c) => c.id), concurrent })
    const deps = dependenciesOf(slots)
    const ended: Array<Deferred.Deferred<Started, RunError>> = []
    for (let i = 0; i < calls.length; i++) ended.push(yield* Deferred.make<Started, RunError>())
    // the first halves, each once the calls it waits for have ended (a failed one fails the batch)
    const start = (i: number) =>
      Effect.forEach(deps[i]!, (j) => Deferred.await(ended[j]!), { discard: true }).pipe(
        Effect.zipRight(startCall(run, calls[i]!)),
        Effect.exit,
        Effect.flatMap((exit) => Deferred.done(ended[i]!, exit))
      )
    const starts = Effect.forEach(calls, (_, i) => start(i), { concurrency: concurrent, discard: true })
    // the second halves, in the model's order
    const outcomes: Array<RunContext.ToolOutcome> = []
    const settleAll = Effect.forEach(calls, (call, i) =>
      Effect.flatMap(Deferred.await(ended[i]!), (started) =>
        Effect.map(settle(run, call, started), (outcome) => {
          outcomes.push(outcome)
        })), { discard: true })
    yield* Effect.all([starts, settleAll], { concurrency: 2, discard: true })
    const failed = outcomes.reduce((n, o) => (o.isError ? n + 1 : n), 0)
    run.emitter.emit("tool.batch.finished", { batchId, succeeded: outcomes.length - failed, failed })
    return outcomes
  })
