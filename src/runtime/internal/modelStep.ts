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

/** The deltas of a model call as events (`llm.delta` is also a chunk). */
const deltaSink = (run: Run) => (delta: LanguageModel.ModelDelta): Effect.Effect<void> =>
  delta._tag === "TextDelta"
    ? run.emitter.emit("llm.delta", { text: delta.text })
    : run.emitter.emit("llm.reasoning_delta", { text: delta.text })

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
      run.emitter.emit("llm.retry", { attempt: d.nextAttempt, delayMs: d.delayMs, error: d.error.message, errorTag: d.error._tag }))
  })
}

export const step = (run: Run, options?: StepOptions): Effect.Effect<ModelResponse, RunError> =>
  Effect.gen(function*() {
    const { agent, emitter, limits, state } = run
    const model = agent.model
    yield* Budget.checkStep(state, limits)
    yield* Budget.checkCost(
      state,
      limits,
      model.pricing !== undefined,
      "before",
      (max) => emitter.emit("budget.cost_unknown", { limit: max, model: model.model })
    )
    yield* emitter.backpressure
    const stepNo = ++state.steps
    const withTools = options?.withTools ?? true
    const request: ModelRequest = {
      system: state.instructions,
      messages: state.messages.slice(),
      tools: withTools ? agent.toolkit.specs : [],
      toolChoice: options?.toolChoice,
      responseSchema: run.validator?.jsonSchema
    }
    yield* emitter.emit("llm.called", { model: model.model, step: stepNo, toolCount: request.tools.length })
    yield* run.watchdog.stepStarted(stepNo)
    const response = yield* callWithRetry(run, request, deltaSink(run)).pipe(
      Effect.tapError((error) =>
        emitter.emit("llm.failed", { model: model.model, step: stepNo, error: error.message, retryable: error.retryable })
      ),
      Effect.ensuring(Effect.sync(() => run.watchdog.stepEnded()))
    )
    const cost = model.pricing ? Pricing.cost(response.usage, model.pricing) : null
    state.usage = Journal.addModelUsage(state.usage, response.usage, cost)
    state.messages.push({ _tag: "assistant", content: response.content })
    yield* run.journal.append({ kind: "model", payload: { step: stepNo, content: response.content, usage: response.usage, cost } })
    yield* run.journal.checkpoint
    yield* emitter.emit("llm.finished", {
      model: response.model,
      step: stepNo,
      stopReason: response.stopReason,
      usage: response.usage,
      ...(cost ? { costUsd: cost.costUsd } : {})
    })
    yield* emitter.emit("usage.updated", { usage: state.usage })
    yield* Budget.checkCost(state, limits, model.pricing !== undefined, "after", () => Effect.void)
    return response
  })
