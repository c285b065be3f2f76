/**
 * Options shared by the SDK-backed providers, their validation, and API key resolution.
 */
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { ConfigError, ConfigIssue } from "../../kernel/Errors.js"
import type { Pricing } from "../Pricing.js"

/**
 * The options every SDK-backed provider accepts (camelCase forms of the `llm` config keys).
 *
 * @since 0.1.0
 * @category models
 */
export interface ProviderOptions {
  /** Model id sent to the provider (`llm.model`). */
  readonly model: string
  /** The API key itself; wins over `apiKeyEnv`. */
  readonly apiKey?: string | undefined
  /** Environment variable holding the API key (default `ANTHROPIC_API_KEY` / `OPENAI_API_KEY`). */
  readonly apiKeyEnv?: string | undefined
  /** Base URL (`llm.api_base`): the bare origin for Anthropic, the URL with `/v1` for OpenAI. */
  readonly baseUrl?: string | undefined
  /** Sampling temperature (OpenAI non-reasoning models only; never sent to Anthropic). */
  readonly temperature?: number | undefined
  /** Output token limit when the request sets none. */
  readonly maxTokens?: number | undefined
  /** Time to response headers, in ms (default 30 000). */
  readonly timeoutMs?: number | undefined
  /** Longest silence allowed between stream events or body bytes, in ms (default 20 000). */
  readonly idleTimeoutMs?: number | undefined
  /** Headers added to every request. */
  readonly extraHeaders?: Readonly<Record<string, string>> | undefined
  /** Overrides of the built-in price table, field by field (USD per million tokens). */
  readonly pricing?: Partial<Pricing> | undefined
  /** Treat the model as a reasoning model (OpenAI): `max_completion_tokens`, no temperature. */
  readonly reasoningModel?: boolean | undefined
  /** OpenAI `seed`. */
  readonly seed?: number | undefined
  /** OpenAI `top_p` (never sent to Anthropic). */
  readonly topP?: number | undefined
  /** OpenAI `parallel_tool_calls`; Anthropic `disable_parallel_tool_use` when false. */
  readonly parallelToolCalls?: boolean | undefined
  /** Anthropic extended thinking with a token budget (at least 1024). */
  readonly thinking?: { readonly budgetTokens: number } | undefined
  /** OpenAI reasoning effort (reasoning models); Anthropic `output_config.effort`. */
  readonly reasoningEffort?: "low" | "medium" | "high" | undefined
  /** Label used in errors and usage by the OpenAI modules (default `openai`). */
  readonly provider?: "openai" | "openai_compatible" | undefined
}

/**
 * Default time to response headers (`timeout_ms`).
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_TIMEOUT_MS = 30_000

/**
 * Default longest silence of a body or a stream (`idle_timeout_ms`). Shorter than the runtime's default
 * `step_timeout_ms` (30 s), which bounds a model call with its retries: with 60 s the step timer always
 * ended a stalled call first, as a `timeout` with no word of the stall, and the watchdog never fired.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_IDLE_TIMEOUT_MS = 20_000

const positiveInt = (n: unknown) => typeof n === "number" && Number.isInteger(n) && n > 0

/**
 * Checks the options; every problem is reported, each under its `llm.*` config key.
 *
 * @since 0.1.0
 * @category validation
 */
export const validate = (options: ProviderOptions, family: "anthropic" | "openai"): Effect.Effect<void, ConfigError> => {
  const issues: Array<ConfigIssue> = []
  const issue = (path: string, message: string, hint?: string) =>
    issues.push(new ConfigIssue({ path: `llm.${path}`, message, ...(hint ? { hint } : {}) }))
  if (typeof options.model !== "string" || options.model.trim() === "") issue("model", "must be a non-empty model id")
  if (options.timeoutMs !== undefined && !positiveInt(options.timeoutMs)) {
    issue("timeout_ms", `must be a positive integer (got ${String(options.timeoutMs)})`)
  }
  if (options.idleTimeoutMs !== undefined && !positiveInt(options.idleTimeoutMs)) {
    issue("idle_timeout_ms", `must be a positive integer (got ${String(options.idleTimeoutMs)})`)
  }
  if (options.maxTokens !== undefined && !positiveInt(options.maxTokens)) {
    issue("max_tokens", `must be a positive integer (got ${String(options.maxTokens)})`)
  }
  if (options.temperature !== undefined && !(options.temperature >= 0 && options.temperature <= 2)) {
    issue("temperature", `must be between 0 and 2 (got ${String(options.temperature)})`)
  }
  if (options.topP !== undefined && !(options.topP > 0 && options.topP <= 1)) {
    issue("top_p", `must be in (0, 1] (got ${String(options.topP)})`)
  }
  if (options.seed !== undefined && !Number.isInteger(options.seed)) issue("seed", "must be an integer")
  if (options.baseUrl !== undefined) {
    try {
      const url = new URL(options.baseUrl)
      if (url.protocol !== "http:" && url.protocol !== "https:") issue("api_base", `must be an http(s) URL (got ${options.baseUrl})`)
    } catch {
      issue("api_base", `is not a valid URL: '${options.baseUrl}'`)
    }
  }
  if (options.thinking !== undefined) {
    if (family !== "anthropic") {
      issue("thinking", "is an Anthropic option", "use reasoning_effort with OpenAI reasoning models")
    } else if (!positiveInt(options.thinking.budgetTokens) || options.thinking.budgetTokens < 1024) {
      issue("thinking.budget_tokens", `must be an integer of at least 1024 (got ${String(options.thinking.budgetTokens)})`)
    } else if (options.maxTokens !== undefined && options.maxTokens <= options.thinking.budgetTokens) {
      issue(
        "max_tokens",
        `must be larger than thinking.budget_tokens (${options.thinking.budgetTokens}), got ${options.maxTokens}`,
        "max_tokens counts the thinking budget and the answer"
      )
    }
  }
  if (options.reasoningEffort !== undefined && !["low", "medium", "high"].includes(options.reasoningEffort)) {
    issue("reasoning_effort", `must be low, medium or high (got ${String(options.reasoningEffort)})`)
  }
  return issues.length === 0 ? Effect.void : Effect.fail(ConfigError.fromIssues(issues))
}

/**
 * The API key: `apiKey`, else the environment variable `apiKeyEnv` (read through Effect's `Config`, so a
 * `ConfigProvider` can supply it). A missing key is a `ConfigError` naming the variable, unless
 * `optional` (OpenAI-compatible local servers need none), which yields undefined.
  *
  * @since 0.1.0
  * @category constructors
 */
export const resolveApiKey = (
  options: ProviderOptions,
  defaultEnv: string,
  optional: boolean
): Effect.Effect<{ readonly key: string | undefined; readonly env: string }, ConfigError> => {
  const env = options.apiKeyEnv ?? defaultEnv
  if (options.apiKey !== undefined && options.apiKey !== "") return Effect.succeed({ key: options.apiKey, env })
  return Config.option(Config.string(env)).pipe(
    Effect.orElseSucceed(() => Option.none<string>()),
    Effect.flatMap((value) => {
      const key = Option.getOrUndefined(Option.filter(value, (v) => v.trim() !== ""))
      if (key !== undefined || optional) return Effect.succeed({ key, env })
      return Effect.fail(
        ConfigError.single("llm.api_key_env", `no API key: the environment variable ${env} is not set`, {
          hint: `export ${env}=... or set llm.api_key_env to the variable that holds the key`
        })
      )
    })
  )
}

/**
 * Anthropic's base URL is the bare origin (the SDK adds `/v1/messages`): a trailing `/v1` is dropped.
 *
 * @since 0.1.0
 * @category utils
 */
export const anthropicBaseUrl = (baseUrl: string | undefined): string | undefined =>
  baseUrl === undefined ? undefined : baseUrl.replace(/\/+$/, "").replace(/\/v1$/, "")

/**
 * OpenAI's base URL includes `/v1` (the SDK adds `/chat/completions`): a bare origin gets `/v1`.
 *
 * @since 0.1.0
 * @category utils
 */
export const openAiBaseUrl = (baseUrl: string | undefined): string | undefined => {
  if (baseUrl === undefined) return undefined
  const trimmed = baseUrl.replace(/\/+$/, "")
  try {
    const url = new URL(trimmed)
    if (url.pathname === "" || url.pathname === "/") return `${trimmed}/v1`
  } catch {
    // validated before
  }
  return trimmed
}
