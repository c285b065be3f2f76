/**
 * The language model seam. A provider is a Layer of {@link LanguageModel}: swap the Layer to swap the
 * provider. Providers never retry on their own (the runtime owns retries, see `ProviderRetry`), and their
 * effects and streams are interruptible: interrupting them aborts the HTTP request.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Stream from "effect/Stream"
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
}

/**
 * The language model used by an agent.
 *
 * @since 0.1.0
 * @category tags
 */
export class LanguageModel extends Context.Tag("openagents/LanguageModel")<LanguageModel, Service>() {}
