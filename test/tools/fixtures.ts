import * as Effect from "effect/Effect"
import type { ToolCallPart } from "../../src/kernel/Transcript.js"
import type { ToolContext } from "../../src/tools/Tool.js"

/** A tool context for calling handlers directly. */
export const context: ToolContext = {
  runId: "run-1",
  sessionId: "session-1",
  agentId: "agent-1",
  callId: "call-1",
  deps: undefined,
  emit: () => Effect.void
}

/** A tool call as a pattern hands it to the executor. */
export const call = (name: string, args: unknown, rawArguments?: string): ToolCallPart => ({
  _tag: "tool_call",
  id: "call-1",
  name,
  arguments: args,
  ...(rawArguments !== undefined ? { rawArguments } : {})
})
