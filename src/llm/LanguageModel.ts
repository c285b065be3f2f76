/**
 * The language model seam. A provider is a Layer of {@link LanguageModel}: swap the Layer to swap the
 * provider. Providers never retry on their own (the runtime owns retries, see `ProviderRetry`), and their
 * effects and streams are interruptible: interrupting them aborts the HTTP request.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Stream from "effect/Stream"
import type { LlmError } from "../kernel/Errors.js"
import type { ModelRequest, ModelResponse, ModelStreamEvent } from "../kernel/Transcript.js"
import type { Pricing } from "./Pricing.js"

/**
 * What a provider implements.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Provider name as in `llm.provider` (`mock`, `anthropic`, `openai`, `openai_compatible`). */
  readonly provider: string
  /** The model id sent to the provider. */
  readonly model: string
  /** USD per million tokens, when known (table entry overridden by `llm.pricing`). */
  readonly pricing: Pricing | undefined
  /** One whole response. */
  readonly generate: (request: ModelRequest) => Effect.Effect<ModelResponse, LlmError>
  /** Deltas as they arrive, then exactly one `Finished` event. */
  readonly stream: (request: ModelRequest) => Stream.Stream<ModelStreamEvent, LlmError>
  /**
   * The same response as `stream`, with each delta handed to `onDelta` as it arrives and the response as
   * the result. The run loop calls this when a provider has it: no Stream (channel, queue, fibers) per
   * model call. Providers built with {@link make} have it (not enumerable, so `{ ...model, stream }`
   * wrappers are not bypassed); {@link streamTo} falls back to `stream`.
   */
  readonly streamTo?: StreamTo | undefined
}

/**
 * A text or reasoning delta: a stream event other than `Finished`.
 *
 * @since 0.2.0
 * @category models
 */
export type ModelDelta = Exclude<ModelStreamEvent, { readonly _tag: "Finished" }>

/**
 * Streams one response into a callback and returns it.
 *
 * The callback's contract: deltas come in order, one call each. The effect it returns runs in the
 * calling fiber, and the next delta is handed over only once it has run. Returning `Effect.void`
 * (the very value, as the run loop's sink does) says the work is done: nothing is run for it, so a
 * sink that does its work synchronously costs no Effect step per delta. The SDK-backed providers call
 * it from their SDK read loop rather than from the calling fiber while that fiber waits with nothing to
 * run (no fiber wake per delta): its synchronous part must not need the fiber's context (services,
 * FiberRefs); what does belongs in the returned effect.
 * A throw is a defect of the call. No delta is handed over after the call has ended, failed or been
 * interrupted.
 *
 * @since 0.2.0
 * @category models
 */
export type StreamTo = (
  request: ModelRequest,
  onDelta: (delta: ModelDelta) => Effect.Effect<void>
) => Effect.Effect<ModelResponse, LlmError>

/**
 * The language model used by an agent.
 *
 * @since 0.1.0
 * @category tags
 */
export class LanguageModel extends Context.Tag("openagents/LanguageModel")<LanguageModel, Service>() {}

const ignoreDelta = (_: ModelDelta): Effect.Effect<void> => Effect.void

/**
 * Builds a provider from its push form: `generate` and `stream` are derived from `streamTo` unless given.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (impl: {
  readonly provider: string
  readonly model: string
  readonly pricing: Pricing | undefined
  readonly streamTo: StreamTo
  readonly generate?: ((request: ModelRequest) => Effect.Effect<ModelResponse, LlmError>) | undefined
}): Service => {
  const service: Service = {
    provider: impl.provider,
    model: impl.model,
    pricing: impl.pricing,
    generate: impl.generate ?? ((request) => impl.streamTo(request, ignoreDelta)),
    stream: (request) =>
      Stream.asyncScoped<ModelStreamEvent, LlmError>((emit) =>
        Effect.forkScoped(
          impl.streamTo(request, (delta) => Effect.promise(() => emit.single(delta))).pipe(
            Effect.onExit((exit) =>
              Exit.isSuccess(exit)
                ? Effect.promise(() => emit.single({ _tag: "Finished", response: exit.value }).then(() => emit.end()))
                : Effect.promise(() => emit.halt(exit.cause))
            ),
            Effect.ignore
          )
        )
      )
  }
  // not enumerable: a wrapper made by spreading a provider and replacing `stream` (to record or delay
  // calls) has no `streamTo` left to bypass it with
  Object.defineProperty(service, "streamTo", { value: impl.streamTo, enumerable: false })
  return service
}

/**
 * Streams one response of `model` into `onDelta` and returns it: the model's own `streamTo` when it has
 * one, otherwise its `stream` consumed in place. A stream that ends without `Finished` is a defect.
 *
 * @since 0.2.0
 * @category combinators
 */
export const streamTo = (
  model: Service,
  request: ModelRequest,
  onDelta: (delta: ModelDelta) => Effect.Effect<void>
): Effect.Effect<ModelResponse, LlmError> => {
  if (model.streamTo) return model.streamTo(request, onDelta)
  return Effect.suspend(() => {
    let response: ModelResponse | undefined
    return Stream.runForEach(model.stream(request), (event) => {
      if (event._tag === "Finished") {
        response = event.response
        return Effect.void
      }
      return onDelta(event)
    }).pipe(
      Effect.flatMap(() =>
        response
          ? Effect.succeed(response)
          : Effect.dieMessage(`model ${model.provider}/${model.model} ended its stream without a response`)
      )
    )
  })
}

/**
 * The attributes of a model call's span before the call, after OpenTelemetry's GenAI semantic
 * conventions (`gen_ai.system` is the older name of `gen_ai.provider.name`, kept for older backends).
 *
 * @since 0.4.0
 * @category tracing
 */
export const requestSpanAttributes = (provider: string, model: string): Record<string, unknown> => ({
  "gen_ai.operation.name": "chat",
  "gen_ai.provider.name": provider,
  "gen_ai.system": provider,
  "gen_ai.request.model": model
})

/**
 * The attributes of a model call's span from its response: model, id, finish reasons and token counts
 * (GenAI semantic conventions). `finish_reasons` is an array; Effect's tracer turns it into its JSON text,
 * which the telemetry layer turns back into an array.
 *
 * @since 0.4.0
 * @category tracing
 */
export const responseSpanAttributes = (response: ModelResponse): Record<string, unknown> => ({
  "gen_ai.response.model": response.model,
  ...(response.responseId !== undefined ? { "gen_ai.response.id": response.responseId } : {}),
  "gen_ai.response.finish_reasons": [response.stopReason],
  "gen_ai.usage.input_tokens": response.usage.inputTokens,
  "gen_ai.usage.output_tokens": response.usage.outputTokens,
  "gen_ai.usage.cache_read.input_tokens": response.usage.cachedInputTokens,
  "gen_ai.usage.cache_creation.input_tokens": response.usage.cacheCreationInputTokens
})
