/**
 * The provider conformance suite: one function, run against every provider Layer (the mock through
 * its script, Anthropic, OpenAI Chat Completions, OpenAI Responses and `openai_compatible` through the
 * loopback wire server), with the same scenarios and the same expectations. Scenarios that cannot apply
 * to a target (the mock has no HTTP, no thinking) are skipped explicitly, with the reason in the name.
 *
 * It registers tests with the `describe` and `it` it is given (those of `@effect/vitest`), so that this
 * module loads without a test runner:
 *
 * ```ts
 * import { describe, it } from "@effect/vitest"
 * import { Conformance } from "openagents/testing"
 *
 * Conformance.run({ describe, it }, Conformance.httpTarget({ name: "my provider", protocol: "chat", ... }))
 * ```
 *
 * @since 0.2.0 */
import type * as Vitest from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import type { ConfigError, LlmError } from "../kernel/Errors.js"
import {
  type Message,
  type ModelRequest,
  type ModelResponse,
  type ModelStreamEvent,
  type ModelUsage,
  responseText,
  responseToolCalls,
  type ToolSpec
} from "../kernel/Transcript.js"
import { streamTo } from "../llm/LanguageModel.js"
import { LanguageModel as LanguageModelTag, type Service } from "../llm/LanguageModel.js"
import * as MockModel from "../llm/MockModel.js"
import * as Pricing from "../llm/Pricing.js"
import * as ProviderRetry from "../llm/ProviderRetry.js"
import * as assert from "./internal/assert.js"
import * as WireServer from "./WireServer.js"
import type { Protocol, RecordedRequest, Reply } from "./WireServer.js"
import { adjustUntilDone, awaitSleep, driveClock, eventually, realSleep } from "./Timing.js"

const { Wire } = WireServer

// ---------------------------------------------------------------------------------------------------------
// targets
// ---------------------------------------------------------------------------------------------------------

/**
 * Which options a scenario wants: plain, with thinking/reasoning enabled, or with a price to check.
 *
 * @since 0.1.0
 * @category models
 */
export type Variant = "default" | "reasoning" | "cost"

/**
 * A provider under test, scripted with wire replies.
 *
 * @since 0.1.0
 * @category models
 */
export interface Harness {
  readonly model: Service
  /** Requests the provider made (HTTP requests seen by the server; calls for the mock). */
  readonly calls: () => number
  /** The wire server, for HTTP targets. */
  readonly server: WireServer.WireServer | undefined
}

/**
 * A target of the suite.
 *
 * @since 0.1.0
 * @category models
 */
export interface Target {
  readonly name: string
  /** The wire protocol, or undefined for the mock. */
  readonly protocol: Protocol | undefined
  /** The provider label errors and the service carry. */
  readonly provider: string
  /** The env var an auth hint must name. */
  readonly apiKeyEnv: string
  /**
   * How the style handles reasoning: `signed` (Anthropic thinking + signature), `items` (Responses
   * reasoning items), `surfaced` (Chat: shown, never sent back), `none` (the mock).
   */
  readonly reasoning: "signed" | "items" | "surfaced" | "none"
  readonly setup: (replies: ReadonlyArray<Reply>, variant?: Variant) => Effect.Effect<Harness, ConfigError, Scope.Scope>
  /**
   * Usage and cost expected for {@link COST_REPLY}, computed by hand in the target's test file (the
   * layer's `"cost"` variant must carry a price); without it the cost scenario is skipped.
   */
  readonly cost?: { readonly usage: ModelUsage; readonly costUsd: number } | undefined
}

/**
 * Builds an HTTP target: a fresh wire server per test, the provider Layer pointed at it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const httpTarget = (spec: {
  readonly name: string
  readonly protocol: Protocol
  readonly provider: string
  readonly apiKeyEnv: string
  readonly reasoning: "signed" | "items" | "surfaced"
  readonly layer: (server: WireServer.WireServer, variant: Variant) => Layer.Layer<LanguageModelTag, ConfigError>
  readonly cost?: Target["cost"]
}): Target => ({
  ...spec,
  setup: (replies, variant = "default") =>
    Effect.gen(function* () {
      const server = yield* WireServer.make({ replies })
      const context = yield* Layer.build(spec.layer(server, variant))
      return { model: Context.get(context, LanguageModelTag), calls: () => server.requests.length, server }
    })
})

const retryAfterOf = (headers: Readonly<Record<string, string>> | undefined): number | undefined => {
  if (headers?.["retry-after-ms"] !== undefined) return Number(headers["retry-after-ms"])
  if (headers?.["retry-after"] !== undefined && /^\d+$/.test(headers["retry-after"])) return Number(headers["retry-after"]) * 1000
  return undefined
}

/** The mock's script step for a wire reply; undefined when the mock cannot play it. */
const mockStep = (reply: Reply): MockModel.MockStep | undefined => {
  switch (reply.kind) {
    case "message": {
      const text = reply.blocks.flatMap((b) => (b.type === "text" ? [b.text] : [])).join("")
      const toolCalls = reply.blocks.flatMap((b) =>
        b.type === "tool_call"
          ? [{ name: b.name, arguments: typeof b.arguments === "string" ? JSON.parse(b.arguments) : b.arguments }]
          : []
      )
      return {
        ...(text !== "" ? { text } : {}),
        ...(toolCalls.length > 0 ? { toolCalls } : {}),
        ...(reply.usage
          ? { usage: { inputTokens: reply.usage.input, outputTokens: reply.usage.output, cachedInputTokens: reply.usage.cachedRead ?? 0 } }
          : {})
      }
    }
    case "http_error": {
      const s = reply.status
      const kind: MockModel.MockErrorKind =
        s === 429 ? "rate_limit" : s === 529 ? "overloaded" : s === 401 || s === 403 ? "auth" : s >= 500 || s === 408 || s === 409 ? "connection" : "invalid_request"
      const retryAfterMs = retryAfterOf(reply.headers)
      return { error: { kind, message: reply.message, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) } }
    }
    case "drop":
      return reply.afterEvents === undefined ? { error: { kind: "connection", message: "connection dropped" } } : undefined
    default:
      return undefined
  }
}

/**
 * The mock as a target: wire replies become its script.
 *
 * @since 0.1.0
 * @category constructors
 */
export const mockTarget = (cost: Target["cost"], pricing: Pricing.Pricing): Target => ({
  name: "mock",
  protocol: undefined,
  provider: "mock",
  apiKeyEnv: "(none)",
  reasoning: "none",
  cost,
  setup: (replies, variant = "default") =>
    Effect.gen(function* () {
      const script = replies.map((r) => {
        const step = mockStep(r)
        if (!step) throw new Error(`the mock cannot play a '${r.kind}' reply`)
        return step
      })
      const context = yield* Layer.build(MockModel.layer({ script, ...(variant === "cost" ? { pricing } : {}) }))
      const inner = Context.get(context, LanguageModelTag)
      let calls = 0
      const model: Service = {
        ...inner,
        generate: (request) => Effect.suspend(() => (calls++, inner.generate(request))),
        stream: (request) => Stream.suspend(() => (calls++, inner.stream(request)))
      }
      return { model, calls: () => calls, server: undefined }
    })
})

// ---------------------------------------------------------------------------------------------------------
// shared fixtures
// ---------------------------------------------------------------------------------------------------------

/**
 * The scripted usage of the cost scenario: 1000 input tokens of which 600 read from and 100 written to the cache.
 *
 * @since 0.1.0
 * @category fixtures
 */
export const COST_USAGE = { input: 1000, output: 200, cachedRead: 600, cacheWrite: 100, reasoning: 50 } as const

/**
 * The reply of the cost scenario.
 *
 * @since 0.1.0
 * @category fixtures
 */
export const COST_REPLY = Wire.say("priced", COST_USAGE)

const calc: ToolSpec = {
  name: "calc",
  description: "Evaluates an arithmetic expression",
  parameters: { type: "object", properties: { expression: { type: "string" } }, required: ["expression"] }
}

const request = (messages: ReadonlyArray<Message>, extra?: Partial<ModelRequest>): ModelRequest => ({
  system: "You are terse.",
  messages,
  tools: [calc],
  ...extra
})

const user = (content: string): Message => ({ _tag: "user", content })

/**
 * How a scenario consumes a streamed response: the `stream` of the service, or the push form
 * `LanguageModel.streamTo` (the run loop's path: the provider's own `streamTo` when it has one).
 *
 * @since 0.2.0
 * @category models
 */
export type Via = "stream" | "streamTo"

/**
 * Runs `f` on each event of a streamed response, `Finished` last (after `streamTo` returned, on that path).
 *
 * @since 0.2.0
 * @category testing
 */
export const forEachEvent = <E>(
  model: Service,
  req: ModelRequest,
  via: Via,
  f: (event: ModelStreamEvent) => Effect.Effect<void, E>
): Effect.Effect<void, LlmError | E> =>
  via === "stream"
    ? Stream.runForEach(model.stream(req), f)
    : Effect.gen(function* () {
        // The callback cannot fail; a failure of `f` is carried out and raised after the call.
        let failed: { readonly error: E } | undefined
        const response = yield* streamTo(model, req, (delta) =>
          failed ? Effect.void : Effect.catchAll(f(delta), (error) => Effect.sync(() => void (failed = { error })))
        )
        if (failed) return yield* Effect.fail(failed.error)
        yield* f({ _tag: "Finished", response })
      })

/**
 * Collects a streamed response, checking that it ends with exactly one `Finished`, and returns events and response.
 *
 * @since 0.1.0
 * @category testing
 */
export const collect = (
  model: Service,
  req: ModelRequest,
  via: Via = "stream"
): Effect.Effect<{ events: ReadonlyArray<ModelStreamEvent>; response: ModelResponse }, LlmError> =>
  Effect.suspend(() => {
    const events: Array<ModelStreamEvent> = []
    return Effect.map(forEachEvent(model, req, via, (e) => Effect.sync(() => void events.push(e))), () => {
      const finished = events.filter((e) => e._tag === "Finished")
      assert.strictEqual(finished.length, 1, "exactly one Finished event")
      const last = events[events.length - 1]!
      assert.strictEqual(last._tag, "Finished", "Finished comes last")
      return { events, response: (last as Extract<ModelStreamEvent, { _tag: "Finished" }>).response }
    })
  })

type Mode = "generate" | "stream"

const call = (model: Service, req: ModelRequest, mode: Mode, via: Via): Effect.Effect<ModelResponse, LlmError> =>
  mode === "generate" ? model.generate(req) : Effect.map(collect(model, req, via), (r) => r.response)

const textOf = (events: ReadonlyArray<ModelStreamEvent>, tag: "TextDelta" | "ReasoningDelta") =>
  events.flatMap((e) => (e._tag === tag ? [e.text] : [])).join("")

/** The answer to a response's tool calls, appended after it. */
const answer = (response: ModelResponse, results: ReadonlyArray<{ content: string; isError?: boolean }>): Array<Message> => [
  { _tag: "assistant", content: response.content },
  ...responseToolCalls(response).map(
    (c, i): Message => ({
      _tag: "tool",
      toolCallId: c.id,
      toolName: c.name,
      content: results[i]?.content ?? "ok",
      isError: results[i]?.isError ?? false
    })
  )
]

const fast: ProviderRetry.RetryOptions = { ...ProviderRetry.defaults, maxAttempts: 3, initialBackoffMs: 500, maxBackoffMs: 5000 }

/**
 * How many SSE frames carry a message up to and including its first text delta: Anthropic
 * message_start, content_block_start, ping, delta; Chat the role chunk, delta; Responses created,
 * in_progress, output_item.added, content_part.added, delta.
 */
const firstDeltaFrames = (protocol: Protocol): number => ({ anthropic: 4, chat: 2, responses: 5 })[protocol]

const lastRequest = (h: Harness): RecordedRequest => {
  const r = h.server!.requests
  return r[r.length - 1]!
}

// ---------------------------------------------------------------------------------------------------------
// wire expectations per protocol
// ---------------------------------------------------------------------------------------------------------

/** What a second-round request must carry: the tool call and its result, in the protocol's shape. */
const assertToolRoundOnWire = (protocol: Protocol, body: any, callId: string, resultContent: string) => {
  switch (protocol) {
    case "anthropic": {
      assert.isUndefined(body.temperature)
      assert.strictEqual(body.system, "You are terse.")
      assert.deepStrictEqual(body.tools, [
        { name: "calc", description: calc.description, input_schema: { type: "object", ...calc.parameters } }
      ])
      assert.deepStrictEqual(body.messages, [
        { role: "user", content: "What is 6*7?" },
        {
          role: "assistant",
          content: [
            { type: "text", text: "Let me compute." },
            { type: "tool_use", id: callId, name: "calc", input: { expression: "6*7" } }
          ]
        },
        { role: "user", content: [{ type: "tool_result", tool_use_id: callId, content: resultContent, is_error: false }] }
      ])
      return
    }
    case "chat": {
      assert.deepStrictEqual(body.tools, [
        { type: "function", function: { name: "calc", description: calc.description, parameters: calc.parameters } }
      ])
      assert.deepStrictEqual(body.messages, [
        { role: "system", content: "You are terse." },
        { role: "user", content: "What is 6*7?" },
        {
          role: "assistant",
          content: "Let me compute.",
          tool_calls: [{ id: callId, type: "function", function: { name: "calc", arguments: '{"expression":"6*7"}' } }]
        },
        { role: "tool", tool_call_id: callId, content: resultContent }
      ])
      return
    }
    case "responses": {
      assert.strictEqual(body.instructions, "You are terse.")
      assert.strictEqual(body.store, false)
      assert.deepStrictEqual(body.tools, [
        { type: "function", name: "calc", description: calc.description, parameters: calc.parameters, strict: false }
      ])
      assert.deepStrictEqual(body.input, [
        { role: "user", content: "What is 6*7?" },
        { role: "assistant", content: "Let me compute." },
        { type: "function_call", call_id: callId, name: "calc", arguments: '{"expression":"6*7"}' },
        { type: "function_call_output", call_id: callId, output: resultContent }
      ])
      return
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// the suite
// ---------------------------------------------------------------------------------------------------------

/**
 * The test API the suite registers its tests with: `describe` and `it` of `@effect/vitest` (the suite
 * uses `it.scoped` and `it.scoped.skipIf`).
 *
 * @since 0.2.0
 * @category models
 */
export interface TestApi {
  readonly describe: typeof Vitest.describe
  readonly it: typeof Vitest.it
}

/**
 * Registers the conformance suite for `target` with `describe` and `it` of `@effect/vitest`: every
 * scenario twice, consuming streams through `stream` and through `LanguageModel.streamTo`.
 *
 * @since 0.2.0
 * @category suites
 */
export const run = (vitest: TestApi, target: Target): void => {
  suite(vitest, target, "stream")
  suite(vitest, target, "streamTo")
}

const suite = ({ describe, it }: TestApi, target: Target, via: Via): void => {
  const http = target.protocol !== undefined
  const protocol = target.protocol
  const noHttp = "[n/a: no HTTP]"

  describe(`conformance: ${target.name}${via === "streamTo" ? " (streamed via LanguageModel.streamTo)" : ""}`, () => {
    // ----- plain text and streaming ---------------------------------------------------------------------

    it.scoped("generate: plain text, stop reason, usage, provider label", () =>
      Effect.gen(function* () {
        const h = yield* target.setup([Wire.say("Hello from the wire.", { input: 12, output: 5 })])
        assert.strictEqual(h.model.provider, target.provider)
        const response = yield* h.model.generate(request([user("Hi")], { tools: [] }))
        assert.strictEqual(responseText(response), "Hello from the wire.")
        assert.strictEqual(response.stopReason, "end_turn")
        assert.strictEqual(response.usage.inputTokens, 12)
        assert.strictEqual(response.usage.outputTokens, 5)
        assert.strictEqual(h.calls(), 1)
        if (http) {
          const r = lastRequest(h)
          assert.strictEqual(r.method, "POST")
          assert.strictEqual(r.path, { anthropic: "/v1/messages", chat: "/v1/chat/completions", responses: "/v1/responses" }[protocol!])
          assert.strictEqual(r.stream, false)
          assert.match(r.headers["authorization"] ?? "", /^Bearer \S+/)
          assert.strictEqual(r.body.model, h.model.model)
          if (protocol === "anthropic") {
            assert.strictEqual(r.headers["anthropic-version"], "2026-10-21")
            assert.strictEqual(r.body.system, "You are terse.")
            assert.deepStrictEqual(r.body.messages, [{ role: "user", content: "Hi" }])
            for (const k of ["temperature", "top_p", "top_k"]) assert.isUndefined(r.body[k], `${k} is never sent to Anthropic`)
          } else if (protocol === "chat") {
            assert.deepStrictEqual(r.body.messages, [
              { role: "system", content: "You are terse." },
              { role: "user", content: "Hi" }
            ])
          } else {
            assert.strictEqual(r.body.instructions, "You are terse.")
            assert.deepStrictEqual(r.body.input, [{ role: "user", content: "Hi" }])
          }
        }
      })
    )

    it.scoped("stream: deltas in order, then exactly one Finished with the whole response and usage", () =>
      Effect.gen(function* () {
        const text = "Streaming works one word at a time."
        const h = yield* target.setup([Wire.say(text, { input: 12, output: 9 })])
        const { events, response } = yield* collect(h.model, request([user("Hi")], { tools: [] }), via)
        const deltas = events.slice(0, -1)
        assert.isAtLeast(deltas.length, 2, "several deltas")
        for (const d of deltas) assert.strictEqual(d._tag, "TextDelta")
        assert.strictEqual(textOf(events, "TextDelta"), text, "text equals the concatenated deltas")
        assert.strictEqual(responseText(response), text)
        assert.strictEqual(response.stopReason, "end_turn")
        assert.strictEqual(response.usage.inputTokens, 12)
        assert.strictEqual(response.usage.outputTokens, 9)
        if (http) {
          const r = lastRequest(h)
          assert.strictEqual(r.body.stream, true)
          if (protocol === "chat") assert.deepStrictEqual(r.body.stream_options, { include_usage: true })
        }
      })
    )

    for (const mode of ["generate", "stream"] as const) {
      it.scoped.skipIf(!http)(`${mode}: a length cut-off is normalized to max_tokens${http ? "" : " [n/a: the mock never stops on length]"}`, () =>
        Effect.gen(function* () {
          const h = yield* target.setup([Wire.message([Wire.text("Cut short")], { stopReason: "max_tokens" })])
          const response = yield* call(h.model, request([user("Hi")]), mode, via)
          assert.strictEqual(response.stopReason, "max_tokens")
          assert.strictEqual(responseText(response), "Cut short")
        })
      )
    }

    // ----- tools -----------------------------------------------------------------------------------------

    for (const mode of ["generate", "stream"] as const) {
      it.scoped(`${mode}: two-round tool loop (call, result, answer)${http ? " in the provider's format on the wire" : " [wire check n/a: no HTTP]"}`, () =>
        Effect.gen(function* () {
          const h = yield* target.setup([
            Wire.message([Wire.text("Let me compute."), Wire.toolCall("call_1", "calc", { expression: "6*7" })]),
            Wire.say("The answer is 42.")
          ])
          const first = [user("What is 6*7?")]
          const r1 = yield* call(h.model, request(first), mode, via)
          assert.strictEqual(r1.stopReason, "tool_use")
          const calls = responseToolCalls(r1)
          assert.strictEqual(calls.length, 1)
          assert.strictEqual(calls[0]!.name, "calc")
          assert.deepStrictEqual(calls[0]!.arguments, { expression: "6*7" })
          assert.isUndefined(calls[0]!.rawArguments)
          assert.strictEqual(responseText(r1), "Let me compute.")
          const second = [...first, ...answer(r1, [{ content: "42" }])]
          const r2 = yield* call(h.model, request(second), mode, via)
          assert.strictEqual(responseText(r2), "The answer is 42.")
          assert.strictEqual(r2.stopReason, "end_turn")
          assert.strictEqual(h.calls(), 2)
          if (http) assertToolRoundOnWire(protocol!, lastRequest(h).body, calls[0]!.id, "42")
        })
      )
    }

    it.scoped(`parallel tool calls: both results go back, the failed one marked${http ? "" : " [wire check n/a: no HTTP]"}`, () =>
      Effect.gen(function* () {
        const h = yield* target.setup([
          Wire.message([Wire.toolCall("call_a", "calc", { expression: "1+1" }), Wire.toolCall("call_b", "calc", { expression: "1/0" })]),
          Wire.say("2, and 1/0 failed.")
        ])
        const first = [user("Two sums")]
        const r1 = yield* h.model.generate(request(first))
        assert.strictEqual(responseToolCalls(r1).length, 2)
        const [a, b] = responseToolCalls(r1)
        const second = [...first, ...answer(r1, [{ content: "2" }, { content: "division by zero", isError: true }])]
        const r2 = yield* h.model.generate(request(second))
        assert.strictEqual(responseText(r2), "2, and 1/0 failed.")
        if (!http) return
        const body = lastRequest(h).body
        if (protocol === "anthropic") {
          // Consecutive tool results share one user message; the failure carries is_error.
          assert.deepStrictEqual(body.messages.at(-1), {
            role: "user",
            content: [
              { type: "tool_result", tool_use_id: a!.id, content: "2", is_error: false },
              { type: "tool_result", tool_use_id: b!.id, content: "division by zero", is_error: true }
            ]
          })
          assert.strictEqual(body.messages.length, 3)
        } else if (protocol === "chat") {
          assert.deepStrictEqual(body.messages.slice(-2), [
            { role: "tool", tool_call_id: a!.id, content: "2" },
            { role: "tool", tool_call_id: b!.id, content: "division by zero" }
          ])
        } else {
          assert.deepStrictEqual(body.input.slice(-2), [
            { type: "function_call_output", call_id: a!.id, output: "2" },
            { type: "function_call_output", call_id: b!.id, output: "division by zero" }
          ])
        }
      })
    )

    for (const mode of ["stream", "generate"] as const) {
      it.scoped.skipIf(!http)(
        `${mode}: malformed tool-call JSON keeps rawArguments, arguments undefined, and goes back as sent${http ? "" : " [n/a: the mock cannot send malformed JSON]"}`,
        () =>
          Effect.gen(function* () {
            const broken = '{"expression": "6*7"'
            const h = yield* target.setup([
              Wire.message([Wire.toolCall("call_1", "calc", broken)]),
              Wire.say("Sorry, let me retry.")
            ])
            const first = [user("What is 6*7?")]
            const r1 = yield* call(h.model, request(first), mode, via)
            const [c] = responseToolCalls(r1)
            assert.isUndefined(c!.arguments)
            assert.strictEqual(c!.rawArguments, broken)
            const second = [...first, ...answer(r1, [{ content: "invalid JSON arguments", isError: true }])]
            yield* h.model.generate(request(second))
            const body = lastRequest(h).body
            if (protocol === "anthropic") {
              // tool_use.input must be an object: the unparseable text cannot go back, an empty input does.
              assert.deepStrictEqual(body.messages[1].content, [{ type: "tool_use", id: "call_1", name: "calc", input: {} }])
            } else if (protocol === "chat") {
              assert.strictEqual(body.messages[2].tool_calls[0].function.arguments, broken)
            } else {
              assert.strictEqual(body.input[1].arguments, broken)
            }
          })
      )
    }

    // ----- thinking / reasoning --------------------------------------------------------------------------

    for (const mode of ["stream", "generate"] as const) {
      it.scoped.skipIf(target.reasoning === "none")(
        `${mode}: thinking/reasoning round trip, sent back unchanged${target.reasoning === "none" ? " [n/a: the mock has no thinking]" : ""}`,
        () =>
          Effect.gen(function* () {
            const h = yield* target.setup(
              [
                Wire.message([
                  Wire.thinking("I should call calc.", "sig-abc=="),
                  Wire.redactedThinking("opaque-xyz=="),
                  Wire.toolCall("call_1", "calc", { expression: "6*7" })
                ]),
                Wire.say("42.")
              ],
              "reasoning"
            )
            const first = [user("What is 6*7?")]
            let r1: ModelResponse
            if (mode === "stream") {
              const { events, response } = yield* collect(h.model, request(first), via)
              assert.strictEqual(textOf(events, "ReasoningDelta"), "I should call calc.")
              r1 = response
            } else {
              r1 = yield* h.model.generate(request(first))
            }
            const reasoning = r1.content.filter((p) => p._tag === "reasoning")
            const second = [...first, ...answer(r1, [{ content: "42" }])]
            yield* h.model.generate(request(second))
            const body = lastRequest(h).body
            if (target.reasoning === "signed") {
              assert.deepStrictEqual(
                reasoning.map((p) => [p.text, p.signature, p.redactedData]),
                [
                  ["I should call calc.", "sig-abc==", undefined],
                  ["", undefined, "opaque-xyz=="]
                ]
              )
              assert.deepStrictEqual(body.messages[1], {
                role: "assistant",
                content: [
                  { type: "thinking", thinking: "I should call calc.", signature: "sig-abc==" },
                  { type: "redacted_thinking", data: "opaque-xyz==" },
                  { type: "tool_use", id: "call_1", name: "calc", input: { expression: "6*7" } }
                ]
              })
              assert.deepStrictEqual(body.thinking, { type: "enabled", budget_tokens: 1024 })
            } else if (target.reasoning === "items") {
              const items = [
                {
                  id: "rs_wire_0",
                  type: "reasoning",
                  summary: [{ type: "summary_text", text: "I should call calc." }],
                  encrypted_content: "sig-abc=="
                },
                { id: "rs_wire_1", type: "reasoning", summary: [], encrypted_content: "opaque-xyz==" }
              ]
              assert.deepStrictEqual(reasoning.map((p) => p.providerData), items)
              assert.strictEqual(reasoning[0]!.text, "I should call calc.")
              assert.deepStrictEqual(body.input.slice(1, 4), [
                ...items,
                { type: "function_call", call_id: "call_1", name: "calc", arguments: '{"expression":"6*7"}' }
              ])
              assert.deepStrictEqual(body.include, ["reasoning.encrypted_content"])
            } else {
              // Chat Completions: reasoning_content is shown, but the API has nothing to send it back in.
              assert.deepStrictEqual(reasoning.map((p) => p.text), ["I should call calc."])
              assert.deepStrictEqual(Object.keys(body.messages[2]).sort(), ["content", "role", "tool_calls"])
            }
          })
      )
    }

    // ----- usage and cost --------------------------------------------------------------------------------

    const expectedCost = target.cost
    it.scoped.skipIf(expectedCost === undefined)(`usage and cost of a response with cached tokens match the hand computation${expectedCost ? "" : " [n/a: no expected cost given]"}`, () =>
      Effect.gen(function* () {
        const h = yield* target.setup([COST_REPLY], "cost")
        const response = yield* h.model.generate(request([user("price me")], { tools: [] }))
        assert.deepStrictEqual(response.usage, expectedCost!.usage)
        assert.isDefined(h.model.pricing, "the model has a price")
        const cost = Pricing.cost(response.usage, h.model.pricing!)
        assert.closeTo(cost.costUsd, expectedCost!.costUsd, 1e-12)
      })
    )

    // ----- faults and their classification ---------------------------------------------------------------

    interface FaultCase {
      readonly name: string
      readonly reply: Reply
      readonly mode: Mode
      readonly tag: LlmError["_tag"]
      readonly status?: number
      readonly retryAfterMs?: number
      readonly message?: string
      readonly hint?: RegExp
      /** The mock can play it (a scripted error). */
      readonly mock: boolean
    }
    const faults: Array<FaultCase> = [
      { name: "429 with retry-after-ms", reply: Wire.rateLimited({ retryAfterMs: 1500 }), mode: "generate", tag: "LlmRateLimited", status: 429, retryAfterMs: 1500, message: "Rate limit reached", mock: true },
      { name: "429 with retry-after in seconds", reply: Wire.rateLimited({ retryAfter: "2" }), mode: "generate", tag: "LlmRateLimited", status: 429, retryAfterMs: 2000, mock: true },
      // The TestClock starts at the epoch: this date is 5 s from "now".
      { name: "429 with retry-after as an HTTP date", reply: Wire.rateLimited({ retryAfter: "Thu, 01 Jan 1970 00:00:05 GMT" }), mode: "generate", tag: "LlmRateLimited", status: 429, retryAfterMs: 5000, mock: false },
      { name: "529 overloaded", reply: Wire.overloaded(), mode: "generate", tag: "LlmOverloaded", status: 529, message: "Overloaded", mock: true },
      { name: "500", reply: Wire.serverError(500), mode: "generate", tag: "LlmConnection", status: 500, message: "upstream failure 500", mock: true },
      { name: "503", reply: Wire.serverError(503), mode: "stream", tag: "LlmConnection", status: 503, message: "upstream failure 503", mock: true },
      { name: "400 context length", reply: Wire.contextLength(), mode: "generate", tag: "LlmInvalidRequest", status: 400, message: "prompt is too long", hint: /context length/, mock: true },
      { name: "401", reply: Wire.unauthorized(), mode: "generate", tag: "LlmAuth", status: 401, message: "invalid x-api-key", hint: new RegExp(target.apiKeyEnv), mock: true },
      { name: "mid-stream overloaded error event", reply: Wire.streamError("overloaded", 3), mode: "stream", tag: "LlmOverloaded", message: "Overloaded", mock: false },
      { name: "mid-stream server error event", reply: Wire.streamError("server_error", 3), mode: "stream", tag: "LlmConnection", message: "The server had an error", mock: false },
      { name: "mid-stream rate limit error event", reply: Wire.streamError("rate_limit", 3), mode: "stream", tag: "LlmRateLimited", message: "Rate limit reached", mock: false },
      { name: "dropped connection before the response", reply: Wire.drop(), mode: "generate", tag: "LlmConnection", mock: true },
      { name: "dropped connection mid-stream", reply: Wire.drop(4), mode: "stream", tag: "LlmConnection", mock: false },
      { name: "dropped connection mid-body", reply: Wire.drop(1), mode: "generate", tag: "LlmConnection", mock: false },
      { name: "malformed JSON body", reply: Wire.malformed(), mode: "generate", tag: "LlmInvalidRequest", mock: false },
      { name: "malformed SSE data", reply: Wire.malformed(2), mode: "stream", tag: "LlmInvalidRequest", mock: false },
      { name: "stream truncated before its terminal event", reply: Wire.truncate(3), mode: "stream", tag: "LlmConnection", mock: false }
    ]
    if (protocol === "responses") {
      faults.push({
          name: "response.failed event",
          reply: Wire.streamError("overloaded", 3, { style: "failed" }),
          mode: "stream",
          tag: "LlmOverloaded",
          message: "Overloaded",
          mock: false
        })
    }
    for (const f of faults) {
      const applicable = http || f.mock
      it.scoped.skipIf(!applicable)(`fault (${f.mode}): ${f.name} -> ${f.tag}${applicable ? "" : ` ${noHttp}`}`, () =>
        Effect.gen(function* () {
          const h = yield* target.setup([f.reply])
          const error = yield* Effect.flip(call(h.model, request([user("Hi")]), f.mode, via))
          assert.strictEqual(error._tag, f.tag, error.message)
          assert.strictEqual(error.provider, target.provider)
          assert.strictEqual(error.retryable, f.tag !== "LlmInvalidRequest" && f.tag !== "LlmAuth")
          // The mock's scripted connection errors carry no status.
          if (f.status !== undefined && (http || f.tag !== "LlmConnection")) assert.strictEqual(error.status, f.status)
          if (f.message !== undefined) assert.include(error.message, f.message)
          if (http) {
            assert.include(error.message, target.provider, "the message names the provider")
            if (f.status !== undefined) assert.include(error.message, String(f.status), "the message names the status")
          }
          if (f.retryAfterMs !== undefined) {
            assert.strictEqual((error as { retryAfterMs?: number }).retryAfterMs, f.retryAfterMs)
          }
          if (f.hint && http) assert.match(error.hint ?? "", f.hint)
        })
      )
    }

    // ----- watchdog under the TestClock ------------------------------------------------------------------

    it.scoped.skipIf(!http)(`watchdog: a body stalled after the headers fails with LlmTimeout and is aborted${http ? "" : ` ${noHttp}`}`, () =>
      Effect.gen(function* () {
        const h = yield* target.setup([Wire.stall(1)])
        const fiber = yield* Effect.fork(h.model.generate(request([user("Hi")])))
        yield* WireServer.awaitRequests(h.server!, 1)
        const exit = yield* adjustUntilDone(fiber, 60_000)
        assert.isTrue(Exit.isFailure(exit))
        const error = yield* Effect.flip(exit)
        assert.strictEqual(error._tag, "LlmTimeout")
        assert.strictEqual(error.retryable, true)
        assert.include(error.message, "idle_timeout_ms")
        const r = yield* WireServer.awaitClosed(h.server!, 0)
        assert.isTrue(r.closedEarly, "the request was aborted")
      })
    )

    it.scoped.skipIf(!http)(`watchdog: a stream stalled after some events yields them, then fails with LlmTimeout${http ? "" : ` ${noHttp}`}`, () =>
      Effect.gen(function* () {
        // message_start/created (+ in_progress), then the first text deltas, then silence.
        const h = yield* target.setup([Wire.stall(firstDeltaFrames(protocol!), Wire.say("one two three four five"))])
        const seen: Array<ModelStreamEvent> = []
        const fiber = yield* Effect.fork(forEachEvent(h.model, request([user("Hi")]), via, (e) => Effect.sync(() => void seen.push(e))))
        yield* eventually(Effect.sync(() => seen.length >= 1), "the first delta")
        const exit = yield* adjustUntilDone(fiber, 60_000)
        const error = yield* Effect.flip(exit)
        assert.strictEqual(error._tag, "LlmTimeout")
        assert.isTrue(seen.every((e) => e._tag === "TextDelta"))
        assert.strictEqual(textOf(seen, "TextDelta"), "one ")
        const r = yield* WireServer.awaitClosed(h.server!, 0)
        assert.isTrue(r.closedEarly, "the request was aborted")
      })
    )

    // ----- retries through ProviderRetry -----------------------------------------------------------------

    interface RetryCase {
      readonly name: string
      readonly replies: ReadonlyArray<Reply>
      readonly calls: number
      readonly fails?: LlmError["_tag"]
      readonly mock: boolean
    }
    const ok = Wire.say("recovered")
    const retries: ReadonlyArray<RetryCase> = [
      { name: "429 then success: retried once", replies: [Wire.rateLimited({ retryAfterMs: 10 }), ok], calls: 2, mock: true },
      { name: "529 then success: retried once", replies: [Wire.overloaded(), ok], calls: 2, mock: true },
      { name: "500 then success: retried once", replies: [Wire.serverError(500), ok], calls: 2, mock: true },
      { name: "503 then success: retried once", replies: [Wire.serverError(503), ok], calls: 2, mock: true },
      { name: "dropped connection then success: retried once", replies: [Wire.drop(), ok], calls: 2, mock: true },
      { name: "500 three times: 3 attempts, then the error", replies: [Wire.serverError(500), Wire.serverError(500), Wire.serverError(500), ok], calls: 3, fails: "LlmConnection", mock: true },
      { name: "400: not retried", replies: [Wire.contextLength(), ok], calls: 1, fails: "LlmInvalidRequest", mock: true },
      { name: "401: not retried", replies: [Wire.unauthorized(), ok], calls: 1, fails: "LlmAuth", mock: true }
    ]
    for (const c of retries) {
      it.scoped(`retry: ${c.name}`, () =>
        Effect.gen(function* () {
          const h = yield* target.setup(c.replies)
          const fiber = yield* Effect.fork(ProviderRetry.retry(h.model.generate(request([user("Hi")])), fast))
          const exit = yield* driveClock(fiber)
          assert.strictEqual(h.calls(), c.calls, "requests seen")
          if (c.fails) {
            const error = yield* Effect.flip(exit)
            assert.strictEqual(error._tag, c.fails)
          } else {
            const response = yield* exit
            assert.strictEqual(responseText(response), "recovered")
          }
        })
      )
    }

    it.scoped("retry: a stream that fails to open with 429 is retried by ProviderRetry", () =>
      Effect.gen(function* () {
        const h = yield* target.setup([Wire.rateLimited({ retryAfterMs: 10 }), ok])
        const fiber = yield* Effect.fork(ProviderRetry.retry(collect(h.model, request([user("Hi")]), via), fast))
        const result = yield* Effect.flatten(driveClock(fiber))
        assert.strictEqual(responseText(result.response), "recovered")
        assert.strictEqual(h.calls(), 2)
      })
    )

    it.scoped("retry delay: retry-after-ms longer than the backoff is waited for in full (TestClock)", () =>
      Effect.gen(function* () {
        const h = yield* target.setup([Wire.rateLimited({ retryAfterMs: 3000 }), ok])
        const fiber = yield* Effect.fork(ProviderRetry.retry(h.model.generate(request([user("Hi")])), fast))
        const delay = yield* awaitSleep()
        assert.strictEqual(delay, 3000, "retry-after-ms (3000) wins over the 500 ms backoff")
        assert.strictEqual(h.calls(), 1)
        yield* TestClock.adjust(2999)
        yield* realSleep(20)
        assert.strictEqual(h.calls(), 1, "no second request before the delay is over")
        yield* TestClock.adjust(1)
        yield* eventually(Effect.sync(() => h.calls() === 2), "the second request")
        const response = yield* Fiber.join(fiber)
        assert.strictEqual(responseText(response), "recovered")
      })
    )

    it.scoped("retry delay: exponential backoff after 500s (500 ms, then 1000 ms) on the TestClock", () =>
      Effect.gen(function* () {
        const h = yield* target.setup([Wire.serverError(500), Wire.serverError(503), ok])
        const fiber = yield* Effect.fork(ProviderRetry.retry(h.model.generate(request([user("Hi")])), fast))
        assert.strictEqual(yield* awaitSleep(), 500)
        yield* TestClock.adjust(499)
        yield* realSleep(20)
        assert.strictEqual(h.calls(), 1)
        yield* TestClock.adjust(1)
        yield* eventually(Effect.sync(() => h.calls() === 2), "the second request")
        assert.strictEqual(yield* awaitSleep(), 1000)
        yield* TestClock.adjust(999)
        yield* realSleep(20)
        assert.strictEqual(h.calls(), 2)
        yield* TestClock.adjust(1)
        const response = yield* Fiber.join(fiber)
        assert.strictEqual(responseText(response), "recovered")
        assert.strictEqual(h.calls(), 3)
      })
    )

    // ----- interruption ----------------------------------------------------------------------------------

    it.scoped.skipIf(!http)(`interruption mid-stream aborts the HTTP request${http ? "" : ` ${noHttp}`}`, () =>
      Effect.gen(function* () {
        const h = yield* target.setup([Wire.stall(firstDeltaFrames(protocol!), Wire.say("one two three"))])
        const first = yield* Deferred.make<void>()
        const fiber = yield* Effect.fork(
          forEachEvent(h.model, request([user("Hi")]), via, () => Deferred.succeed(first, undefined))
        )
        yield* Deferred.await(first)
        assert.isFalse(h.server!.requests[0]!.closed)
        yield* Fiber.interrupt(fiber)
        const r = yield* WireServer.awaitClosed(h.server!, 0)
        assert.isTrue(r.closedEarly, "the server saw the socket close before the response ended")
      })
    )

    it.scoped.skipIf(!http)(`interruption while waiting for headers aborts the HTTP request${http ? "" : ` ${noHttp}`}`, () =>
      Effect.gen(function* () {
        const h = yield* target.setup([Wire.hang()])
        const fiber = yield* Effect.fork(h.model.generate(request([user("Hi")])))
        yield* WireServer.awaitRequests(h.server!, 1)
        yield* Fiber.interrupt(fiber)
        const r = yield* WireServer.awaitClosed(h.server!, 0)
        assert.isTrue(r.closedEarly)
      })
    )

    it.scoped.skipIf(!http || via !== "stream")(`taking the first delta only ends the stream and aborts the request${http ? "" : ` ${noHttp}`}${via === "stream" ? "" : " [n/a: a Stream operator]"}`, () =>
      Effect.gen(function* () {
        const h = yield* target.setup([Wire.stall(firstDeltaFrames(protocol!), Wire.say("one two three"))])
        const events = yield* Stream.runCollect(Stream.take(h.model.stream(request([user("Hi")])), 1))
        assert.deepStrictEqual(Chunk.toReadonlyArray(events), [{ _tag: "TextDelta", text: "one " }])
        const r = yield* WireServer.awaitClosed(h.server!, 0)
        assert.isTrue(r.closedEarly)
      })
    )

    // ----- a long loop -----------------------------------------------------------------------------------

    it.scoped(
      `ten-round tool loop${target.reasoning === "none" ? "" : " with thinking/reasoning"}, alternating generate and stream`,
      () =>
        Effect.gen(function* () {
          const rounds = 10
          const replies = Wire.countingLoop(rounds, target.reasoning !== "none")
          const h = yield* target.setup(replies, target.reasoning === "none" ? "default" : "reasoning")
          const messages: Array<Message> = [user("Count to ten with calc.")]
          let final: ModelResponse | undefined
          for (let i = 0; i <= rounds; i++) {
            const response = yield* call(h.model, request(messages), i % 2 === 0 ? "generate" : "stream", via)
            const calls = responseToolCalls(response)
            if (calls.length === 0) {
              final = response
              break
            }
            assert.deepStrictEqual(calls[0]!.arguments, { expression: `${i}+1` })
            messages.push(...answer(response, [{ content: String(i + 1) }]))
          }
          assert.strictEqual(responseText(final!), "Counted to ten.")
          assert.strictEqual(h.calls(), rounds + 1)
          assert.strictEqual(messages.length, 1 + 2 * rounds)
          if (!http) return
          const body = lastRequest(h).body
          if (protocol === "anthropic") {
            assert.strictEqual(body.messages.length, 1 + 2 * rounds)
            for (let i = 0; i < rounds; i++) {
              assert.deepStrictEqual(body.messages[1 + 2 * i].content, [
                { type: "thinking", thinking: `Step ${i}: add one.`, signature: `sig-${i}` },
                { type: "tool_use", id: `call_${i}`, name: "calc", input: { expression: `${i}+1` } }
              ])
              assert.deepStrictEqual(body.messages[2 + 2 * i].content, [
                { type: "tool_result", tool_use_id: `call_${i}`, content: String(i + 1), is_error: false }
              ])
            }
          } else if (protocol === "chat") {
            assert.strictEqual(body.messages.length, 2 + 2 * rounds)
            assert.deepStrictEqual(body.messages.at(-1), { role: "tool", tool_call_id: "call_9", content: "10" })
          } else {
            const reasoningItems = body.input.filter((i: any) => i.type === "reasoning")
            assert.deepStrictEqual(
              reasoningItems.map((i: any) => i.encrypted_content),
              Array.from({ length: rounds }, (_, i) => `sig-${i}`)
            )
            assert.strictEqual(body.input.filter((i: any) => i.type === "function_call_output").length, rounds)
            assert.strictEqual(body.input.length, 1 + 3 * rounds)
          }
        })
    )
  })
}
