/**
 * The trace seam: what a run did, as a graph of steps. A trace is one run (`mode: "run"`, its id is the
 * run id) or one single model call (`mode: "call"`); its steps are the memory read, each model call, each
 * tool call, the conclusion, and the feedback given afterwards with the memory it wrote. Steps point at
 * their parents: the tool calls of one answer are siblings under their model call, and the next model
 * call has all of them as parents.
 *
 * @since 0.3.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { StopReason } from "../kernel/Run.js"

/**
 * How a trace was made: a run of an agent, or one model call (`runtime.call`).
 *
 * @since 0.3.0
 * @category models
 */
export const TraceMode = Schema.Literal("run", "call")

/**
 * Where a trace is: `running`, or how its run ended.
 *
 * @since 0.3.0
 * @category models
 */
export const TraceStatus = Schema.Union(Schema.Literal("running"), StopReason)

/**
 * @since 0.3.0
 * @category models
 */
export type TraceStatus = typeof TraceStatus.Type

/**
 * One trace. `totalTokens` and `totalCostUsd` are the run's usage (`costUsd` is `null` when a model had
 * no known price).
 *
 * @since 0.3.0
 * @category models
 */
export class Trace extends Schema.Class<Trace>("Trace")({
  traceId: Schema.String,
  mode: TraceMode,
  agentId: Schema.String,
  sessionId: Schema.String,
  /** The input: the run's input text, or the last user message of a call. */
  task: Schema.String,
  userId: Schema.optional(Schema.String),
  status: TraceStatus,
  startedAtMs: Schema.Number,
  finishedAtMs: Schema.NullOr(Schema.Number),
  totalTokens: Schema.Number,
  totalCostUsd: Schema.NullOr(Schema.Number)
}) {}

/**
 * The kinds of step.
 *
 * @since 0.3.0
 * @category models
 */
export const StepType = Schema.Literal("memory_read", "llm_call", "tool_call", "conclusion", "feedback", "memory_write")

/**
 * @since 0.3.0
 * @category models
 */
export type StepType = typeof StepType.Type

/**
 * One step of a trace. `sequence` counts from 0 without gaps within a trace. `data` depends on the
 * type: `llm_call` holds the system prompt and messages sent, the response, its tool calls, tokens and
 * cost; `tool_call` the tool, its arguments and its result or error; `memory_read` what was injected.
 *
 * @since 0.3.0
 * @category models
 */
export class TraceStep extends Schema.Class<TraceStep>("TraceStep")({
  stepId: Schema.String,
  traceId: Schema.String,
  type: StepType,
  sequence: Schema.Int,
  parentIds: Schema.Array(Schema.String),
  data: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  createdAtMs: Schema.Number
}) {}

/**
 * Which traces `listTraces` returns (newest first).
 *
 * @since 0.3.0
 * @category models
 */
export interface TraceFilter {
  readonly agentId?: string | undefined
  readonly sessionId?: string | undefined
  readonly limit?: number | undefined
}

/**
 * A trace store failed to read or write.
 *
 * @since 0.3.0
 * @category errors
 */
export class TraceStoreError extends Schema.TaggedError<TraceStoreError>()("TraceStoreError", {
  operation: Schema.String,
  message: Schema.String,
  hint: Schema.optional(Schema.String)
}) {
  /** @since 0.3.0 */
  readonly retryable = false as const
}

/**
 * No trace has this id.
 *
 * @since 0.3.0
 * @category errors
 */
export class TraceNotFound extends Schema.TaggedError<TraceNotFound>()("TraceNotFound", {
  traceId: Schema.String,
  hint: Schema.optional(Schema.String)
}) {
  /** @since 0.3.0 */
  readonly retryable = false as const
  override get message() {
    return `no trace '${this.traceId}'`
  }
}

/**
 * The trace has no step with this id.
 *
 * @since 0.3.0
 * @category errors
 */
export class StepNotFound extends Schema.TaggedError<StepNotFound>()("StepNotFound", {
  traceId: Schema.String,
  stepId: Schema.String,
  available: Schema.Array(Schema.String)
}) {
  /** @since 0.3.0 */
  readonly retryable = false as const
  override get message() {
    const some = this.available.slice(0, 10).join(", ")
    return `trace '${this.traceId}' has no step '${this.stepId}'${some ? ` (its steps: ${some}${this.available.length > 10 ? ", ..." : ""})` : ""}`
  }
}

/**
 * What a trace store implements.
 *
 * @since 0.3.0
 * @category models
 */
export interface Service {
  /** Saves the trace (insert or replace) and appends `steps`, in one write. */
  readonly record: (trace: Trace, steps: ReadonlyArray<TraceStep>) => Effect.Effect<void, TraceStoreError>
  readonly getTrace: (traceId: string) => Effect.Effect<Option.Option<Trace>, TraceStoreError>
  /** The steps of a trace, by sequence. */
  readonly getSteps: (traceId: string) => Effect.Effect<ReadonlyArray<TraceStep>, TraceStoreError>
  /** Traces, newest first. */
  readonly listTraces: (filter?: TraceFilter) => Effect.Effect<ReadonlyArray<Trace>, TraceStoreError>
}

/**
 * The trace store of a runtime: with one in its context, every run is traced.
 *
 * @since 0.3.0
 * @category tags
 */
export class TraceStore extends Context.Tag("openagents/TraceStore")<TraceStore, Service>() {}

/**
 * A person's verdict on a step: `positive` and `correction` become experiences of the agent (confidence
 * 0.8 and 0.6), `negative` is recorded only.
 *
 * @since 0.3.0
 * @category models
 */
export const FeedbackType = Schema.Literal("positive", "negative", "correction")

/**
 * @since 0.3.0
 * @category models
 */
export type FeedbackType = typeof FeedbackType.Type

/**
 * Feedback on one step of a trace.
 *
 * @since 0.3.0
 * @category models
 */
export interface FeedbackInput {
  readonly traceId: string
  readonly stepId: string
  readonly type: FeedbackType
  readonly content: string
  /** Learn an experience from positive and correction feedback (default true). */
  readonly extractExperience?: boolean | undefined
}

/**
 * What feedback recorded: its step, and the experience it made with the step recording that.
 *
 * @since 0.3.0
 * @category models
 */
export interface FeedbackResult {
  readonly feedbackStepId: string
  readonly experienceId: string | undefined
  readonly memoryWriteStepId: string | undefined
}

/**
 * A trace and its steps.
 *
 * @since 0.3.0
 * @category models
 */
export interface TraceWithSteps {
  readonly trace: Trace
  readonly steps: ReadonlyArray<TraceStep>
}
