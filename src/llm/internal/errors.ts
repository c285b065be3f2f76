/**
 * One classification of provider failures into kernel errors, shared by the Anthropic, OpenAI Chat
 * Completions and OpenAI Responses providers. Everything an SDK can throw (status errors, connection
 * errors, timeouts, mid-stream error events, raw socket errors, JSON syntax errors) ends here.
 *
 * The SDKs are not imported here: they are loaded on first use of a provider (see `sdk.ts`), which
 * registers its error classes with {@link registerSdkErrors}. A run on the mock loads neither SDK.
 */
import {
  type LlmError,
  LlmAuth,
  LlmConnection,
  LlmInvalidRequest,
  LlmOverloaded,
  LlmRateLimited,
  LlmTimeout
} from "../../kernel/Errors.js"

/**
 * What a classification needs to know about the provider it speaks for.
 *
 * @since 0.1.0
 * @category models
 */
export interface ErrorContext {
  /** The provider label (`anthropic`, `openai`, `openai_compatible`). */
  readonly provider: string
  /** The env var the API key is read from, named in auth hints. */
  readonly apiKeyEnv: string
  /** The SDK's header timeout, reported on `LlmTimeout`. */
  readonly timeoutMs: number
}

type HeadersLike = { get(name: string): string | null } | undefined

/**
 * The delay a server asked for: `retry-after-ms` (milliseconds, float) wins over `retry-after`
 * (delta-seconds or an HTTP date, measured from `nowMs`). A past date gives 0.
  *
  * @since 0.1.0
  * @category decoding
 */
export const retryAfterMs = (headers: HeadersLike, nowMs: number): number | undefined => {
  if (!headers || typeof headers.get !== "function") return undefined
  const ms = headers.get("retry-after-ms")
  if (ms !== null && ms.trim() !== "") {
    const n = Number(ms)
    if (Number.isFinite(n) && n >= 0) return Math.ceil(n)
  }
  const ra = headers.get("retry-after")
  if (ra !== null && ra.trim() !== "") {
    const trimmed = ra.trim()
    if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed) * 1000)
    const date = Date.parse(trimmed)
    if (Number.isFinite(date)) return Math.max(0, date - nowMs)
  }
  return undefined
}

const CONTEXT_LENGTH =
  /context[ _-]?(length|window)|maximum context|prompt is too long|too many tokens|context_length_exceeded|input is too long|exceeds? the (model's )?(maximum|max)/i

const contextHint =
  "The conversation is longer than the model's context length: shorten the history (a context assembler " +
  "with a smaller window), lower max_tokens, or use a model with a larger context window."

const authHint = (ctx: ErrorContext) =>
  `Check the API key in the environment variable ${ctx.apiKeyEnv} (or llm.api_key_env): it was rejected by ${ctx.provider}.`

const quotaHint = (ctx: ErrorContext) =>
  `The account behind ${ctx.apiKeyEnv} has no quota or credit left at ${ctx.provider}; retrying will not help.`

const asRecord = (u: unknown): Record<string, unknown> | undefined =>
  typeof u === "object" && u !== null ? (u as Record<string, unknown>) : undefined

const str = (u: unknown): string | undefined => (typeof u === "string" && u !== "" ? u : undefined)

/** The provider's own words and codes, from either SDK's error shapes. */
interface Detail {
  readonly message: string
  /** Anthropic `error.type`, OpenAI `error.type`. */
  readonly type: string | undefined
  /** OpenAI `error.code`, Anthropic `error.details.error_code`. */
  readonly code: string | undefined
}

const detailOf = (error: { readonly error?: unknown; readonly message: string }): Detail => {
  // Anthropic: error = whole body {type:"error", error:{type, message, details}}.
  // OpenAI: error = body.error {message, type, code, param}.
  const body = asRecord(error.error)
  const inner = asRecord(body?.["error"])
  const source = inner ?? body
  const details = asRecord(source?.["details"])
  const message = str(source?.["message"]) ?? str(body?.["message"]) ?? stripStatus(error.message)
  return {
    message,
    type: str(source?.["type"]) ?? (str((error as { type?: unknown }).type) as string | undefined),
    code:
      str(source?.["code"]) ??
      str(details?.["error_code"]) ??
      (str((error as { code?: unknown }).code) as string | undefined) ??
      (str((error as { errorCode?: unknown }).errorCode) as string | undefined)
  }
}

const stripStatus = (message: string): string => message.replace(/^\d{3} /, "")

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ErrorClass = abstract new (...args: any) => Error

/**
 * The error classes of one SDK (the `openai` and `@anthropic-ai/sdk` modules have this shape).
 *
 * @since 0.2.0
 * @category models
 */
export interface SdkErrors {
  /** The SDK's base error (`AnthropicError`, `OpenAIError`). */
  readonly base: ErrorClass
  readonly APIError: ErrorClass
  readonly APIConnectionError: ErrorClass
  readonly APIConnectionTimeoutError: ErrorClass
}

const sdks: Array<SdkErrors> = []

/**
 * Makes `classify` recognise an SDK's errors; called once by the loader of each SDK.
 *
 * @since 0.2.0
 * @category errors
 */
export const registerSdkErrors = (errors: SdkErrors): void => {
  if (!sdks.some((s) => s.APIError === errors.APIError)) sdks.push(errors)
}

const isA = (e: unknown, pick: (s: SdkErrors) => ErrorClass): boolean => {
  for (const s of sdks) if (e instanceof pick(s)) return true
  return false
}

interface SdkApiError {
  readonly status?: number | undefined
  readonly headers?: HeadersLike
  readonly error?: unknown
  readonly message: string
}

const isApiError = (e: unknown): e is SdkApiError => isA(e, (s) => s.APIError)

const isTimeoutError = (e: unknown): boolean => isA(e, (s) => s.APIConnectionTimeoutError)

const isConnectionError = (e: unknown): boolean => isA(e, (s) => s.APIConnectionError)

const CONNECTION_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT"
])

const CONNECTION_TEXT = /socket hang up|other side closed|terminated|fetch failed|network|ECONNRESET|ECONNREFUSED|connection (reset|refused|closed|error)|premature close/i

/** Walks `cause` chains: undici wraps socket errors in `TypeError("fetch failed" | "terminated")`. */
const causes = (e: unknown): Array<unknown> => {
  const out: Array<unknown> = []
  let current: unknown = e
  for (let i = 0; i < 6 && current !== undefined && current !== null; i++) {
    out.push(current)
    current = (current as { cause?: unknown }).cause
  }
  return out
}

const describe = (e: unknown): string =>
  causes(e)
    .map((c) => (c instanceof Error ? c.message : typeof c === "string" ? c : JSON.stringify(c)))
    .filter((m) => m && m.length > 0)
    .join(": ")

const looksLikeConnectionFailure = (e: unknown): boolean =>
  causes(e).some((c) => {
    const code = asRecord(c)?.["code"]
    if (typeof code === "string" && CONNECTION_CODES.has(code)) return true
    return c instanceof Error && CONNECTION_TEXT.test(c.message)
  })

/** Maps an error `type` / `code` (HTTP body or stream event) to a kernel error, or undefined. */
const byType = (
  ctx: ErrorContext,
  detail: Detail,
  status: number | undefined,
  retryAfter: number | undefined
): LlmError | undefined => {
  const base = { provider: ctx.provider, ...(status !== undefined ? { status } : {}) }
  const t = `${detail.type ?? ""} ${detail.code ?? ""}`
  const message = `${ctx.provider}${status !== undefined ? ` HTTP ${status}` : " stream error"}: ${detail.message}`
  const after = retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}
  if (/insufficient_quota|billing_error|credit/.test(t)) return new LlmAuth({ ...base, message, hint: quotaHint(ctx) })
  if (/overloaded/.test(t)) return new LlmOverloaded({ ...base, message, ...after })
  if (/rate_limit/.test(t)) return new LlmRateLimited({ ...base, message, ...after })
  if (/authentication_error|permission_error|invalid_api_key/.test(t)) {
    return new LlmAuth({ ...base, message, hint: authHint(ctx) })
  }
  if (/context_length_exceeded/.test(t) || (/invalid_request/.test(t) && CONTEXT_LENGTH.test(detail.message))) {
    return new LlmInvalidRequest({ ...base, message, hint: contextHint })
  }
  if (/invalid_request|not_found_error|request_too_large/.test(t)) return new LlmInvalidRequest({ ...base, message })
  if (/api_error|server_error|timeout_error|internal/.test(t)) return new LlmConnection({ ...base, message })
  return undefined
}

const byStatus = (ctx: ErrorContext, detail: Detail, status: number, retryAfter: number | undefined): LlmError => {
  const base = { provider: ctx.provider, status }
  const message = `${ctx.provider} HTTP ${status}: ${detail.message}`
  const after = retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}
  const t = `${detail.type ?? ""} ${detail.code ?? ""}`
  if (status === 429) {
    if (/insufficient_quota/.test(t)) return new LlmAuth({ ...base, message, hint: quotaHint(ctx) })
    return new LlmRateLimited({ ...base, message, ...after })
  }
  if (status === 529 || /overloaded/.test(t)) return new LlmOverloaded({ ...base, message, ...after })
  // A 503 may say when to come back (`retry-after`): kept, ProviderRetry honours it.
  if (status === 408 || status === 409 || status >= 500) return new LlmConnection({ ...base, message, ...after })
  if (status === 401 || status === 403) return new LlmAuth({ ...base, message, hint: authHint(ctx) })
  if (status === 402) return new LlmAuth({ ...base, message, hint: quotaHint(ctx) })
  if (CONTEXT_LENGTH.test(detail.message) || /context_length_exceeded/.test(t)) {
    return new LlmInvalidRequest({ ...base, message, hint: contextHint })
  }
  if (status === 404) {
    return new LlmInvalidRequest({
      ...base,
      message,
      hint: "Check the model id and api_base: the endpoint or the model was not found."
    })
  }
  // 400, 413, 422 and every other 4xx: the request itself is wrong, retrying it will not help.
  return new LlmInvalidRequest({ ...base, message })
}

/**
 * Classifies anything an SDK call or an SDK stream iteration threw. `nowMs` (from the Effect clock)
 * resolves an HTTP-date `retry-after`.
  *
  * @since 0.1.0
  * @category errors
 */
export const classify = (ctx: ErrorContext, error: unknown, nowMs: number): LlmError => {
  if (isKernelError(error)) return error
  if (isTimeoutError(error)) {
    return new LlmTimeout({
      provider: ctx.provider,
      message: `${ctx.provider}: no response headers within ${ctx.timeoutMs} ms (timeout_ms)`,
      timeoutMs: ctx.timeoutMs
    })
  }
  if (isConnectionError(error)) {
    return new LlmConnection({ provider: ctx.provider, message: `${ctx.provider}: connection failed: ${describe(error)}` })
  }
  if (isApiError(error)) {
    const status = typeof error.status === "number" ? error.status : undefined
    const detail = detailOf(error)
    const retryAfter = retryAfterMs(error.headers, nowMs)
    if (status !== undefined) return byStatus(ctx, detail, status, retryAfter)
    // No status: an error event in the middle of a 200 stream.
    return (
      byType(ctx, detail, undefined, retryAfter) ??
      new LlmConnection({ provider: ctx.provider, message: `${ctx.provider} stream error: ${detail.message}` })
    )
  }
  if (error instanceof SyntaxError) {
    return invalidResponse(ctx, `could not parse the response: ${error.message}`)
  }
  if (looksLikeConnectionFailure(error)) {
    return new LlmConnection({ provider: ctx.provider, message: `${ctx.provider}: connection lost: ${describe(error)}` })
  }
  if (isA(error, (s) => s.base)) {
    // SDK-side checks (event order, missing fields): the response did not make sense.
    return invalidResponse(ctx, describe(error))
  }
  return new LlmConnection({ provider: ctx.provider, message: `${ctx.provider}: request failed: ${describe(error)}` })
}

/**
 * Classifies an error reported inside a successful HTTP exchange: an OpenAI Responses `error` event or
 * a `response.failed` payload (`{code, message}`).
  *
  * @since 0.1.0
  * @category errors
 */
export const classifyEvent = (
  ctx: ErrorContext,
  event: { readonly code?: string | null | undefined; readonly type?: string | null | undefined; readonly message?: string | null | undefined }
): LlmError => {
  const detail: Detail = {
    message: event.message ?? "unknown error",
    type: event.type ?? undefined,
    code: event.code ?? undefined
  }
  return (
    byType(ctx, detail, undefined, undefined) ??
    new LlmConnection({ provider: ctx.provider, message: `${ctx.provider} stream error: ${detail.message}` })
  )
}

/**
 * A response that arrived whole but cannot be understood: permanent.
 *
 * @since 0.1.0
 * @category errors
 */
export const invalidResponse = (ctx: ErrorContext, what: string): LlmInvalidRequest =>
  new LlmInvalidRequest({
    provider: ctx.provider,
    message: `${ctx.provider}: malformed response: ${what}`,
    hint: "The server did not answer in the provider's wire format; check api_base (and openai_api_style)."
  })

/**
 * A response that ended before it was complete: the connection is to blame, retrying may help.
 *
 * @since 0.1.0
 * @category errors
 */
export const truncated = (ctx: ErrorContext, what: string): LlmConnection =>
  new LlmConnection({ provider: ctx.provider, message: `${ctx.provider}: response truncated: ${what}` })

/**
 * The watchdog fired: nothing arrived for `idleMs`.
 *
 * @since 0.1.0
 * @category errors
 */
export const idleTimeout = (ctx: ErrorContext, idleMs: number, what: string): LlmTimeout =>
  new LlmTimeout({
    provider: ctx.provider,
    message: `${ctx.provider}: no data for ${idleMs} ms while ${what} (idle_timeout_ms); the request was aborted`,
    timeoutMs: idleMs
  })

const KERNEL_TAGS = new Set(["LlmRateLimited", "LlmOverloaded", "LlmConnection", "LlmTimeout", "LlmInvalidRequest", "LlmAuth"])

const isKernelError = (e: unknown): e is LlmError =>
  typeof e === "object" && e !== null && KERNEL_TAGS.has((e as { _tag?: unknown })._tag as string)
