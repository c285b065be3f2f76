/**
 * The run journal: what each entry holds, and how a run's state is rebuilt from its entries. Private to
 * the runtime.
 *
 * Entries (`JournalEntry.kind` → payload):
 * - `run_started` → `{ messages, runStart }`: the conversation the run started from (history + input)
 * - `model` → `{ step, content, usage, cost }`: one model response
 * - `tool_started` → `{ callId, name, arguments }`, `tool` → `{ callId, name, content, isError, result }`
 * - `validation_retry` → `{ attempt, error, message }`: feedback sent to the model
 * - `message` → `{ message }` (added by the pattern), `{ artifact }`, or `{ resume: { checkpointId, upTo } }`
 *   (a resume: entries after `upTo` and before this one are abandoned)
 * - `run_finished` → `{ stopReason }`
 */
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { RunArtifact, RunUsage } from "../../kernel/Run.js"
import type { JournalEntry } from "../../kernel/Session.js"
import { AssistantPart, Message, ModelUsage } from "../../kernel/Transcript.js"

const Cost = Schema.NullOr(Schema.Struct({
  costUsd: Schema.Number,
  breakdown: Schema.Record({ key: Schema.String, value: Schema.Number })
}))

const Payloads = {
  run_started: Schema.Struct({ messages: Schema.Array(Message), runStart: Schema.Number }),
  model: Schema.Struct({ step: Schema.Number, content: Schema.Array(AssistantPart), usage: ModelUsage, cost: Cost }),
  tool_started: Schema.Struct({ callId: Schema.String, name: Schema.String, arguments: Schema.Unknown }),
  tool: Schema.Struct({
    callId: Schema.String,
    name: Schema.String,
    content: Schema.String,
    isError: Schema.Boolean,
    result: Schema.Unknown
  }),
  validation_retry: Schema.Struct({ attempt: Schema.Number, error: Schema.String, message: Message }),
  message: Schema.Union(
    Schema.Struct({ message: Message }),
    Schema.Struct({ artifact: RunArtifact }),
    Schema.Struct({ resume: Schema.Struct({ checkpointId: Schema.String, upTo: Schema.Number }) })
  ),
  run_finished: Schema.Struct({ stopReason: Schema.String })
} as const

export type ModelPayload = typeof Payloads.model.Type
export type ToolPayload = typeof Payloads.tool.Type
export type ToolStartedPayload = typeof Payloads.tool_started.Type

/** Encodes a payload of `kind` to JSON-safe data. */
export const encode = <K extends keyof typeof Payloads>(kind: K, payload: (typeof Payloads)[K]["Type"]): unknown =>
  Schema.encodeSync(Payloads[kind] as unknown as Schema.Schema<unknown, unknown>)(payload)

const decode = (entry: JournalEntry): Either.Either<unknown, string> =>
  Either.mapLeft(
    Schema.decodeUnknownEither(Payloads[entry.kind] as unknown as Schema.Schema<unknown, unknown>)(entry.payload),
    (e) => `journal entry ${entry.runId}#${entry.seq} (${entry.kind}) is invalid: ${ParseResult.TreeFormatter.formatErrorSync(e)}`
  )

/** A run's state as its journal tells it. */
export interface Replayed {
  readonly messages: Array<Message>
  readonly runStart: number
  readonly usage: RunUsage
  readonly steps: number
  readonly artifacts: Array<RunArtifact>
  readonly validationAttempts: number
  /** The highest seq in the journal (the next entry gets lastSeq + 1). */
  readonly lastSeq: number
}

/** Adds one model call to a run's usage. A call without a price makes the run's cost unknown, not too low. */
export const addModelUsage = (usage: RunUsage, u: ModelPayload["usage"], cost: ModelPayload["cost"]): RunUsage => {
  const breakdown: Record<string, number> = { ...usage.costBreakdown }
  if (cost) for (const [k, v] of Object.entries(cost.breakdown)) breakdown[k] = (breakdown[k] ?? 0) + v
  return new RunUsage({
    ...usage,
    llmCalls: usage.llmCalls + 1,
    inputTokens: usage.inputTokens + u.inputTokens,
    outputTokens: usage.outputTokens + u.outputTokens,
    totalTokens: usage.totalTokens + u.inputTokens + u.outputTokens,
    inputTokensCached: usage.inputTokensCached + u.cachedInputTokens,
    inputTokensCacheCreation: usage.inputTokensCacheCreation + u.cacheCreationInputTokens,
    costUsd: usage.costUsd === null || cost === null ? null : usage.costUsd + cost.costUsd,
    costBreakdown: breakdown
  }, true)
}

/**
 * Rebuilds the state of a run from its journal, up to and including the entry `upTo`. Resume markers
 * make the entries they abandoned disappear. Fails with a message when an entry cannot be read.
 */
export const replay = (entries: ReadonlyArray<JournalEntry>, upTo: number): Either.Either<Replayed, string> => {
  const sorted = [...entries].sort((a, b) => a.seq - b.seq)
  const effective: Array<{ entry: JournalEntry; payload: any }> = []
  for (const entry of sorted) {
    if (entry.seq > upTo) break
    const decoded = decode(entry)
    if (Either.isLeft(decoded)) return Either.left(decoded.left)
    const payload = decoded.right as any
    if (entry.kind === "message" && payload.resume) {
      const cut: number = payload.resume.upTo
      while (effective.length > 0 && effective[effective.length - 1]!.entry.seq > cut) effective.pop()
      continue
    }
    effective.push({ entry, payload })
  }
  let messages: Array<Message> = []
  let runStart = 0
  let usage = RunUsage.empty
  let steps = 0
  let validationAttempts = 0
  const artifacts: Array<RunArtifact> = []
  for (const { entry, payload } of effective) {
    switch (entry.kind) {
      case "run_started":
        messages = [...payload.messages]
        runStart = payload.runStart
        break
      case "model":
        steps++
        usage = addModelUsage(usage, payload.usage, payload.cost)
        messages.push({ _tag: "assistant", content: payload.content })
        break
      case "tool":
        usage = new RunUsage({ ...usage, toolCalls: usage.toolCalls + 1 })
        messages.push({ _tag: "tool", toolCallId: payload.callId, toolName: payload.name, content: payload.content, isError: payload.isError })
        break
      case "validation_retry":
        validationAttempts = Math.max(validationAttempts, payload.attempt)
        messages.push(payload.message)
        break
      case "message":
        if (payload.message) messages.push(payload.message)
        if (payload.artifact) artifacts.push(payload.artifact)
        break
      default:
        break
    }
  }
  return Either.right({
    messages,
    runStart,
    usage,
    steps,
    artifacts,
    validationAttempts,
    lastSeq: sorted.length > 0 ? sorted[sorted.length - 1]!.seq : -1
  })
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
    const payload = decoded.right as ToolStartedPayload | ToolPayload
    const known = calls.get(payload.callId) ?? { started: false }
    if (entry.kind === "tool_started") known.started = true
    else known.finished = payload as ToolPayload
    calls.set(payload.callId, known)
  }
  return calls
}

/** The run id a checkpoint id (`<runId>:step:<n>`) refers to. */
export const runIdOfCheckpoint = (checkpointId: string): string | undefined => /^(.*):step:\d+$/.exec(checkpointId)?.[1]
