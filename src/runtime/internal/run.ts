/**
 * One run, from the first event to the last: the run context given to the pattern, budgets, usage,
 * events and chunks, structured-output validation, and the result. Private to the runtime.
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as JSONSchema from "effect/JSONSchema"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type { ContextAssembler } from "../../context/ContextAssembler.js"
import {
  BudgetExhausted,
  type BudgetLimit,
  ConfigError,
  isRetryable,
  type LlmError,
  OutputValidationError,
  type RunError,
  SessionStoreError,
  ToolOutcomeUnknown
} from "../../kernel/Errors.js"
import { RuntimeEvent } from "../../kernel/EventTaxonomy.js"
import { type RunArtifact, RunErrorInfo, type RunRequest, RunResult, RunUsage, type StopReason } from "../../kernel/Run.js"
import type * as RunContext from "../../kernel/RunContext.js"
import { RunStreamChunk, RunStreamChunkKind } from "../../kernel/RunStreamChunk.js"
import { JournalEntry, SessionArtifact, SessionCheckpoint, SessionMessage } from "../../kernel/Session.js"
import {
  type Message,
  type ModelRequest,
  type ModelResponse,
  responseText,
  type ToolCallPart
} from "../../kernel/Transcript.js"
import type { LanguageModel } from "../../llm/LanguageModel.js"
import * as JsonSchema from "../../internal/jsonSchema.js"
import * as Pricing from "../../llm/Pricing.js"
import * as ProviderRetry from "../../llm/ProviderRetry.js"
import type { Memory } from "../../memory/Memory.js"
import type { Pattern } from "../../patterns/Pattern.js"
import type { EventBus } from "../../events/EventBus.js"
import type { SessionStore } from "../../sessions/SessionStore.js"
import type { ToolExecutor } from "../../tools/ToolExecutor.js"
import type * as Toolkit from "../../tools/Toolkit.js"
import * as Journal from "./journal.js"

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
  readonly sessionQueueSize: number
  readonly eventQueueSize: number
  readonly outputSchema: Record<string, unknown> | undefined
}

/** Where a run's chunks go (the stream of `runStream`), if anyone listens. */
export type ChunkSink = (chunk: RunStreamChunk) => Effect.Effect<void>

export interface RunServices {
  readonly store: SessionStore["Type"]
  readonly bus: EventBus["Type"]
  readonly skillsInstructions: (sessionId: string) => Effect.Effect<string>
}

/** Events that are also chunks of the run's stream (`run.finished` is added with the result). */
const CHUNK_KINDS: ReadonlySet<string> = new Set<string>(RunStreamChunkKind.literals.filter((k) => k !== "run.finished"))

const STOP_FOR_LIMIT: Record<BudgetLimit, StopReason> = {
  max_steps: "max_steps",
  max_duration_ms: "timeout",
  step_timeout_ms: "timeout",
  max_tool_calls: "budget_exhausted",
  max_cost_usd: "budget_exhausted"
}

interface OutputValidator {
  readonly jsonSchema: Record<string, unknown>
  readonly validate: (value: unknown) => Either.Either<unknown, string>
}

/** The validator of the run's structured output, or a ConfigError naming what is wrong with its schema. */
const outputValidator = (request: RunRequest, agent: AgentEnv): Either.Either<OutputValidator | undefined, ConfigError> => {
  if (request.outputType) {
    const schema = request.outputType
    try {
      const decode = Schema.decodeUnknownEither(schema, { errors: "all" })
      const jsonSchema = JSONSchema.make(schema) as unknown as Record<string, unknown>
      return Either.right({
        jsonSchema,
        validate: (value) => Either.mapLeft(decode(value), (e) => ParseResult.TreeFormatter.formatErrorSync(e))
      })
    } catch (e) {
      return Either.left(ConfigError.single("request.outputType", `cannot be used as an output type: ${(e as Error).message}`))
    }
  }
  if (agent.outputSchema) {
    const schema = agent.outputSchema
    return Either.match(JsonSchema.compile(schema), {
      onLeft: (message) => Either.left(ConfigError.single(`agents.${agent.id}.output_schema`, `is not a valid JSON Schema: ${message}`)),
      onRight: (validate) => Either.right({ jsonSchema: schema, validate })
    })
  }
  return Either.right(undefined)
}

/** The model's final text as JSON: accepts a bare JSON document or one fenced in ```json. */
const parseOutput = (output: unknown): Either.Either<unknown, string> => {
  if (typeof output !== "string") return Either.right(output)
  const fenced = /^\s*```(?:json)?\s*([\s\S]*?)\s*```\s*$/.exec(output)
  const text = fenced ? fenced[1]! : output
  try {
    return Either.right(JSON.parse(text))
  } catch (e) {
    return Either.left(`the output is not valid JSON (${(e as Error).message})`)
  }
}

const errorInfo = (error: unknown): RunErrorInfo => {
  const e = error as { _tag?: unknown; message?: unknown; retryable?: unknown; hint?: unknown }
  const tag = typeof e?._tag === "string" ? e._tag : error instanceof Error ? error.name : "UnknownError"
  const message = typeof e?.message === "string" && e.message !== "" ? e.message : String(error)
  return new RunErrorInfo({
    tag,
    message,
    retryable: e?.retryable === true,
    ...(typeof e?.hint === "string" ? { hint: e.hint } : {})
  })
}

const jsonText = (value: unknown): string => {
  if (value === undefined) return "null"
  try {
    return JSON.stringify(value) ?? "null"
  } catch {
    return JSON.stringify(String(value))
  }
}

/** A value as JSON would keep it (undefined → null, class instances → plain data). */
const jsonSafe = (value: unknown): unknown => JSON.parse(jsonText(value))

const usageJson = (usage: RunUsage) => Schema.encodeSync(RunUsage)(usage)

/**
 * Executes one run to its result. Never fails: every error, limit and interruption becomes the result's
 * stop reason. Interrupting the returned effect interrupts the body (the in-flight model call or tool
 * observes it) and still yields a `cancelled` result with its `run.finished` event and chunk.
 */
export const executeRun = (
  request: RunRequest,
  agent: AgentEnv,
  services: RunServices,
  options: {
    readonly sink?: ChunkSink | undefined
    /** Waits for the session's turn; interruptible. */
    readonly waitTurn?: Effect.Effect<void> | undefined
    /** Receives the result before the run's fiber ends (even when that fiber is being interrupted). */
    readonly onResult?: ((result: RunResult) => Effect.Effect<void>) | undefined
  }
): Effect.Effect<RunResult> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.gen(function*() {
      const { bus, store } = services
      const runId = request.runId
      const sessionId = request.sessionId
      const budget = request.budget
      const maxSteps = budget?.maxSteps ?? agent.maxSteps
      const maxValidationRetries = budget?.maxValidationRetries ?? 3
      const validatorOrError = outputValidator(request, agent)
      const validator = Either.getOrUndefined(validatorOrError)

      // run state: one fiber drives the run, tool handlers may emit from their own fibers
      let usage = RunUsage.empty
      let steps = 0
      let sequence = 0
      let costUnknownReported = false
      const messages: Array<Message> = []
      let runStart = 0 // index in `messages` where this run's own messages begin
      const artifacts: Array<RunArtifact> = []
      let limitHit: BudgetExhausted | undefined
      const emitLock = yield* Effect.makeSemaphore(1)
      // journal: every completed step appended once; checkpoints (durable runs) point into it
      let journalSeq = 0
      let checkpointStep = 0
      let lastCheckpoint: string | undefined
      let persistedBefore = 0
      let artifactsPersistedBefore = 0
      let instructions: string | undefined // the agent's, and the skills' for this session
      let contextMetadata: Readonly<Record<string, unknown>> | undefined
      const warnedTools = new Set<string>()

      const emit = (name: string, payload: Record<string, unknown>, result?: RunResult): Effect.Effect<void> =>
        emitLock.withPermits(1)(
          Effect.gen(function*() {
            const now = yield* Clock.currentTimeMillis
            yield* bus.publish(
              // built by the runtime from checked parts: skip re-validation on this hot path
              new RuntimeEvent({ name, runId, sessionId, agentId: agent.id, timestampMs: now, payload }, true)
            )
            if (options.sink && (CHUNK_KINDS.has(name) || name === "run.finished")) {
              const chunk = new RunStreamChunk({
                kind: name as RunStreamChunkKind,
                runId,
                sessionId,
                agentId: agent.id,
                sequence: sequence++,
                timestampMs: now,
                payload,
                ...(result ? { result } : {})
              }, true)
              yield* options.sink(chunk)
            }
          })
        )

      const journal = (kind: JournalEntry["kind"], payload: unknown) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          store.appendJournal(sessionId, [new JournalEntry({ runId, seq: journalSeq++, kind, payload, timestampMs: now }, true)]))

      const checkpoint: Effect.Effect<void> = Effect.suspend(() => {
        if (!request.durable) return Effect.void
        const step = checkpointStep++
        const checkpointId = `${runId}:step:${step}`
        return Effect.flatMap(Clock.currentTimeMillis, (now) =>
          store.saveCheckpoint(
            sessionId,
            new SessionCheckpoint({
              checkpointId,
              // a reference into the journal, never a copy of the transcript: constant size per step
              state: { runId, seq: journalSeq - 1, step },
              transcriptLength: messages.length,
              artifactCount: artifacts.length,
              createdAtMs: now
            }, true)
          ).pipe(
            Effect.matchEffect({
              onFailure: (e) => emit("run.checkpoint_failed", { checkpointId, error: e.message }),
              onSuccess: () => {
                lastCheckpoint = checkpointId
                return emit("run.checkpoint_saved", { checkpointId, step, transcriptLength: messages.length })
              }
            })
          ))
      })

      /** A memory that breaks is reported and skipped (`on_error: continue`) or breaks the run (`fail`). */
      const memoryGuard = <A>(phase: string, effect: Effect.Effect<A>, fallback: A): Effect.Effect<A> =>
        Effect.catchAllCause(effect, (cause) =>
          agent.memoryOnError === "fail"
            ? Effect.failCause(cause)
            : Effect.as(emit("memory.failed", { phase, error: Cause.pretty(cause).split("\n")[0] ?? "" }), fallback))

      const stop = (limit: BudgetLimit, max: number, used: number | undefined, message: string) =>
        Effect.suspend(() => {
          limitHit = new BudgetExhausted({ limit, max, message, ...(used !== undefined ? { used } : {}) })
          return Effect.fail(limitHit)
        })

      const checkCostBefore = Effect.suspend(() => {
        const max = budget?.maxCostUsd
        if (max === undefined) return Effect.void
        if (agent.model.pricing === undefined || usage.costUsd === null) {
          if (costUnknownReported) return Effect.void
          costUnknownReported = true
          return emit("budget.cost_unknown", { limit: max, model: agent.model.model })
        }
        return usage.costUsd >= max
          ? stop("max_cost_usd", max, usage.costUsd, `Cost budget of $${max} exhausted ($${usage.costUsd.toFixed(6)} spent)`)
          : Effect.void
      })

      const callModel = (modelRequest: ModelRequest, step: number): Effect.Effect<ModelResponse, LlmError> =>
        Effect.gen(function*() {
          let response: ModelResponse | undefined
          yield* Stream.runForEach(agent.model.stream(modelRequest), (event) => {
            switch (event._tag) {
              case "TextDelta":
                return emit("llm.delta", { text: event.text })
              case "ReasoningDelta":
                return emit("llm.reasoning_delta", { text: event.text })
              case "Finished":
                response = event.response
                return Effect.void
            }
          })
          if (!response) {
            return yield* Effect.dieMessage(`model ${agent.model.provider}/${agent.model.model} ended its stream without a response (step ${step})`)
          }
          return response
        })

      const context: RunContext.Service = {
        request,
        runId,
        sessionId,
        agentId: agent.id,
        get instructions() {
          return instructions
        },
        tools: agent.toolkit.specs,
        outputSchema: validator?.jsonSchema,
        messages: Effect.sync(() => [...messages]),
        appendMessage: (message) =>
          Effect.suspend(() => {
            messages.push(message)
            return journal("message", Journal.encode("message", { message })).pipe(Effect.orDie)
          }),
        emit: (name, payload) => emit(name, payload),
        addArtifact: (artifact) =>
          Effect.suspend(() => {
            artifacts.push(artifact)
            return journal("message", Journal.encode("message", { artifact })).pipe(
              Effect.orDie,
              Effect.zipRight(emit("artifact", { name: artifact.name, kind: artifact.kind, payload: artifact.payload }))
            )
          }),
        step: (stepOptions) =>
          Effect.gen(function*() {
            if (steps >= maxSteps) {
              return yield* stop("max_steps", maxSteps, steps, `Step limit of ${maxSteps} model call(s) reached`)
            }
            yield* checkCostBefore
            const step = ++steps
            const withTools = stepOptions?.withTools ?? true
            const modelRequest: ModelRequest = {
              system: instructions,
              messages: [...messages],
              tools: withTools ? agent.toolkit.specs : [],
              toolChoice: stepOptions?.toolChoice,
              responseSchema: validator?.jsonSchema
            }
            yield* emit("llm.called", { model: agent.model.model, step, toolCount: modelRequest.tools.length })
            const response = yield* ProviderRetry.retry(callModel(modelRequest, step), agent.retry, (d) =>
              emit("llm.retry", { attempt: d.nextAttempt, delayMs: d.delayMs, error: d.error.message, errorTag: d.error._tag })
            ).pipe(
              Effect.tapError((error) =>
                emit("llm.failed", { model: agent.model.model, step, error: error.message, retryable: error.retryable })
              ),
              Effect.timeoutFail({
                duration: Duration.millis(agent.stepTimeoutMs),
                onTimeout: () =>
                  (limitHit = new BudgetExhausted({
                    limit: "step_timeout_ms",
                    max: agent.stepTimeoutMs,
                    message: `Step ${step} took longer than step_timeout_ms (${agent.stepTimeoutMs} ms)`
                  }))
              })
            )
            const cost = agent.model.pricing ? Pricing.cost(response.usage, agent.model.pricing) : undefined
            usage = Journal.addModelUsage(usage, response.usage, cost ?? null)
            messages.push({ _tag: "assistant", content: response.content })
            yield* journal("model", Journal.encode("model", { step, content: response.content, usage: response.usage, cost: cost ?? null }))
            yield* checkpoint
            yield* emit("llm.finished", {
              model: response.model,
              step,
              stopReason: response.stopReason,
              usage: response.usage,
              ...(cost ? { costUsd: cost.costUsd } : {})
            })
            yield* emit("usage.updated", { usage: usageJson(usage) })
            const max = budget?.maxCostUsd
            if (max !== undefined && usage.costUsd !== null && usage.costUsd > max) {
              return yield* stop("max_cost_usd", max, usage.costUsd, `Cost budget of $${max} exceeded ($${usage.costUsd.toFixed(6)} spent)`)
            }
            return response
          }),
        callTool: (call: ToolCallPart) =>
          Effect.gen(function*() {
            const maxToolCalls = budget?.maxToolCalls
            if (maxToolCalls !== undefined && usage.toolCalls >= maxToolCalls) {
              return yield* stop("max_tool_calls", maxToolCalls, usage.toolCalls, `Tool call limit of ${maxToolCalls} reached`)
            }
            usage = new RunUsage({ ...usage, toolCalls: usage.toolCalls + 1 }, true)
            const tool = agent.toolkit.tools.get(call.name)
            if (request.durable && tool && !tool.durableIdempotent && !warnedTools.has(tool.name)) {
              warnedTools.add(tool.name)
              yield* emit("run.durable_idempotency_warning", {
                toolId: tool.name,
                hint: "not idempotent: if the run is interrupted while it runs, resuming needs a decision"
              })
            }
            yield* journal("tool_started", Journal.encode("tool_started", { callId: call.id, name: call.name, arguments: call.arguments ?? null }))
            yield* emit("tool.started", { toolId: call.name, callId: call.id, params: call.arguments ?? null })
            const exit = yield* Effect.either(
              agent.executor.execute(call, agent.toolkit, {
                runId,
                sessionId,
                agentId: agent.id,
                callId: call.id,
                deps: request.deps,
                emit: (text) => emit("tool.delta", { toolId: call.name, callId: call.id, text })
              })
            )
            const outcome: RunContext.ToolOutcome = Either.isRight(exit)
              ? { callId: call.id, toolName: call.name, isError: false, result: exit.right, content: jsonText(exit.right) }
              : {
                callId: call.id,
                toolName: call.name,
                isError: true,
                result: undefined,
                content: JSON.stringify({ error: exit.left.message, type: exit.left._tag })
              }
            messages.push({ _tag: "tool", toolCallId: call.id, toolName: call.name, content: outcome.content, isError: outcome.isError })
            yield* journal("tool", Journal.encode("tool", {
              callId: call.id,
              name: call.name,
              content: outcome.content,
              isError: outcome.isError,
              result: jsonSafe(outcome.result)
            }))
            yield* checkpoint
            yield* emit(
              "tool.finished",
              Either.isRight(exit)
                ? { toolId: call.name, callId: call.id, result: exit.right ?? null }
                : { toolId: call.name, callId: call.id, error: exit.left.message, errorTag: exit.left._tag }
            )
            return outcome
          })
      }

      /** A fresh start: memory, assembled context and the user input, journaled as the run's first entry. */
      const begin = Effect.gen(function*() {
        if ((yield* store.loadJournal(sessionId, runId)).length > 0) {
          return yield* ConfigError.single("request.runId", `run '${runId}' already ran in session '${sessionId}'`, {
            hint: "use a new run id, or resumeFromCheckpoint to go on with that run"
          })
        }
        const state = yield* store.getState(sessionId)
        const history = yield* memoryGuard("inject", agent.memory.inject(state), [] as ReadonlyArray<Message>)
        if (history.length > 0) yield* emit("memory.injected", { messages: history.length })
        const assembly = yield* agent.assembler.assemble({ request, history })
        contextMetadata = assembly.metadata
        messages.push(...assembly.messages)
        runStart = messages.length
        messages.push({ _tag: "user", content: request.inputText })
        yield* journal("run_started", Journal.encode("run_started", { messages, runStart }))
        yield* checkpoint
      })

      /** Rebuilds the run from its journal as of `checkpointId`, then settles the tool calls left open. */
      const rebuild = (checkpointId: string, attempt: number) =>
        Effect.gen(function*() {
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
          messages.length = 0
          messages.push(...r.messages)
          runStart = r.runStart
          usage = r.usage
          steps = r.steps
          artifacts.length = 0
          artifacts.push(...r.artifacts)
          journalSeq = r.lastSeq + 1
          // an earlier attempt that ended (cancelled, failed) has stored a prefix of these messages already
          persistedBefore = (yield* store.loadMessages(sessionId)).filter((m) => m.runId === runId).length
          artifactsPersistedBefore = (yield* store.listArtifacts(sessionId)).filter((a) => a.metadata["runId"] === runId).length
          checkpointStep = Number(found.value.state["step"]) + 1
          lastCheckpoint = checkpointId
          yield* journal("message", Journal.encode("message", { resume: { checkpointId, upTo } }))
          yield* emit("run.resume_succeeded", { checkpointId, attempt, transcriptLength: messages.length })
          yield* settleOpenCalls(entries, checkpointId)
          return r.validationAttempts
        })

      /** Tool calls of the last model answer that have no result yet: replayed, re-run, or a human decides. */
      const settleOpenCalls = (entries: ReadonlyArray<JournalEntry>, checkpointId: string) =>
        Effect.gen(function*() {
          const last = messages[messages.length - 1]
          if (!last || last._tag !== "assistant") return
          const open = last.content.filter((p): p is ToolCallPart => p._tag === "tool_call")
          if (open.length === 0) return
          const known = Journal.toolCalls(entries)
          const hints = (request.contextHints["durable"] ?? {}) as { rerun?: ReadonlyArray<string>; assume?: Record<string, unknown> }
          for (const call of open) {
            const seen = known.get(call.id)
            if (seen?.finished) {
              // done before the interruption: its result is replayed, the tool does not run again
              const f = seen.finished
              messages.push({ _tag: "tool", toolCallId: f.callId, toolName: f.name, content: f.content, isError: f.isError })
              usage = new RunUsage({ ...usage, toolCalls: usage.toolCalls + 1 }, true)
              yield* journal("tool", Journal.encode("tool", f))
              continue
            }
            if (seen?.started && hints.assume && call.id in hints.assume) {
              const result = hints.assume[call.id]
              messages.push({ _tag: "tool", toolCallId: call.id, toolName: call.name, content: jsonText(result), isError: false })
              usage = new RunUsage({ ...usage, toolCalls: usage.toolCalls + 1 }, true)
              yield* journal("tool", Journal.encode("tool", { callId: call.id, name: call.name, content: jsonText(result), isError: false, result: jsonSafe(result) }))
              continue
            }
            const tool = agent.toolkit.tools.get(call.name)
            if (seen?.started && tool && !tool.durableIdempotent && !(hints.rerun ?? []).includes(call.id)) {
              return yield* new ToolOutcomeUnknown({ runId, toolName: call.name, callId: call.id, checkpointId })
            }
            yield* context.callTool(call)
          }
          yield* checkpoint
        })

      /** The pattern, then validation of its output, until the output is accepted. */
      const execute = (validationAttempts: number, resumed: boolean) =>
        Effect.gen(function*() {
          let attempts = validationAttempts
          // a run interrupted after its final answer was journaled does not ask the model again
          const last = messages[messages.length - 1]
          let pending: unknown = resumed && last?._tag === "assistant" && !last.content.some((p) => p._tag === "tool_call")
            ? responseText(last)
            : undefined
          while (true) {
            const raw = pending !== undefined ? pending : yield* agent.pattern.execute(context).pipe(
              Effect.catchTag("ModelRetryError", (e) => Effect.succeed(new ModelRetryRequested(e.message)))
            )
            pending = undefined
            const verdict: Either.Either<unknown, string> = raw instanceof ModelRetryRequested
              ? Either.left(raw.message)
              : validator
              ? Either.flatMap(parseOutput(raw), validator.validate)
              : Either.right(raw)
            if (Either.isRight(verdict)) return verdict.right
            attempts++
            if (attempts > maxValidationRetries) {
              return yield* new OutputValidationError({ attempts, lastValidationError: verdict.left })
            }
            yield* emit("validation.retry", { attempt: attempts, error: verdict.left })
            const feedback: Message = {
              _tag: "user",
              content: `Your previous answer was not accepted (attempt ${attempts} of ${maxValidationRetries}): ${verdict.left}` +
                (validator ? `\nAnswer again with only a JSON value matching this JSON Schema:\n${JSON.stringify(validator.jsonSchema)}` : "")
            }
            messages.push(feedback)
            yield* journal("validation_retry", Journal.encode("validation_retry", { attempt: attempts, error: verdict.left, message: feedback }))
          }
        })

      const maxResumeAttempts = budget?.maxResumeAttempts ?? 3
      // the session lease is held until the run's work is saved, not only while its body runs
      const leaseScope = yield* Scope.make()
      const body: Effect.Effect<unknown, RunError> = Effect.gen(function*() {
          if (Either.isLeft(validatorOrError)) return yield* validatorOrError.left
          yield* Scope.extend(store.acquire(sessionId), leaseScope)
          const skills = yield* services.skillsInstructions(sessionId)
          instructions = [agent.instructions, skills].filter((s) => s !== undefined && s !== "").join("\n\n") || undefined
          if (request.resumeFromCheckpoint) {
            // a new process goes on from where the journal says the run was
            const entries = yield* store.loadJournal(sessionId, runId)
            journalSeq = entries.reduce((m, e) => Math.max(m, e.seq + 1), 0)
          }
          // durable runs resume from their last checkpoint after a retryable error, on a Schedule
          const driver = yield* Schedule.driver(
            Schedule.exponential(Duration.millis(agent.retry.initialBackoffMs), 2).pipe(
              Schedule.either(Schedule.spaced(Duration.millis(agent.retry.maxBackoffMs))),
              Schedule.intersect(Schedule.recurs(maxResumeAttempts))
            )
          )
          let from = request.resumeFromCheckpoint
          let attempt = 0
          while (true) {
            const outcome = yield* Effect.either(Effect.gen(function*() {
              const validationAttempts = from === undefined ? (yield* begin, 0) : yield* rebuild(from, attempt)
              return yield* execute(validationAttempts, from !== undefined)
            }))
            if (Either.isRight(outcome)) return outcome.right
            const error = outcome.left
            if (!request.durable || !isRetryable(error) || lastCheckpoint === undefined) return yield* Effect.fail(error)
            const next = yield* Effect.either(driver.next(error))
            if (Either.isLeft(next)) {
              yield* emit("run.resume_exhausted", { attempt: attempt + 1, limit: maxResumeAttempts, error: error.message })
              return yield* Effect.fail(error)
            }
            attempt++
            from = lastCheckpoint
            yield* emit("run.resume_attempted", { checkpointId: from, attempt, error: error.message, errorTag: error._tag })
          }
        }) as Effect.Effect<unknown, RunError>

      const startedAt = yield* Clock.currentTimeMillis
      const timed = budget?.maxDurationMs === undefined
        ? body
        : body.pipe(
          Effect.timeoutFail({
            duration: Duration.millis(budget.maxDurationMs),
            onTimeout: () =>
              (limitHit = new BudgetExhausted({
                limit: "max_duration_ms",
                max: budget.maxDurationMs!,
                message: `Run exceeded max_duration_ms (${budget.maxDurationMs} ms)`
              }))
          })
        )

      // run.started comes first in every stream, even for a run cancelled while it waits for its session
      yield* emit("run.started", {
        inputText: request.inputText,
        durable: request.durable,
        ...(request.parentRunId ? { parentRunId: request.parentRunId } : {})
      })
      const exit = yield* restore(
        Effect.gen(function*() {
          if (options.waitTurn) yield* options.waitTurn
          return yield* timed
        })
      ).pipe(Effect.exit)

      // ---- the result, whatever happened ----
      const finishedAt = yield* Clock.currentTimeMillis
      let stopReason: StopReason
      let finalOutput: unknown = null
      let error: RunErrorInfo | null = null
      const metadata: Record<string, unknown> = {
        steps,
        durationMs: finishedAt - startedAt,
        ...(contextMetadata ? { context: contextMetadata } : {})
      }
      if (Exit.isSuccess(exit)) {
        stopReason = "completed"
        finalOutput = exit.value
      } else if (Cause.isInterruptedOnly(exit.cause)) {
        stopReason = "cancelled"
        error = new RunErrorInfo({ tag: "Cancelled", message: "The run was cancelled", retryable: false })
      } else {
        const failure = Cause.failureOption(exit.cause)
        const cause = Option.isSome(failure) ? failure.value : Cause.squash(exit.cause)
        if (cause instanceof BudgetExhausted) {
          stopReason = STOP_FOR_LIMIT[cause.limit]
          metadata["limit"] = cause.limit
        } else if (limitHit && Cause.isInterrupted(exit.cause)) {
          stopReason = STOP_FOR_LIMIT[limitHit.limit]
          metadata["limit"] = limitHit.limit
        } else {
          stopReason = "failed"
        }
        error = errorInfo(limitHit && stopReason !== "failed" ? limitHit : cause)
      }

      const result = new RunResult({
        runId,
        sessionId,
        agentId: agent.id,
        finalOutput,
        stopReason,
        usage,
        artifacts,
        error,
        metadata
      })

      // persist what the run wrote: its messages always, memory on completion. A store failure does not
      // lose the result: it is reported in the result's metadata.
      const ownMessages = messages.slice(runStart + persistedBefore)
      const persisted = yield* Effect.gen(function*() {
        if (journalSeq > 0) yield* journal("run_finished", Journal.encode("run_finished", { stopReason }))
        if (ownMessages.length > 0) {
          yield* store.appendMessages(
            sessionId,
            ownMessages.map((message) => new SessionMessage({ runId, agentId: agent.id, message, timestampMs: finishedAt }))
          )
        }
        for (const a of artifacts.slice(artifactsPersistedBefore)) {
          yield* store.saveArtifact(sessionId, new SessionArtifact({ name: a.name, kind: a.kind, payload: a.payload, metadata: { ...a.metadata, runId } }))
        }
        if (stopReason === "completed") {
          const state = yield* store.getState(sessionId)
          const next = yield* memoryGuard("writeback", agent.memory.writeback(state, {
            runId,
            // a resumed run's input is the one it started with, whatever the resume request said
            input: (() => {
              const first = messages[runStart]
              return first?._tag === "user" ? first.content : request.inputText
            })(),
            output: typeof finalOutput === "string" ? finalOutput : jsonText(finalOutput),
            stopReason
          }), state)
          yield* store.setState(sessionId, next)
          yield* emit("memory.written", {})
        }
      }).pipe(Effect.either)
      yield* Scope.close(leaseScope, Exit.void)
      const finalResult = Either.isLeft(persisted)
        ? new RunResult({ ...result, metadata: { ...metadata, persistError: persisted.left.message } })
        : result
      yield* emit("run.finished", { stopReason, ...(error ? { error: error.message } : {}), durationMs: metadata["durationMs"] }, finalResult)
      if (options.onResult) yield* options.onResult(finalResult)
      return finalResult
    })
  )

class ModelRetryRequested {
  constructor(readonly message: string) {}
}
