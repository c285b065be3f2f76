/**
 * How a run begins: fresh (memory, assembled context and the user input, journaled as its first entry)
 * or resumed (its state rebuilt from the journal as of a checkpoint, and the tool calls left open settled:
 * replayed when they finished, re-run when idempotent, otherwise left to a human). Private to the runtime.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { ConfigError, type RunError, SessionStoreError, ToolOutcomeUnknown } from "../../kernel/Errors.js"
import { RunRequest } from "../../kernel/Run.js"
import type { JournalEntry } from "../../kernel/Session.js"
import type { SessionStore } from "../../sessions/SessionStore.js"
import type { Message, ToolCallPart } from "../../kernel/Transcript.js"
import type * as RunContext from "../../kernel/RunContext.js"
import type { Run } from "./env.js"
import * as Journal from "./journal.js"
import { memoryGuard } from "./memory.js"
import { jsonSafe, jsonText } from "./json.js"

/** A fresh start. A chain of effects rather than Effect.gen: it runs once a run, on every run's path. */
export const begin = (run: Run): Effect.Effect<void, RunError> =>
  Effect.suspend(() => {
    const { agent, request, state, store } = run
    const { runId, sessionId } = request
    return Effect.flatMap(store.loadJournal(sessionId, runId), (journaled) => {
      if (journaled.length > 0) {
        return ConfigError.single("request.runId", `run '${runId}' already ran in session '${sessionId}'`, {
          hint: "use a new run id, or resumeFromCheckpoint to go on with that run"
        })
      }
      return Effect.flatMap(store.getState(sessionId), (sessionState) =>
        Effect.flatMap(
          memoryGuard(run, "inject", agent.memory.inject(sessionState, { runId, sessionId, agentId: agent.id, input: request.inputText })),
          (injected) => {
            const history = Option.getOrElse(injected, (): ReadonlyArray<Message> => [])
            if (history.length > 0) {
              run.emitter.emit("memory.injected", { messages: history.length, ...(run.emitter.observed ? { injected: history } : {}) })
            }
            // the system prompt, model id and tool specs let a token-budget assembler count all that is sent
            return Effect.flatMap(
              agent.assembler.assemble({ request, history, system: state.instructions, model: agent.model.model, tools: agent.toolkit.specs }),
              (assembly) => {
                state.contextMetadata = assembly.metadata
                state.messages.push(...assembly.messages)
                state.runStart = state.messages.length
                state.messages.push({ _tag: "user", content: request.inputText })
                state.attemptStart = state.messages.length
                run.journal.append({
                  kind: "run_started",
                  payload: {
                    messages: state.messages.slice(),
                    runStart: state.runStart,
                    ...(request.budget !== undefined ? { budget: request.budget } : {})
                  }
                })
                return run.journal.sync
              }
            )
          }
        ))
    })
  })

/**
 * A resumed or continued run that asks for no budget keeps the one it started with (recorded in its
 * journal's `run_started`): a run paused for an approval, or resumed after a crash, is still held to the
 * limits its caller set, not to the agent's defaults. A journal that cannot be read here is read again
 * (and its error reported) when the run begins.
 */
export const withJournaledBudget = (store: SessionStore["Type"], request: RunRequest): Effect.Effect<RunRequest> =>
  request.budget !== undefined || request.resumeFromCheckpoint === undefined
    ? Effect.succeed(request)
    : store.loadJournal(request.sessionId, request.runId).pipe(
      Effect.map((entries) => {
        const budget = Journal.budgetOf(entries)
        return budget === undefined ? request : new RunRequest({ ...request, budget })
      }),
      Effect.orElseSucceed(() => request)
    )

/**
 * Rebuilds the run from its journal as of `checkpointId`, then settles the tool calls left open. Returns
 * the pattern's output when the checkpoint follows it.
 */
export const rebuild = (
  run: Run,
  context: RunContext.Service,
  checkpointId: string,
  attempt: number
): Effect.Effect<{ readonly value: unknown } | undefined, RunError> =>
  Effect.gen(function*() {
    const { request, state, store } = run
    const { runId, sessionId } = request
    const found = yield* store.loadCheckpoint(sessionId, checkpointId)
    if (Option.isNone(found)) {
      const available = (yield* store.listCheckpoints(sessionId)).map((c) => c.checkpointId)
      return yield* ConfigError.single("resumeFromCheckpoint", `no checkpoint '${checkpointId}' in session '${sessionId}'`, {
        hint: available.length > 0
          ? `available: ${available.slice(-10).join(", ")}`
          : `session '${sessionId}' has no checkpoints: only durable runs save them`
      })
    }
    const upTo = Number(found.value.state["seq"])
    const entries = yield* store.loadJournal(sessionId, runId)
    const replayed = Journal.replay(entries, upTo)
    if (Either.isLeft(replayed)) {
      return yield* new SessionStoreError({ sessionId, operation: "loadJournal", message: replayed.left })
    }
    const r = replayed.right
    state.messages = r.messages
    state.runStart = r.runStart
    state.attemptStart = r.attemptStart
    state.usage = r.usage
    state.steps = r.steps
    state.artifacts = r.artifacts
    state.validationAttempts = r.validationAttempts
    run.journal.nextSeq = Math.max(run.journal.nextSeq, r.lastSeq + 1)
    // an earlier attempt that ended (cancelled, failed) has stored a prefix of these messages already
    state.persistedBefore = (yield* store.loadMessages(sessionId)).filter((m) => m.runId === runId).length
    state.artifactsPersistedBefore = (yield* store.listArtifacts(sessionId)).filter((a) => a.metadata["runId"] === runId).length
    run.journal.checkpointStep = Number(found.value.state["step"]) + 1
    run.journal.lastCheckpoint = checkpointId
    run.journal.append({ kind: "message", payload: { resume: { checkpointId, upTo } } })
    yield* run.journal.write
    run.emitter.emit("run.resume_succeeded", { checkpointId, attempt, transcriptLength: state.messages.length })
    yield* settleOpenCalls(run, context, entries, checkpointId)
    return r.output
  })

/**
 * Tool calls of the last model answer that have no result in the conversation yet: replayed, re-run, or a
 * human decides. A checkpoint can fall between the calls of one answer (each call's result is saved with
 * one), so the answer need not be the last message: the calls after the results already there are open.
 */
const settleOpenCalls = (
  run: Run,
  context: RunContext.Service,
  entries: ReadonlyArray<JournalEntry>,
  checkpointId: string
): Effect.Effect<void, RunError> =>
  Effect.gen(function*() {
    const { agent, request, state } = run
    let answerAt = state.messages.length - 1
    while (answerAt >= 0 && state.messages[answerAt]!._tag === "tool") answerAt--
    const answer = state.messages[answerAt]
    if (!answer || answer._tag !== "assistant") return
    const settled = new Set<string>()
    for (let i = answerAt + 1; i < state.messages.length; i++) {
      const m = state.messages[i]!
      if (m._tag === "tool") settled.add(m.toolCallId)
    }
    const open = answer.content.filter((p): p is ToolCallPart => p._tag === "tool_call" && !settled.has(p.id))
    if (open.length === 0) return
    const known = Journal.toolCalls(entries)
    const hints = (request.contextHints["durable"] ?? {}) as {
      readonly rerun?: ReadonlyArray<string>
      readonly assume?: Readonly<Record<string, unknown>>
    }
    for (const call of open) {
      const seen = known.get(call.id)
      if (seen?.finished) {
        // done before the interruption: its result is replayed, the tool does not run again
        const f = seen.finished
        state.messages.push({ _tag: "tool", toolCallId: f.callId, toolName: f.name, content: f.content, isError: f.isError })
        state.addToolCall()
        run.journal.append({ kind: "tool", payload: f })
        continue
      }
      if (seen?.started && hints.assume && call.id in hints.assume) {
        const result = hints.assume[call.id]
        const content = jsonText(result)
        state.messages.push({ _tag: "tool", toolCallId: call.id, toolName: call.name, content, isError: false })
        state.addToolCall()
        run.journal.append({
          kind: "tool",
          payload: { callId: call.id, name: call.name, content, isError: false, result: jsonSafe(result) }
        })
        continue
      }
      const tool = agent.toolkit.tools.get(call.name)
      if (seen?.started && tool && !tool.durableIdempotent && !(hints.rerun ?? []).includes(call.id)) {
        return yield* new ToolOutcomeUnknown({ runId: request.runId, toolName: call.name, callId: call.id, checkpointId })
      }
      yield* context.callTool(call)
    }
    yield* run.journal.sync
  })
