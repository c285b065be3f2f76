/**
 * The runtime's events: what is published on the {@link EventBus} and which payload keys each carries.
 * Every event carries `runId`, `sessionId` and `agentId`, so a subscriber can always tell runs apart.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * One event published by a run.
 *
 * @since 0.1.0
 * @category models
 */
export class RuntimeEvent extends Schema.Class<RuntimeEvent>("RuntimeEvent")({
  name: Schema.String,
  runId: Schema.String,
  sessionId: Schema.String,
  agentId: Schema.String,
  timestampMs: Schema.Number,
  payload: Schema.Record({ key: Schema.String, value: Schema.Unknown })
}) {}

/**
 * A declared event: its name, the payload keys it always has and those it may have.
 *
 * @since 0.1.0
 * @category models
 */
export interface EventSchema {
  readonly name: string
  readonly required: ReadonlyArray<string>
  readonly optional: ReadonlyArray<string>
  readonly description: string
}

const e = (name: string, required: Array<string>, optional: Array<string>, description: string): EventSchema => ({
  name,
  required,
  optional,
  description
})

/**
 * Every event the runtime emits, by name.
 *
 * @since 0.1.0
 * @category constants
 */
export const EVENT_SCHEMAS: ReadonlyMap<string, EventSchema> = new Map(
  [
    e("run.started", ["inputText"], ["durable", "parentRunId"], "A run was accepted (emitted before it waits for its session)."),
    e("run.finished", ["stopReason"], ["error", "durationMs"], "A run ended; exactly one per run."),
    e("llm.called", ["model", "step"], ["toolCount"], "A model call is about to be made."),
    e("llm.delta", ["text"], [], "Text from the model as it arrives."),
    e("llm.reasoning_delta", ["text"], [], "Reasoning (thinking) text from the model as it arrives; not a chunk."),
    e("llm.finished", ["model", "step", "stopReason", "usage"], ["costUsd"], "A model call succeeded."),
    e("llm.failed", ["model", "step", "error"], ["retryable"], "A model call failed."),
    e("llm.retry", ["attempt", "delayMs", "error"], ["errorTag"], "A failed model call will be tried again."),
    e("tool.started", ["toolId", "callId", "params"], [], "A tool call is about to execute."),
    e("tool.delta", ["toolId", "callId", "text"], [], "Streamed output of a tool."),
    e("tool.finished", ["toolId", "callId"], ["result", "error", "errorTag"], "A tool call ended (result or error)."),
    e("artifact", ["name", "kind", "payload"], [], "A run produced an artifact."),
    e("validation.retry", ["attempt", "error"], [], "Structured output was invalid and is fed back to the model."),
    e("usage.updated", ["usage"], [], "The run's usage changed."),
    e("budget.cost_unknown", ["limit"], ["model"], "A cost budget is set but a model has no known price."),
    e("memory.injected", ["messages"], [], "Memory added earlier turns to the run."),
    e("memory.written", [], [], "Memory state was written back to the session."),
    e("memory.failed", ["phase", "error"], [], "Memory failed to inject or write back (on_error: continue)."),
    e("run.checkpoint_saved", ["checkpointId", "step"], ["transcriptLength"], "A durable run saved a checkpoint."),
    e("run.checkpoint_failed", ["checkpointId", "error"], [], "Saving a checkpoint failed (the run goes on)."),
    e("run.resume_attempted", ["checkpointId", "attempt", "error"], ["errorTag"], "A durable run will resume after an error."),
    e("run.resume_succeeded", ["checkpointId", "attempt"], ["transcriptLength"], "A durable run resumed from a checkpoint."),
    e("run.resume_exhausted", ["attempt", "limit", "error"], [], "A durable run ran out of resume attempts."),
    e("run.durable_idempotency_warning", ["toolId"], ["hint"], "A non-idempotent tool ran in a durable run.")
  ].map((s) => [s.name, s] as const)
)
