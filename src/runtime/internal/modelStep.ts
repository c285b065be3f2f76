/**
 * One step of a run: a model call on the conversation so far, under the step, cost and time limits, with
 * its deltas streamed, its usage counted and its answer journaled. Private to the runtime.
 */
import * as Cause from "effect/Cause"
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

/**
 * The deltas of a model call as events (`llm.delta` is also a chunk). Emitting is synchronous and needs
 * no fiber context, so it returns `Effect.void`: `streamTo` runs nothing for a delta (see
 * `LanguageModel.StreamTo`), and the SDK-backed providers emit from their read loop without waking the fiber.
 */
const deltaSink = (run: Run) => (delta: LanguageModel.ModelDelta): Effect.Effect<void> => {
  run.emitter.emit(delta._tag === "TextDelta" ? "llm.delta" : "llm.reasoning_delta", { text: delta.text })
  return Effect.void
}

/**
 * The provider retry schedule after a first failed call: it is handed that failure first, so retries
 * count as they always did. Only a failure builds it.
 */
const retryAfter = (run: Run, call: Effect.Effect<ModelResponse, LlmError>, first: LlmError) => {
  let replayed = false
  const again = Effect.suspend(() => {
    if (replayed) return call
    replayed = true
    return Effect.fail(first)
  })
  return ProviderRetry.retry(again, run.agent.retry, (d) =>
    run.emitter.emitEffect("llm.retry", { attempt: d.nextAttempt, delayMs: d.delayMs, error: d.error.message, errorTag: d.error._tag }))
}

/** The step's deadline ends with a failed call, whatever ended it; a failure is told with `llm.failed`. */
const ended = (run: Run, step: number) => (cause: Cause.Cause<LlmError>) =>
  Effect.sync(() => {
    run.deadlines.stepEnded()
    if (cause._tag === "Fail") {
      const error = cause.error
      run.emitter.emit("llm.failed", { model: run.agent.model.model, step, error: error.message, retryable: error.retryable })
    }
  })

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
    const call = Effect.suspend(() => {
      emitter.emit("llm.called", {
        model: model.model,
        step: stepNo,
        toolCount: request.tools.length,
        // the request's own copies: a recorder keeps them without copying again
        ...(emitter.observed ? { messages: request.messages, ...(request.system !== undefined ? { system: request.system } : {}) } : {})
      })
      const arm = run.deadlines.stepStarted(stepNo)
      const once = LanguageModel.streamTo(model, request, deltaSink(run))
      if (run.tracing) {
        const traced = Trace.span(true, () => Trace.step(run.request, agent, stepNo),
          Effect.catchAll(once, (first) => retryAfter(run, once, first)), Trace.responseAttributes)
        return Effect.flatMap(Effect.tapErrorCause(arm ? Effect.zipRight(arm, traced) : traced, ended(run, stepNo)), settle)
      }
      // one continuation on the fiber's stack while the model answers (not a flatMap, a tapErrorCause and a
      // catchAll); a failure takes the same path as before: the retries, then the deadline and llm.failed
      return Effect.matchCauseEffect(arm ? Effect.zipRight(arm, once) : once, {
        onFailure: (cause) =>
          Effect.flatMap(
            Effect.tapErrorCause(Effect.catchAll(Effect.failCause(cause), (first) => retryAfter(run, once, first)), ended(run, stepNo)),
            settle
          ),
        onSuccess: settle
      })
    })
    // a reader of the run's stream that is far behind holds the run here, between steps
    return emitter.buffered ? Effect.zipRight(emitter.backpressure, call) : call
  })
