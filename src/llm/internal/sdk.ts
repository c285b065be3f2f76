/**
 * The provider SDKs, loaded on first use: a process that never builds an SDK-backed provider (a mock
 * run, `openagents validate`) loads neither `openai` nor `@anthropic-ai/sdk` (nor the OpenTelemetry
 * API the Anthropic SDK pulls in): about 450 modules less at start-up. `import()` caches the module, so
 * only the first provider Layer built pays for it.
 */
import * as Effect from "effect/Effect"
import { ConfigError } from "../../kernel/Errors.js"
import { registerSdkErrors } from "./errors.js"

/**
 * The `openai` module.
 *
 * @since 0.2.0
 * @category models
 */
export type OpenAiSdk = typeof import("openai")

/**
 * The `@anthropic-ai/sdk` module.
 *
 * @since 0.2.0
 * @category models
 */
export type AnthropicSdk = typeof import("@anthropic-ai/sdk")

const load = <A>(name: string, f: () => Promise<A>): Effect.Effect<A, ConfigError> =>
  Effect.tryPromise({
    try: f,
    catch: (e) =>
      ConfigError.single("llm.provider", `cannot load the ${name} package: ${(e as Error).message}`, {
        hint: `install it: npm install ${name}`
      })
  })

/**
 * Loads `openai` and registers its error classes for classification.
 *
 * @since 0.2.0
 * @category constructors
 */
export const openAi: Effect.Effect<OpenAiSdk, ConfigError> = load("openai", () => import("openai")).pipe(
  Effect.tap((sdk) =>
    registerSdkErrors({
      base: sdk.OpenAIError,
      APIError: sdk.APIError,
      APIConnectionError: sdk.APIConnectionError,
      APIConnectionTimeoutError: sdk.APIConnectionTimeoutError
    })
  )
)

/**
 * Loads `@anthropic-ai/sdk` and registers its error classes for classification.
 *
 * @since 0.2.0
 * @category constructors
 */
export const anthropic: Effect.Effect<AnthropicSdk, ConfigError> = load("@anthropic-ai/sdk", () => import("@anthropic-ai/sdk")).pipe(
  Effect.tap((sdk) =>
    registerSdkErrors({
      base: sdk.AnthropicError,
      APIError: sdk.APIError,
      APIConnectionError: sdk.APIConnectionError,
      APIConnectionTimeoutError: sdk.APIConnectionTimeoutError
    })
  )
)
