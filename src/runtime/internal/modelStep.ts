/**
 * One step of a run: a model call on the conversation so far, under the step, cost and time limits, with
 * its deltas streamed, its usage counted and its answer journaled. Private to the runtime.
 */
import * as Effect from "effect/Effect"
import type { LlmError, RunError } from "../../kernel/Errors.js"
import type { StepOptions } from "../../kernel/RunContext.js"
import type { ModelRequest, ModelResponse } from "../../kernel/Transcript.js"
import * as LanguageModel from "../../llm/LanguageModel.js"
import * as Pricing from "../../llm/Pricing.js"
import * as ProviderRetry from "../../llm/ProviderRetry.js"
import * as Budget from "./budget.js"
import type { Run } from "./env.js"
import * as Journal from "./journal.js"
import * as Trace from "./trace.js"

/** The deltas of a model call as events (`llm.delta` is also a chunk). */
const deltaSink = (run: Run) => (delta: LanguageModel.ModelDelta): Effect.Effect<void> => {
  run.emitter.emit(delta._tag === "TextDelta" ? "llm.delta" : "llm.reasoning_delta", { text: delta.text })
  return Effect.void
}

/**
 * The model call with the provider retry schedule. The first attempt runs bare; only a failure builds
 * the schedule, which is then handed that failure first, so retries count as they always did.
 */
const callWithRetry = (run: Run, request: ModelRequest, onDelta: ReturnType<typeof deltaSink>) => {
  const call = LanguageModel.streamTo(run.agent.model, request, onDelta)
  return Effect.catchAll(call, (first: LlmError) => {
    let replayed = false
    const again = Effect.suspend(() => {
      if (replayed) return call
      replayed = true
      return Effect.fail(first)
    })
    return ProviderRetry.retry(again, run.agent.retry, (d) =>
      run.emitter.emitEffect("llm.retry", { attempt: d.nextAttempt, delayMs: d.delayMs, error: d.error.message, errorTag: d.error._tag }))
  })
}

export const step = (run: Run, options?: StepOptions): Effect.Effect<ModelResponse, RunError> =>
  Effect.suspend(() => {
    const { agent, emitter, limits, state } = run
    const model = agent.model
    const priced = model.pricing !== undefined
    // a run that handed its turn over ends here with the other agent's answer (see result.ts)
    const refused = state.handoff !== undefined ? Effect.interrupt : Budget.checkStep(state, limits) ??
      Budget.checkCost(state, limits, priced, "before", (max) => emitter.emit("budget.cost_unknown", { limit: max, model: model.model }))
    if (refused) return refused
    const stepNo = ++state.steps
    const request: ModelRequest = {
      system: state.instructions,
      messages: state.messages.slice(),
      tools: options?.withTools === false ? [] : agent.toolkit.specs,
      toolChoice: options?.toolChoice,
      responseSchema: run.validator?.jsonSchema
    }
    const call = Effect.suspend(() => {
      emitter.emit("llm.called", {
        model: model.model,
        step: stepNo,
        toolCount: request.tools.length,
        // the request's own copies: a recorder keeps them without copying again
        ...(emitter.observed ? { messages: request.messages, ...(request.system !== undefined ? { system: request.system } : {}) } : {})
      })
      const arm = run.deadlines.stepStarted(stepNo)
      const streamed = Trace.span(run.tracing, () => Trace.step(run.request, agent, stepNo),
        callWithRetry(run, request, deltaSink(run)), Trace.responseAttributes)
      return arm ? Effect.zipRight(arm, streamed) : streamed
    }).pipe(
      // the step's deadline ends with the call, whatever ends it (settle clears it on success: a
      // tapErrorCause costs one frame on the success path, an onExit an uninterruptible region)
      Effect.tapErrorCause((cause) =>
        Effect.sync(() => {
          run.deadlines.stepEnded()
          if (cause._tag === "Fail") {
            const error = cause.error
            emitter.emit("llm.failed", { model: model.model, step: stepNo, error: error.message, retryable: error.retryable })
          }
        })
      )
    )
    const settle = (response: ModelResponse): Effect.Effect<ModelResponse, RunError> => {
      run.deadlines.stepEnded()
      const cost = priced ? Pricing.cost(response.usage, model.pricing!) : null
      state.usage = Journal.addModelUsage(state.usage, response.usage, cost)
      state.messages.push({ _tag: "assistant", content: response.content })
      run.journal.append({ kind: "model", payload: { step: stepNo, content: response.content, usage: response.usage, cost } })
      const finished = (): Effect.Effect<ModelResponse, RunError> => {
        emitter.emit("llm.finished", {
          model: response.model,
          step: stepNo,
          stopReason: response.stopReason,
          usage: response.usage,
          ...(cost ? { costUsd: cost.costUsd } : {}),
          ...(emitter.observed ? { content: response.content } : {})
        })
        emitter.emit("usage.updated", { usage: state.usage })
        return Budget.checkCost(state, limits, priced, "after", () => {}) ?? Effect.succeed(response)
      }
      return run.journal.durable ? Effect.flatMap(run.journal.sync, finished) : finished()
    }
    // a reader of the run's stream that is far behind holds the run here, between steps
    const waited = emitter.buffered ? Effect.zipRight(emitter.backpressure, call) : call
    return Effect.flatMap(waited, settle)
  })
