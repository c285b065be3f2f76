/**
 * The runtime's events: one Schema per event kind with its payload, and the union over them. What is
 * published on the {@link EventBus}, what a run's stream carries ({@link RunStreamChunk}) and the list of
 * declared events are all derived from the table {@link EventPayloads}: there is no second list.
 *
 * Every event carries `runId`, `sessionId` and `agentId`, so a subscriber can always tell runs apart
 * (`config.reloaded`, which belongs to no run, has them empty).
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"
import { RunUsage, StopReason } from "./Run.js"
import { AssistantPart, Message, ModelUsage } from "./Transcript.js"

const Id = Schema.String

/**
 * The payload of every event kind, by name. The description of each is its `description` annotation.
 *
 * @since 0.2.0
 * @category schemas
 */
export const EventPayloads = {
  "run.started": Schema.Struct({
    inputText: Schema.String,
    durable: Schema.Boolean,
    parentRunId: Schema.optional(Id)
  }).annotations({ description: "A run was accepted (emitted before it waits for its session)." }),
  "session.waiting": Schema.Struct({ ahead: Schema.Number }).annotations({
    description: "The run waits for the runs admitted before it on its session (`ahead` of them) to end."
  }),
  "run.finished": Schema.Struct({
    stopReason: StopReason,
    error: Schema.optional(Schema.String),
    durationMs: Schema.Number
  }).annotations({ description: "A run ended; exactly one per run." }),
  "llm.called": Schema.Struct({
    model: Schema.String,
    step: Schema.Number,
    toolCount: Schema.Number,
    /** The system prompt and messages sent: only when a trace recorder follows the run. */
    system: Schema.optional(Schema.String),
    messages: Schema.optional(Schema.Array(Message))
  }).annotations({
    description: "A model call is about to be made."
  }),
  "llm.delta": Schema.Struct({ text: Schema.String }).annotations({ description: "Text from the model as it arrives." }),
  "llm.reasoning_delta": Schema.Struct({ text: Schema.String }).annotations({
    description: "Reasoning (thinking) text from the model as it arrives; not a chunk."
  }),
  "llm.finished": Schema.Struct({
    model: Schema.String,
    step: Schema.Number,
    stopReason: Schema.String,
    usage: ModelUsage,
    costUsd: Schema.optional(Schema.Number),
    /** The answer (text and tool calls): only when a trace recorder follows the run. */
    content: Schema.optional(Schema.Array(AssistantPart))
  }).annotations({ description: "A model call succeeded." }),
  "llm.failed": Schema.Struct({
    model: Schema.String,
    step: Schema.Number,
    error: Schema.String,
    retryable: Schema.Boolean
  }).annotations({ description: "A model call failed." }),
  "llm.retry": Schema.Struct({
    attempt: Schema.Number,
    delayMs: Schema.Number,
    error: Schema.String,
    errorTag: Schema.String
  }).annotations({ description: "A failed model call will be tried again." }),
  "tool.started": Schema.Struct({ toolId: Schema.String, callId: Id, params: Schema.Unknown }).annotations({
    description: "A tool call is about to execute."
  }),
  "tool.delta": Schema.Struct({ toolId: Schema.String, callId: Id, text: Schema.String }).annotations({
    description: "Streamed output of a tool."
  }),
  "tool.finished": Schema.Struct({
    toolId: Schema.String,
    callId: Id,
    result: Schema.optional(Schema.Unknown),
    error: Schema.optional(Schema.String),
    errorTag: Schema.optional(Schema.String)
  }).annotations({ description: "A tool call ended (result or error)." }),
  "tool.batch.started": Schema.Struct({
    batchId: Id,
    callIds: Schema.Array(Id),
    concurrent: Schema.Number
  }).annotations({
    description: "The calls of one model answer start as a batch; `concurrent` of them may run at the same time."
  }),
  "tool.batch.finished": Schema.Struct({
    batchId: Id,
    succeeded: Schema.Number,
    failed: Schema.Number
  }).annotations({ description: "Every call of a batch ended; their results went back in the model's order." }),
  "pattern.phase": Schema.Struct({ pattern: Schema.String, phase: Schema.String }).annotations({
    description: "A pattern entered a phase (plan_execute: planning, executing, answering)."
  }),
  "pattern.plan_created": Schema.Struct({
    plan: Schema.Array(Schema.Struct({ description: Schema.String })),
    revision: Schema.Number
  }).annotations({ description: "plan_execute made a plan (revision 0) or a new one after a failed step." }),
  "pattern.step_started": Schema.Struct({ index: Schema.Number, description: Schema.String }).annotations({
    description: "plan_execute started a step of its plan (index from 0)."
  }),
  "pattern.step_finished": Schema.Struct({
    index: Schema.Number,
    status: Schema.Literal("done", "failed"),
    result: Schema.String
  }).annotations({ description: "plan_execute finished a step of its plan." }),
  "pattern.reflection": Schema.Struct({
    attempt: Schema.Number,
    trigger: Schema.Literal("answer", "tool_failure"),
    verdict: Schema.Literal("accept", "revise"),
    critique: Schema.String
  }).annotations({ description: "reflexion critiqued an answer or a tool failure." }),
  "pattern.routed": Schema.Struct({
    agent: Schema.String,
    reason: Schema.String,
    fallback: Schema.Boolean,
    error: Schema.optional(Schema.String)
  }).annotations({
    description: "router chose the agent for the input (fallback: the model's choice was missing or invalid, error says why)."
  }),
  "tool.approval_requested": Schema.Struct({
    runId: Id,
    callId: Id,
    tool: Schema.String,
    arguments: Schema.Unknown,
    editableParams: Schema.Array(Schema.String)
  }).annotations({ description: "A tool call waits for a human's approval (see docs/approvals.md)." }),
  "tool.approval_decided": Schema.Struct({
    callId: Id,
    tool: Schema.String,
    decision: Schema.Literal("approve", "reject"),
    arguments: Schema.optional(Schema.Unknown),
    reason: Schema.optional(Schema.String),
    /** `request`: given in advance on the run request; `human`: decided while (or after) the run waited. */
    source: Schema.Literal("human", "request")
  }).annotations({ description: "A decision on a tool call that needed approval: the call runs or is rejected." }),
  "artifact": Schema.Struct({ name: Schema.String, kind: Schema.String, payload: Schema.Unknown }).annotations({
    description: "A run produced an artifact."
  }),
  "validation.retry": Schema.Struct({ attempt: Schema.Number, error: Schema.String }).annotations({
    description: "Structured output was invalid and is fed back to the model."
  }),
  "usage.updated": Schema.Struct({ usage: RunUsage }).annotations({ description: "The run's usage changed." }),
  "budget.cost_unknown": Schema.Struct({ limit: Schema.Number, model: Schema.String }).annotations({
    description: "A cost budget is set but a model has no known price."
  }),
  "memory.injected": Schema.Struct({
    messages: Schema.Number,
    /** The messages injected: only when a trace recorder follows the run. */
    injected: Schema.optional(Schema.Array(Message))
  }).annotations({
    description: "Memory added earlier turns to the run."
  }),
  "memory.written": Schema.Struct({}).annotations({ description: "Memory state was written back to the session." }),
  "memory.failed": Schema.Struct({ phase: Schema.Literal("inject", "writeback"), error: Schema.String }).annotations({
    description: "Memory failed to inject or write back (on_error: continue)."
  }),
  "run.checkpoint_saved": Schema.Struct({
    checkpointId: Schema.String,
    step: Schema.Number,
    transcriptLength: Schema.Number
  }).annotations({ description: "A durable run saved a checkpoint." }),
  "run.checkpoint_failed": Schema.Struct({ checkpointId: Schema.String, error: Schema.String }).annotations({
    description: "Saving a checkpoint failed (the run goes on)."
  }),
  "run.resume_attempted": Schema.Struct({
    checkpointId: Schema.String,
    attempt: Schema.Number,
    error: Schema.String,
    errorTag: Schema.String
  }).annotations({ description: "A durable run will resume after an error." }),
  "run.resume_succeeded": Schema.Struct({
    checkpointId: Schema.String,
    attempt: Schema.Number,
    transcriptLength: Schema.Number
  }).annotations({ description: "A durable run resumed from a checkpoint." }),
  "run.resume_exhausted": Schema.Struct({ attempt: Schema.Number, limit: Schema.Number, error: Schema.String })
    .annotations({ description: "A durable run ran out of resume attempts." }),
  "run.durable_idempotency_warning": Schema.Struct({ toolId: Schema.String, hint: Schema.String }).annotations({
    description: "A non-idempotent tool ran in a durable run."
  }),
  "task.finished": Schema.Struct({
    taskId: Id,
    parentRunId: Id,
    status: Schema.String,
    error: Schema.optional(Schema.String)
  }).annotations({
    description: "A background delegation ended (status: the child run's stop reason); `taskStatus(taskId)` has its output."
  }),
  "config.reloaded": Schema.Struct({
    agents: Schema.Array(Schema.String),
    added: Schema.Array(Schema.String),
    removed: Schema.Array(Schema.String)
  }).annotations({
    description: "The runtime reloaded its agents: the agents whose definition changed, was added or removed."
  }),
  "custom": Schema.Struct({ name: Schema.String, data: Schema.Record({ key: Schema.String, value: Schema.Unknown }) })
    .annotations({ description: "An event a pattern published with `RunContext.emit(name, data)`." })
} as const

/**
 * The name of an event.
 *
 * @since 0.2.0
 * @category models
 */
export type EventName = keyof typeof EventPayloads

/**
 * The payload of the event `K`.
 *
 * @since 0.2.0
 * @category models
 */
export type EventPayload<K extends EventName> = Schema.Schema.Type<(typeof EventPayloads)[K]>

/**
 * Every event name, in the table's order.
 *
 * @since 0.2.0
 * @category constants
 */
export const EVENT_NAMES = Object.keys(EventPayloads) as ReadonlyArray<EventName>

interface Envelope {
  readonly runId: string
  readonly sessionId: string
  readonly agentId: string
  readonly timestampMs: number
}

/**
 * One event published by a run: `event.name === "tool.finished"` narrows `event.payload`.
 *
 * @since 0.1.0
 * @category models
 */
export type RuntimeEvent = { readonly [K in EventName]: Envelope & { readonly name: K; readonly payload: EventPayload<K> } }[EventName]

/**
 * The event named `K`.
 *
 * @since 0.2.0
 * @category models
 */
export type RuntimeEventOf<K extends EventName> = Extract<RuntimeEvent, { readonly name: K }>

const envelopeFields = {
  runId: Schema.String,
  sessionId: Schema.String,
  agentId: Schema.String,
  timestampMs: Schema.Number
}

/**
 * The Schema of {@link RuntimeEvent}: a union with one member per event name.
 *
 * @since 0.2.0
 * @category schemas
 */
export const RuntimeEvent: Schema.Schema<RuntimeEvent, unknown> = Schema.Union(
  ...EVENT_NAMES.map((name) =>
    Schema.Struct({ name: Schema.Literal(name), ...envelopeFields, payload: EventPayloads[name] as Schema.Schema.Any })
  )
) as unknown as Schema.Schema<RuntimeEvent, unknown>

/**
 * A declared event: its name, the payload keys it always has and those it may have.
 *
 * @since 0.1.0
 * @category models
 */
export interface EventSchema {
  readonly name: EventName
  readonly required: ReadonlyArray<string>
  readonly optional: ReadonlyArray<string>
  readonly description: string
}

const describe = (name: EventName): EventSchema => {
  const schema = EventPayloads[name] as unknown as Schema.Struct<Schema.Struct.Fields>
  const required: Array<string> = []
  const optional: Array<string> = []
  for (const [key, field] of Object.entries(schema.fields)) {
    ;(Schema.isPropertySignature(field) ? optional : required).push(key)
  }
  const description = schema.ast.annotations[AST.DescriptionAnnotationId]
  return { name, required, optional, description: typeof description === "string" ? description : "" }
}

/**
 * Every event the runtime emits, by name, derived from {@link EventPayloads}.
 *
 * @since 0.1.0
 * @category constants
 */
export const EVENT_SCHEMAS: ReadonlyMap<EventName, EventSchema> = new Map(EVENT_NAMES.map((n) => [n, describe(n)]))
