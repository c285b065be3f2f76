/**
 * The error classification shared by the three providers, on the SDKs' own error objects.
 */
import * as AnthropicSdk from "@anthropic-ai/sdk"
import { assert, describe, it } from "@effect/vitest"
import * as OpenAiSdk from "openai"
import { classify, classifyEvent, registerSdkErrors, retryAfterMs } from "../../src/llm/internal/errors.js"

// What the SDK loaders do on first use of a provider.
registerSdkErrors({ base: AnthropicSdk.AnthropicError, ...AnthropicSdk })
registerSdkErrors({ base: OpenAiSdk.OpenAIError, ...OpenAiSdk })

const ctx = { provider: "anthropic", apiKeyEnv: "ANTHROPIC_API_KEY", timeoutMs: 30_000 }
const octx = { provider: "openai", apiKeyEnv: "OPENAI_API_KEY", timeoutMs: 30_000 }

const anthropicError = (status: number, type: string, message: string, headers: Record<string, string> = {}) =>
  AnthropicSdk.APIError.generate(status, { type: "error", error: { type, message } }, undefined, new Headers(headers))

const openAiError = (status: number, error: Record<string, unknown>, headers: Record<string, string> = {}) =>
  OpenAiSdk.APIError.generate(status, { error }, undefined, new Headers(headers))

describe("retryAfterMs", () => {
  const h = (o: Record<string, string>) => new Headers(o)
  it("retry-after-ms wins, retry-after in seconds or as an HTTP date, garbage ignored", () => {
    assert.strictEqual(retryAfterMs(h({ "retry-after-ms": "250", "retry-after": "9" }), 0), 250)
    assert.strictEqual(retryAfterMs(h({ "retry-after-ms": "12.5" }), 0), 13)
    assert.strictEqual(retryAfterMs(h({ "retry-after": "3" }), 0), 3000)
    assert.strictEqual(retryAfterMs(h({ "retry-after": "1.5" }), 0), 1500)
    const now = Date.UTC(2026, 0, 1, 12, 0, 0)
    assert.strictEqual(retryAfterMs(h({ "retry-after": "Thu, 01 Jan 2026 12:00:07 GMT" }), now), 7000)
    assert.strictEqual(retryAfterMs(h({ "retry-after": "Thu, 01 Jan 2026 11:00:00 GMT" }), now), 0, "a past date")
    assert.isUndefined(retryAfterMs(h({ "retry-after": "soon" }), now))
    assert.isUndefined(retryAfterMs(h({}), now))
    assert.isUndefined(retryAfterMs(undefined, now))
  })
})

describe("classify: HTTP statuses", () => {
  const cases: ReadonlyArray<[number, string, string]> = [
    [400, "invalid_request_error", "LlmInvalidRequest"],
    [401, "authentication_error", "LlmAuth"],
    [402, "billing_error", "LlmAuth"],
    [403, "permission_error", "LlmAuth"],
    [404, "not_found_error", "LlmInvalidRequest"],
    [408, "timeout_error", "LlmConnection"],
    [409, "conflict_error", "LlmConnection"],
    [413, "request_too_large", "LlmInvalidRequest"],
    [422, "invalid_request_error", "LlmInvalidRequest"],
    [429, "rate_limit_error", "LlmRateLimited"],
    [500, "api_error", "LlmConnection"],
    [502, "api_error", "LlmConnection"],
    [503, "api_error", "LlmConnection"],
    [504, "timeout_error", "LlmConnection"],
    [529, "overloaded_error", "LlmOverloaded"]
  ]
  for (const [status, type, tag] of cases) {
    it(`${status} ${type} -> ${tag}`, () => {
      const e = classify(ctx, anthropicError(status, type, `boom ${status}`), 0)
      assert.strictEqual(e._tag, tag)
      assert.strictEqual(e.status, status)
      assert.strictEqual(e.provider, "anthropic")
      assert.include(e.message, `boom ${status}`)
      assert.include(e.message, String(status))
    })
  }

  it("401/403 hints name the key's env var; 400 context length gets a hint", () => {
    assert.include(classify(octx, openAiError(401, { message: "Incorrect API key", code: "invalid_api_key" }), 0).hint, "OPENAI_API_KEY")
    const long = classify(octx, openAiError(400, { message: "This model's maximum context length is 128000 tokens", code: "context_length_exceeded" }), 0)
    assert.strictEqual(long._tag, "LlmInvalidRequest")
    assert.include(long.hint, "context length")
  })

  it("429 insufficient_quota is not retryable (LlmAuth with a quota hint)", () => {
    const e = classify(octx, openAiError(429, { message: "You exceeded your current quota", type: "insufficient_quota", code: "insufficient_quota" }), 0)
    assert.strictEqual(e._tag, "LlmAuth")
    assert.isFalse(e.retryable)
    assert.include(e.hint, "quota")
  })

  it("retry-after on 429 and 529 becomes retryAfterMs", () => {
    const r = classify(ctx, anthropicError(429, "rate_limit_error", "slow down", { "retry-after": "4" }), 0)
    assert.strictEqual(r._tag === "LlmRateLimited" && r.retryAfterMs, 4000)
    const o = classify(ctx, anthropicError(529, "overloaded_error", "busy", { "retry-after-ms": "700" }), 0)
    assert.strictEqual(o._tag === "LlmOverloaded" && o.retryAfterMs, 700)
  })
})

describe("classify: no status", () => {
  it("Anthropic mid-stream error events by type", () => {
    const ev = (type: string) => new AnthropicSdk.APIError(undefined, { type: "error", error: { type, message: "m" } }, undefined, new Headers(), type as never)
    assert.strictEqual(classify(ctx, ev("overloaded_error"), 0)._tag, "LlmOverloaded")
    assert.strictEqual(classify(ctx, ev("rate_limit_error"), 0)._tag, "LlmRateLimited")
    assert.strictEqual(classify(ctx, ev("api_error"), 0)._tag, "LlmConnection")
    assert.strictEqual(classify(ctx, ev("invalid_request_error"), 0)._tag, "LlmInvalidRequest")
    assert.strictEqual(classify(ctx, ev("something_new"), 0)._tag, "LlmConnection")
  })

  it("OpenAI Responses error events and response.failed payloads by code", () => {
    assert.strictEqual(classifyEvent(octx, { code: "server_is_overloaded", message: "m" })._tag, "LlmOverloaded")
    assert.strictEqual(classifyEvent(octx, { code: "rate_limit_exceeded", message: "m" })._tag, "LlmRateLimited")
    assert.strictEqual(classifyEvent(octx, { code: "server_error", message: "m" })._tag, "LlmConnection")
    assert.strictEqual(classifyEvent(octx, { code: "context_length_exceeded", message: "too long" })._tag, "LlmInvalidRequest")
    assert.strictEqual(classifyEvent(octx, { code: null, message: "m" })._tag, "LlmConnection")
  })

  it("SDK timeouts -> LlmTimeout; connection errors, resets and hang-ups -> LlmConnection; syntax errors -> LlmInvalidRequest", () => {
    for (const e of [new AnthropicSdk.APIConnectionTimeoutError(), new OpenAiSdk.APIConnectionTimeoutError()]) {
      const c = classify(ctx, e, 0)
      assert.strictEqual(c._tag, "LlmTimeout")
      assert.strictEqual(c._tag === "LlmTimeout" && c.timeoutMs, 30_000)
    }
    const reset = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" })
    assert.strictEqual(classify(ctx, reset, 0)._tag, "LlmConnection")
    assert.strictEqual(classify(ctx, new Error("socket hang up"), 0)._tag, "LlmConnection")
    assert.strictEqual(classify(ctx, new TypeError("terminated", { cause: Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" }) }), 0)._tag, "LlmConnection")
    assert.strictEqual(classify(ctx, new OpenAiSdk.APIConnectionError({ message: "Connection error." }), 0)._tag, "LlmConnection")
    assert.strictEqual(classify(ctx, new SyntaxError("Unexpected token"), 0)._tag, "LlmInvalidRequest")
  })
})
