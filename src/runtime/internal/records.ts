/**
 * The records a run builds every step (its usage, journal entries, session messages), made by
 * `recordMaker`: plain constructors over the classes' prototypes, from fields the runtime made itself.
 * Private to the runtime.
 */
import { recordMaker } from "../../internal/unsafeMake.js"
import { RunUsage } from "../../kernel/Run.js"
import { JournalEntry, SessionMessage } from "../../kernel/Session.js"

/** A RunUsage (every field given, in the class's order). */
export const usage = recordMaker(RunUsage, (self, f) => {
  self["llmCalls"] = f.llmCalls
  self["toolCalls"] = f.toolCalls
  self["inputTokens"] = f.inputTokens
  self["outputTokens"] = f.outputTokens
  self["totalTokens"] = f.totalTokens
  self["inputTokensCached"] = f.inputTokensCached
  self["inputTokensCacheCreation"] = f.inputTokensCacheCreation
  self["costUsd"] = f.costUsd
  self["costBreakdown"] = f.costBreakdown
})

/** `usage` with one more tool call. */
export const withToolCall = (u: RunUsage): RunUsage => usage({ ...u, toolCalls: u.toolCalls + 1 })

/** A journal entry. */
export const journalEntry = recordMaker(JournalEntry, (self, f) => {
  self["runId"] = f.runId
  self["seq"] = f.seq
  self["kind"] = f.kind
  self["payload"] = f.payload
  self["timestampMs"] = f.timestampMs
})

/** A message of the session's transcript. */
export const sessionMessage = recordMaker(SessionMessage, (self, f) => {
  self["runId"] = f.runId
  self["agentId"] = f.agentId
  self["message"] = f.message
  self["timestampMs"] = f.timestampMs
})
