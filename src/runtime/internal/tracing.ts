/**
 * The runtime's operations on traces and experiences: reading traces, feedback on a step (which, for
 * positive and correction feedback, becomes an experience of the agent, as the agent runner does), the
 * experiences themselves, and the single model call (`call`, traced as a `call` trace). Private to the
 * runtime; `AgentRuntime` only wires them.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { unsafeMake } from "../../internal/unsafeMake.js"
import { ConfigError, type LlmError, type UnknownAgentError } from "../../kernel/Errors.js"
import { type Message, responseText, responseToolCalls, type ToolCallPart } from "../../kernel/Transcript.js"
import type { LanguageModel } from "../../llm/LanguageModel.js"
import * as Pricing from "../../llm/Pricing.js"
import {
  Experience,
  type ExperienceNotFound,
  type ExperiencePatch,
  ExperienceStore,
  type ExperienceStoreError,
  layerInMemory as experiencesInMemory,
  makeInMemory as makeExperiencesInMemory
} from "../../memory/ExperienceStore.js"
import { scopeOf } from "../../memory/Experiences.js"
import * as InMemoryTraceStore from "../../traces/InMemoryTraceStore.js"
import {
  type FeedbackInput,
  type FeedbackResult,
  StepNotFound,
  Trace,
  type TraceFilter,
  TraceNotFound,
  TraceStep,
  TraceStore,
  type TraceStoreError,
  type TraceWithSteps
} from "../../traces/TraceStore.js"
import type { AgentEnv } from "./env.js"

/**
 * One model call outside any run (`runtime.call`).
 *
 * @since 0.3.0
 * @category models
 */
export interface CallInput {
  /** The agent whose model and tools are used (default: the first agent). */
  readonly agentId?: string | undefined
  /** The conversation, as transcript messages or as `{ role, content }` (the agent runner's form). */
  readonly messages: ReadonlyArray<Message | ChatMessage>
  /** Another model than the agent's. */
  readonly model?: LanguageModel["Type"] | undefined
  /** Names of the agent's tools offered to the model (default none). */
  readonly tools?: ReadonlyArray<string> | undefined
  readonly userId?: string | undefined
  /** Record a `call` trace (default true, when the runtime records traces). */
  readonly trace?: boolean | undefined
}

/**
 * A message as the agent runner writes one.
 *
 * @since 0.3.0
 * @category models
 */
export interface ChatMessage {
  readonly role: "system" | "user" | "assistant"
  readonly content: string
}

const toMessage = (m: Message | ChatMessage): Message =>
  "_tag" in m
    ? m
    : m.role === "assistant"
    ? { _tag: "assistant", content: [{ _tag: "text", text: m.content }] }
    : { _tag: m.role, content: m.content }

/**
 * What a single call returns.
 *
 * @since 0.3.0
 * @category models
 */
export interface CallResult {
  readonly reply: string
  readonly toolCalls: ReadonlyArray<ToolCallPart>
  readonly traceId: string | undefined
  readonly stepId: string | undefined
  readonly tokens: { readonly input: number; readonly output: number; readonly total: number }
  /** `null` when the model has no known price. */
  readonly costUsd: number | null
}

/**
 * The runtime's operations on traces and experiences.
 *
 * @since 0.3.0
 * @category models
 */
export interface Operations {
  /** A trace with its steps; `TraceNotFound` names an unknown id. */
  readonly getTrace: (traceId: string) => Effect.Effect<TraceWithSteps, TraceNotFound | TraceStoreError>
  readonly listTraces: (filter?: TraceFilter) => Effect.Effect<ReadonlyArray<Trace>, TraceStoreError>
  /**
   * Records feedback on a step (a `feedback` step under it); positive and correction feedback also make
   * an experience of the trace's agent and a `memory_write` step.
   */
  readonly addFeedback: (
    input: FeedbackInput
  ) => Effect.Effect<FeedbackResult, TraceNotFound | StepNotFound | TraceStoreError | ExperienceStoreError>
  readonly listExperiences: (
    filter?: { readonly agentId?: string | undefined }
  ) => Effect.Effect<ReadonlyArray<Experience>, ExperienceStoreError>
  readonly updateExperience: (
    experienceId: string,
    patch: ExperiencePatch
  ) => Effect.Effect<Experience, ExperienceNotFound | ExperienceStoreError>
  /** False when there was no such experience. */
  readonly deleteExperience: (experienceId: string) => Effect.Effect<boolean, ExperienceStoreError>
  /** One model call with the agent's model, traced as a `call` trace. */
  readonly call: (input: CallInput) => Effect.Effect<CallResult, LlmError | UnknownAgentError | ConfigError>
}

/** The stores of a runtime: its trace store (none: no tracing) and its experience store. */
export interface Stores {
  readonly traces: TraceStore["Type"] | undefined
  readonly experiences: ExperienceStore["Type"]
}

/** The stores in the runtime's context; experiences in memory when it has no experience store. */
export const stores: Effect.Effect<Stores> = Effect.gen(function*() {
  const traces = Option.getOrUndefined(yield* Effect.serviceOption(TraceStore))
  const found = Option.getOrUndefined(yield* Effect.serviceOption(ExperienceStore))
  return { traces, experiences: found ?? (yield* makeExperiencesInMemory) }
})

/** The agents' seams see the runtime's experience store: an `experiences` memory reads what feedback writes. */
export const withStores = <A, E, R>(effect: Effect.Effect<A, E, R>, s: Stores) =>
  Effect.provideService(effect, ExperienceStore, s.experiences)

/** Traces and experiences in memory (`AgentRuntime.layerInMemory`). */
export const layerInMemory = Layer.merge(InMemoryTraceStore.layer(), experiencesInMemory)

const off = "tracing is off for this runtime (traces.enabled: false, or no TraceStore in its context)"

export const make = (deps: {
  readonly traces: TraceStore["Type"] | undefined
  readonly experiences: ExperienceStore["Type"]
  readonly firstAgent: () => string | undefined
  readonly agent: (agentId: string) => Effect.Effect<AgentEnv, ConfigError | UnknownAgentError>
}): Operations => {
  const { experiences, traces } = deps
  // feedback numbers its steps after the trace's last: one at a time in this process
  const feedbackLock = Effect.unsafeMakeSemaphore(1)

  const getTrace = (traceId: string): Effect.Effect<TraceWithSteps, TraceNotFound | TraceStoreError> =>
    traces === undefined
      ? Effect.fail(new TraceNotFound({ traceId, hint: off }))
      : Effect.flatMap(traces.getTrace(traceId), (found): Effect.Effect<TraceWithSteps, TraceNotFound | TraceStoreError> =>
        Option.isNone(found)
          ? Effect.fail(new TraceNotFound({ traceId }))
          : Effect.map(traces.getSteps(traceId), (steps) => ({ trace: found.value, steps })))

  const addFeedback = (input: FeedbackInput) =>
    feedbackLock.withPermits(1)(Effect.gen(function*() {
      const { steps, trace } = yield* getTrace(input.traceId)
      if (!steps.some((s) => s.stepId === input.stepId)) {
        return yield* new StepNotFound({ traceId: input.traceId, stepId: input.stepId, available: steps.map((s) => s.stepId) })
      }
      const now = yield* Clock.currentTimeMillis
      const next = steps.reduce((m, s) => Math.max(m, s.sequence + 1), 0)
      const step = (sequence: number, type: TraceStep["type"], parentIds: ReadonlyArray<string>, data: Record<string, unknown>) =>
        unsafeMake(TraceStep, { stepId: `${trace.traceId}:${sequence}`, traceId: trace.traceId, type, sequence, parentIds, data, createdAtMs: now })
      const feedback = step(next, "feedback", [input.stepId], {
        targetStepId: input.stepId,
        feedbackType: input.type,
        content: input.content
      })
      if (input.extractExperience === false || input.type === "negative") {
        yield* traces!.record(trace, [feedback])
        return { feedbackStepId: feedback.stepId, experienceId: undefined, memoryWriteStepId: undefined }
      }
      // as the agent runner derives it: the agent's scope, the task as the condition, the feedback as the rule
      const experience = new Experience({
        experienceId: crypto.randomUUID(),
        scope: scopeOf(trace.agentId || "default"),
        condition: trace.task ? `When performing a task similar to '${trace.task}'` : "In general",
        rule: input.content,
        evidence: [input.stepId, feedback.stepId],
        source: "feedback",
        confidence: input.type === "positive" ? 0.8 : 0.6,
        createdAtMs: now,
        updatedAtMs: now
      })
      yield* experiences.add(experience)
      const written = step(next + 1, "memory_write", [feedback.stepId], {
        experienceId: experience.experienceId,
        condition: experience.condition,
        rule: experience.rule
      })
      yield* traces!.record(trace, [feedback, written])
      return { feedbackStepId: feedback.stepId, experienceId: experience.experienceId, memoryWriteStepId: written.stepId }
    }))

  const call = (input: CallInput) =>
    Effect.gen(function*() {
      const agentId = input.agentId ?? deps.firstAgent()
      if (agentId === undefined) return yield* ConfigError.single("agentId", "the runtime has no agent")
      const env = yield* deps.agent(agentId)
      const model = input.model ?? env.model
      const tools = yield* Effect.forEach(input.tools ?? [], (name) => {
        const spec = env.toolkit.specs.find((s) => s.name === name)
        return spec ? Effect.succeed(spec) : Effect.fail(ConfigError.single("tools", `agent '${agentId}' has no tool '${name}'`, {
          hint: `its tools: ${env.toolkit.specs.map((s) => s.name).join(", ") || "none"}`
        }))
      })
      const messages = input.messages.map(toMessage)
      const startedAtMs = yield* Clock.currentTimeMillis
      const response = yield* model.generate({ messages, tools })
      const finishedAtMs = yield* Clock.currentTimeMillis
      const cost = model.pricing ? Pricing.cost(response.usage, model.pricing).costUsd : null
      const { inputTokens, outputTokens } = response.usage
      const reply = responseText(response)
      const toolCalls = responseToolCalls(response)
      const result = {
        reply,
        toolCalls,
        tokens: { input: inputTokens, output: outputTokens, total: inputTokens + outputTokens },
        costUsd: cost
      }
      if (traces === undefined || input.trace === false) return { ...result, traceId: undefined, stepId: undefined }
      const traceId = crypto.randomUUID()
      const lastUser = [...messages].reverse().find((m) => m._tag === "user")
      const trace = unsafeMake(Trace, {
        traceId,
        mode: "call",
        agentId,
        sessionId: "",
        task: lastUser?._tag === "user" ? lastUser.content : "",
        ...(input.userId !== undefined ? { userId: input.userId } : {}),
        status: "completed",
        startedAtMs,
        finishedAtMs,
        totalTokens: inputTokens + outputTokens,
        totalCostUsd: cost
      })
      const step = unsafeMake(TraceStep, {
        stepId: `${traceId}:0`,
        traceId,
        type: "llm_call",
        sequence: 0,
        parentIds: [],
        data: {
          model: response.model,
          system: null,
          messages,
          response: reply,
          toolCalls: toolCalls.map((c) => ({ id: c.id, name: c.name, arguments: c.arguments })),
          stopReason: response.stopReason,
          inputTokens,
          outputTokens,
          tokens: inputTokens + outputTokens,
          costUsd: cost
        },
        createdAtMs: finishedAtMs
      })
      yield* traces.record(trace, [step]).pipe(
        Effect.catchAll((e) => Effect.logWarning(`Could not write the trace of a call: ${e.message}`))
      )
      return { ...result, traceId, stepId: step.stepId }
    })

  return {
    getTrace,
    listTraces: (filter) => (traces === undefined ? Effect.succeed([]) : traces.listTraces(filter)),
    addFeedback,
    listExperiences: (filter) => experiences.list(filter?.agentId !== undefined ? { scope: scopeOf(filter.agentId) } : undefined),
    updateExperience: (id, patch) => Effect.flatMap(Clock.currentTimeMillis, (now) => experiences.update(id, patch, now)),
    deleteExperience: (id) => experiences.remove(id),
    call
  }
}
