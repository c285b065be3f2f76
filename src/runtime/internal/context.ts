/**
 * The run context handed to the pattern: every model call and tool call of every pattern, builtin or
 * custom, goes through it, so budgets, usage, events, streaming and the journal hold for all of them.
 * Private to the runtime.
 */
import * as Effect from "effect/Effect"
import type * as RunContext from "../../kernel/RunContext.js"
import type { Run } from "./env.js"
import { step } from "./modelStep.js"
import * as SubAgents from "./subAgents.js"
import { callTools } from "./toolBatch.js"
import { callTool } from "./toolCall.js"

/**
 * The context of a run whose instructions are set (they are not changed afterwards). `instructions` is a
 * plain field, not a getter: an object literal with an accessor is built in dictionary mode with a map of
 * its own (about 1.5 KB a run). The operations stay own properties, so a pattern can spread the context
 * to override one of them.
 */
export const make = (run: Run): RunContext.Service => {
  const { agent, emitter, request, state } = run
  return {
    request,
    runId: request.runId,
    sessionId: request.sessionId,
    agentId: agent.id,
    instructions: state.instructions,
    tools: agent.toolkit.specs,
    outputSchema: run.validator?.jsonSchema,
    messages: Effect.sync(() => state.messages.slice()),
    attempt: Effect.sync(() => state.messages.slice(state.attemptStart)),
    setMetadata: (key, value) =>
      Effect.sync(() => {
        state.patternMetadata = { ...state.patternMetadata, [key]: value }
      }),
    appendMessage: (message) =>
      Effect.sync(() => {
        state.messages.push(message)
        run.journal.append({ kind: "message", payload: { message } })
      }),
    emit: (name, data) => emitter.emitEffect("custom", { name, data }),
    emitPattern: (name, payload) => emitter.emitEffect(name, payload),
    addArtifact: (artifact) =>
      Effect.sync(() => {
        state.artifacts.push(artifact)
        run.journal.append({ kind: "message", payload: { artifact } })
        emitter.emit("artifact", { name: artifact.name, kind: artifact.kind, payload: artifact.payload })
      }),
    step: (options) => step(run, options),
    callTool: (call) => callTool(run, call),
    callTools: (calls) => callTools(run, calls),
    runAgent: run.runChild === undefined
      ? undefined
      : (asked) => SubAgents.runChild(run, { id: asked.key, name: asked.agentId }, asked, run.runChild!)
  }
}
