/**
 * What the two OpenAI providers (Chat Completions and Responses) share: the client, the label, the
 * reasoning-model rule and usage decoding.
 */
import type OpenAI from "openai"
import * as Effect from "effect/Effect"
import { ConfigError } from "../../kernel/Errors.js"
import type { ModelUsage } from "../../kernel/Transcript.js"
import {
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_TIMEOUT_MS,
  openAiBaseUrl,
  type ProviderOptions,
  resolveApiKey,
  validate
} from "./options.js"
import * as Sdk from "./sdk.js"
import type { TransportContext } from "./transport.js"

/**
 * Sent as the bearer token to OpenAI-compatible servers that need no key (the SDK insists on one).
 *
 * @since 0.1.0
 * @category constants
 */
export const PLACEHOLDER_API_KEY = "sk-no-key-required"

/**
 * Models that take `max_completion_tokens` and no sampling parameters.
 *
 * @since 0.1.0
 * @category constants
 */
export const REASONING_MODEL = /^(o\d+(-.*)?|gpt-5.*thinking.*)$/

/**
 * Whether `options` designate a reasoning model (the regex, or `reasoningModel: true`).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isReasoningModel = (options: ProviderOptions): boolean =>
  options.reasoningModel ?? REASONING_MODEL.test(options.model)

/**
 * A built client with the context its errors are classified in.
 *
 * @since 0.1.0
 * @category models
 */
export interface OpenAiSetup {
  readonly client: OpenAI
  readonly ctx: TransportContext
  readonly provider: string
  readonly reasoning: boolean
}

/**
 * Validates the options, resolves the key (optional for `openai_compatible`), loads the `openai`
 * package (on first use) and builds the SDK client: no SDK retries, `timeout` = time to headers, extra
 * headers on every request.
  *
  * @since 0.1.0
  * @category constructors
 */
export const setup = (options: ProviderOptions): Effect.Effect<OpenAiSetup, ConfigError> =>
  Effect.gen(function* () {
    yield* validate(options, "openai")
    const provider = options.provider ?? "openai"
    if (provider !== "openai" && provider !== "openai_compatible") {
      return yield* Effect.fail(
        ConfigError.single("llm.provider", `must be 'openai' or 'openai_compatible' (got '${String(provider)}')`)
      )
    }
    const { key, env } = yield* resolveApiKey(options, "OPENAI_API_KEY", provider === "openai_compatible")
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    const baseURL = openAiBaseUrl(options.baseUrl)
    const sdk = yield* Sdk.openAi
    const client = yield* Effect.try({
      try: () =>
        new sdk.OpenAI({
          apiKey: key ?? PLACEHOLDER_API_KEY,
          ...(baseURL !== undefined ? { baseURL } : {}),
          timeout: timeoutMs,
          maxRetries: 0,
          ...(options.extraHeaders ? { defaultHeaders: { ...options.extraHeaders } } : {})
        }),
      catch: (e) => ConfigError.single("llm", `cannot create the OpenAI client: ${(e as Error).message}`)
    })
    return {
      client,
      provider,
      reasoning: isReasoningModel(options),
      ctx: {
        provider,
        apiKeyEnv: env,
        timeoutMs,
        idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS
      }
    }
  })

/**
 * Chat Completions usage: `prompt_tokens` already counts the cached tokens.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeChatUsage = (
  u:
    | {
        readonly prompt_tokens?: number | null
        readonly completion_tokens?: number | null
        readonly prompt_tokens_details?: { readonly cached_tokens?: number | null; readonly cache_write_tokens?: number | null } | null
        readonly completion_tokens_details?: { readonly reasoning_tokens?: number | null } | null
      }
    | null
    | undefined
): ModelUsage => ({
  inputTokens: u?.prompt_tokens ?? 0,
  outputTokens: u?.completion_tokens ?? 0,
  cachedInputTokens: u?.prompt_tokens_details?.cached_tokens ?? 0,
  cacheCreationInputTokens: u?.prompt_tokens_details?.cache_write_tokens ?? 0,
  reasoningTokens: u?.completion_tokens_details?.reasoning_tokens ?? 0
})

/**
 * Responses usage: `input_tokens` already counts the cached tokens.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeResponsesUsage = (
  u:
    | {
        readonly input_tokens?: number | null
        readonly output_tokens?: number | null
        readonly input_tokens_details?: { readonly cached_tokens?: number | null; readonly cache_write_tokens?: number | null } | null
        readonly output_tokens_details?: { readonly reasoning_tokens?: number | null } | null
      }
    | null
    | undefined
): ModelUsage => ({
  inputTokens: u?.input_tokens ?? 0,
  outputTokens: u?.output_tokens ?? 0,
  cachedInputTokens: u?.input_tokens_details?.cached_tokens ?? 0,
  cacheCreationInputTokens: u?.input_tokens_details?.cache_write_tokens ?? 0,
  reasoningTokens: u?.output_tokens_details?.reasoning_tokens ?? 0
})

/**
 * A `json_schema` name from the schema's title (letters, digits, `_`, `-`; at most 64), else `response`.
 *
 * @since 0.1.0
 * @category encoding
 */
export const schemaName = (schema: Record<string, unknown>): string => {
  const title = typeof schema["title"] === "string" ? schema["title"].replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64) : ""
  return title !== "" ? title : "response"
}

/**
 * A plain object, or undefined.
 *
 * @since 0.1.0
 * @category utils
 */
export const record = (u: unknown): Record<string, unknown> | undefined =>
  typeof u === "object" && u !== null && !Array.isArray(u) ? (u as Record<string, unknown>) : undefined
