/**
 * The run journal: what each entry holds, and how a run's state is rebuilt from its entries. Private to
 * the runtime.
 *
 * Entries (`JournalEntry.kind` → payload):
 * - `run_started` → `{ messages, runStart, budget? }`: the conversation the run started from (history +
 *   input), and the budget it was given (a continued or resumed run asking for none keeps it)
 * - `model` → `{ step, content, usage, cost }`: one model response
 * - `tool_started` → `{ callId, name, arguments }`, `tool` → `{ callId, name, content, isError, result }`
 * - `validation_retry` → `{ attempt, error, message }`: feedback sent to the model
 * - `message` → `{ message }` (added by the pattern), `{ artifact }`, or `{ resume: { checkpointId, upTo } }`
 *   (a resume: entries after `upTo` and before this one are abandoned)
 * - `output` → `{ value }`: what the pattern returned (before output validation); a durable run resumed
 *   from the checkpoint after it validates that value instead of running its pattern again
 * - `run_finished` → `{ stopReason }`
 */
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as Records from "./records.js"
import { RunArtifact, RunBudget, RunUsage } from "../../kernel/Run.js"
import type { JournalEntry } from "../../kernel/Session.js"
import { AssistantPart, Message, ModelUsage } from "../../kernel/Transcript.js"

const Cost = Schema.NullOr(Schema.Struct({
  costUsd: Schema.Number,
  breakdown: Schema.Record({ key: Schema.String, value: Schema.Number })
}))

const record = <K extends JournalEntry["kind"], P extends Schema.Schema.Any>(kind: K, payload: P) =>
  Schema.Struct({ kind: Schema.Literal(kind), payload })

/** What each kind of journal entry holds. */
const ModelPayload = Schema.Struct({
  step: Schema.Number,
  content: Schema.Array(AssistantPart),
  usage: ModelUsage,
  cost: Cost
})
const ToolStartedPayload = Schema.Struct({ callId: Schema.String, name: Schema.String, arguments: Schema.Unknown })
const ToolPayload = Schema.Struct({
  callId: Schema.String,
  name: Schema.String,
  content: Schema.String,
  isError: Schema.Boolean,
  result: Schema.Unknown
})

/**
 * A journal entry's kind and payload, as a union keyed by `kind`: replay reads typed payloads.
 */
export const JournalRecord = Schema.Union(
  record(
    "run_started",
    Schema.Struct({ messages: Schema.Array(Message), runStart: Schema.Number, budget: Schema.optional(RunBudget) })
  ),
  record("model", ModelPayload),
  record("tool_started", ToolStartedPayload),
  record("tool", ToolPayload),
  record("validation_retry", Schema.Struct({ attempt: Schema.Number, error: Schema.String, message: Message })),
  record(
    "message",
    Schema.Union(
      Schema.Struct({ message: Message }),
      Schema.Struct({ artifact: RunArtifact }),
      Schema.Struct({ resume: Schema.Struct({ checkpointId: Schema.String, upTo: Schema.Number }) })
    )
  ),
  record("output", Schema.Struct({ value: Schema.Unknown })),
  record("run_finished", Schema.Struct({ stopReason: Schema.String }))
)
export type JournalRecord = typeof JournalRecord.Type

export type ModelPayload = typeof ModelPayload.Type
export type ToolPayload = typeof ToolPayload.Type
export type ToolStartedPayload = typeof ToolStartedPayload.Type

const decodeRecord = Schema.decodeUnknownEither(JournalRecord)

const decode = (entry: JournalEntry): Either.Either<JournalRecord, string> =>
  Either.mapLeft(
    decodeRecord({ kind: entry.kind, payload: entry.payload }),
    (e) => `journal entry ${entry.runId}#${entry.seq} (${entry.kind}) is invalid: ${ParseResult.TreeFormatter.formatErrorSync(e)}`
  )

/** A run's state as its journal tells it. */
export interface Replayed {
  readonly messages: Array<Message>
  readonly runStart: number
  /** Where the pattern's latest attempt begins (after the input, or the latest validation feedback). */
  readonly attemptStart: number
  readonly usage: RunUsage
  readonly steps: number
  readonly artifacts: Array<RunArtifact>
  readonly validationAttempts: number
  /** The pattern's output, when the journal ends with one that validation has not rejected. */
  readonly output: { readonly value: unknown } | undefined
  /** The highest seq in the journal (the next entry gets lastSeq + 1). */
  readonly lastSeq: number
}

/** Adds one model call to a run's usage. A call without a price makes the run's cost unknown, not too low. */
export const addModelUsage = (usage: RunUsage, u: ModelPayload["usage"], cost: ModelPayload["cost"]): RunUsage => {
  const breakdown: Record<string, number> = { ...usage.costBreakdown }
  if (cost) {
    const add: Readonly<Record<string, number>> = cost.breakdown
    for (const k in add) breakdown[k] = (breakdown[k] ?? 0) + add[k]!
  }
  return Records.usage({
    llmCalls: usage.llmCalls + 1,
    toolCalls: usage.toolCalls,
    inputTokens: usage.inputTokens + u.inputTokens,
    outputTokens: usage.outputTokens + u.outputTokens,
    totalTokens: usage.totalTokens + u.inputTokens + u.outputTokens,
    inputTokensCached: usage.inputTokensCached + u.cachedInputTokens,
    inputTokensCacheCreation: usage.inputTokensCacheCreation + u.cacheCreationInputTokens,
    costUsd: usage.costUsd === null || cost === null ? null : usage.costUsd + cost.costUsd,
    costBreakdown: breakdown
  })
}

/**
 * Rebuilds the state of a run from its journal, up to and including the entry `upTo`. Resume markers
 * make the entries they abandoned disappear. Fails with a message when an entry cannot be read.
 */
export const replay = (entries: ReadonlyArray<JournalEntry>, upTo: number): Either.Either<Replayed, string> => {
  const sorted = [...entries].sort((a, b) => a.seq - b.seq)
  const effective: Array<{ readonly seq: number; readonly record: JournalRecord }> = []
  for (const entry of sorted) {
    if (entry.seq > upTo) break
    const decoded = decode(entry)
    if (Either.isLeft(decoded)) return Either.left(decoded.left)
    const record = decoded.right
    if (record.kind === "message" && "resume" in record.payload) {
      const cut = record.payload.resume.upTo
      while (effective.length > 0 && effective[effective.length - 1]!.seq > cut) effective.pop()
      continue
    }
    effective.push({ seq: entry.seq, record })
  }
  let messages: Array<Message> = []
  let runStart = 0
  let attemptStart = 0
  let usage = RunUsage.empty
  let steps = 0
  let validationAttempts = 0
  let output: { readonly value: unknown } | undefined
  const artifacts: Array<RunArtifact> = []
  for (const { record } of effective) {
    if (record.kind !== "run_finished") output = undefined
    switch (record.kind) {
      case "run_started":
        messages = [...record.payload.messages]
        runStart = record.payload.runStart
        attemptStart = messages.length
        break
      case "model":
        steps++
        usage = addModelUsage(usage, record.payload.usage, record.payload.cost)
        messages.push({ _tag: "assistant", content: record.payload.content })
        break
      case "tool": {
        const p = record.payload
        usage = Records.withToolCall(usage)
        messages.push({ _tag: "tool", toolCallId: p.callId, toolName: p.name, content: p.content, isError: p.isError })
        break
      }
      case "validation_retry":
        validationAttempts = Math.max(validationAttempts, record.payload.attempt)
        messages.push(record.payload.message)
        attemptStart = messages.length
        break
      case "message":
        if ("message" in record.payload) messages.push(record.payload.message)
        if ("artifact" in record.payload) artifacts.push(record.payload.artifact)
        break
      case "output":
        output = { value: record.payload.value }
        break
      case "tool_started":
      case "run_finished":
        break
    }
  }
  return Either.right({
    messages,
    runStart,
    attemptStart,
    usage,
    steps,
    artifacts,
    validationAttempts,
    output,
    lastSeq: sorted.length > 0 ? sorted[sorted.length - 1]!.seq : -1
  })
}

/** The budget the run's first `run_started` entry recorded, if any. */
export const budgetOf = (entries: ReadonlyArray<JournalEntry>): RunBudget | undefined => {
  for (const entry of entries) {
    if (entry.kind !== "run_started") continue
    const decoded = decode(entry)
    return Either.isRight(decoded) && decoded.right.kind === "run_started" ? decoded.right.payload.budget : undefined
  }
  return undefined
}

/** What the whole journal knows about each tool call: whether it started and how it finished. */
export const toolCalls = (
  entries: ReadonlyArray<JournalEntry>
): ReadonlyMap<string, { started: boolean; finished?: ToolPayload }> => {
  const calls = new Map<string, { started: boolean; finished?: ToolPayload }>()
  for (const entry of entries) {
    if (entry.kind !== "tool_started" && entry.kind !== "tool") continue
    const decoded = decode(entry)
    if (Either.isLeft(decoded)) continue
    const record = decoded.right
    if (record.kind !== "tool_started" && record.kind !== "tool") continue
    const known = calls.get(record.payload.callId) ?? { started: false }
    if (record.kind === "tool_started") known.started = true
    else known.finished = record.payload
    calls.set(record.payload.callId, known)
  }
  return calls
}

/** The latest checkpoint of run `runId` among `checkpoints` (by step number, not list order), if it has one. */
export const lastCheckpointOf = (
  checkpoints: ReadonlyArray<{ readonly checkpointId: string }>,
  runId: string
): string | undefined => {
  const prefix = `${runId}:step:`
  let last: string | undefined
  let lastStep = -1
  for (const c of checkpoints) {
    if (!c.checkpointId.startsWith(prefix)) continue
    const step = Number(c.checkpointId.slice(prefix.length))
    if (step > lastStep) {
      last = c.checkpointId
      lastStep = step
    }
  }
  return last
}

/** The run id a checkpoint id (`<runId>:step:<n>`) refers to. */
export const runIdOfCheckpoint = (checkpointId: string): string | undefined => /^(.*):step:\d+$/.exec(checkpointId)?.[1]
