/**
 * Anthropic Messages API provider (`llm.provider: "anthropic"`), through `@anthropic-ai/sdk` 1.x
 * (API version 2026-10-21). The SDK never retries (the runtime does, see `ProviderRetry`); interrupting
 * a call aborts its HTTP request; a watchdog aborts bodies and streams that go silent.
 *
 * `temperature`, `top_p` and `top_k` are never sent: the 2026-10-21 API rejects them. Thinking blocks
 * (with their `signature`) and redacted thinking blocks are kept in the transcript as `ReasoningPart`s
 * and sent back verbatim, in order, on the next turn.
 *
 * @since 0.1.0
 */
import type {
  ContentBlockParam,
  MessageCreateParamsBase,
  MessageParam,
  RawMessageStreamEvent,
  Tool,
  ToolChoice,
  ToolResultBlockParam
} from "@anthropic-ai/sdk/resources/messages"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { ConfigError, type LlmError } from "../kernel/Errors.js"
import type {
  AssistantPart,
  Message,
  ModelRequest,
  ModelResponse,
  ModelStopReason,
  ModelUsage
} from "../kernel/Transcript.js"
import { invalidResponse, truncated } from "./internal/errors.js"
import {
  anthropicBaseUrl,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_TIMEOUT_MS,
  type ProviderOptions,
  resolveApiKey,
  validate
} from "./internal/options.js"
import * as Sdk from "./internal/sdk.js"
import { TextBuilder } from "./internal/text.js"
import { parseToolArguments, requestJson, streamEvents, type TransportContext } from "./internal/transport.js"
import * as LanguageModel from "./LanguageModel.js"
import type { ModelDelta, Service } from "./LanguageModel.js"
import * as Pricing from "./Pricing.js"

/**
 * Options of the Anthropic provider. `temperature`, `topP`, `seed` and `reasoningModel` are accepted
 * and ignored (the API version in use rejects sampling parameters); `thinking` enables extended
 * thinking; `reasoningEffort` becomes `output_config.effort`; `parallelToolCalls: false` sets
 * `disable_parallel_tool_use`.
 *
 * @since 0.1.0
 * @category models
 */
export type Options = ProviderOptions

/**
 * The default output token limit when neither the request nor the options set one (the thinking
 * budget, when enabled, is added on top).
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_MAX_TOKENS = 4096

const PROVIDER = "anthropic"

// ---------------------------------------------------------------------------------------------------------
// request
// ---------------------------------------------------------------------------------------------------------

/**
 * Translates the neutral transcript to Anthropic messages: system messages go to the top-level
 * `system`; tool results become `tool_result` blocks in a user message (consecutive results share one);
 * reasoning parts become `thinking` / `redacted_thinking` blocks, in order, unchanged.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeMessages = (
  system: string | undefined,
  messages: ReadonlyArray<Message>
): { readonly system: string | undefined; readonly messages: Array<MessageParam> } => {
  const systems: Array<string> = system !== undefined && system !== "" ? [system] : []
  const out: Array<MessageParam> = []
  let toolResults: Array<ToolResultBlockParam> | undefined
  for (const m of messages) {
    if (m._tag !== "tool") toolResults = undefined
    switch (m._tag) {
      case "system":
        if (m.content !== "") systems.push(m.content)
        break
      case "user":
        out.push({ role: "user", content: m.content })
        break
      case "assistant": {
        const blocks: Array<ContentBlockParam> = []
        for (const p of m.content) {
          if (p._tag === "text") {
            // The API rejects empty text blocks.
            if (p.text !== "") blocks.push({ type: "text", text: p.text })
          } else if (p._tag === "tool_call") {
            blocks.push({ type: "tool_use", id: p.id, name: p.name, input: toolInput(p.arguments) })
          } else if (p.provider === undefined || p.provider === PROVIDER) {
            if (p.redactedData !== undefined) blocks.push({ type: "redacted_thinking", data: p.redactedData })
            else if (p.signature !== undefined) blocks.push({ type: "thinking", thinking: p.text, signature: p.signature })
            // Reasoning without a signature cannot be verified by the API: it is not sent back.
          }
        }
        if (blocks.length > 0) out.push({ role: "assistant", content: blocks })
        break
      }
      case "tool": {
        const block: ToolResultBlockParam = {
          type: "tool_result",
          tool_use_id: m.toolCallId,
          content: m.content,
          is_error: m.isError
        }
        if (toolResults) toolResults.push(block)
        else {
          toolResults = [block]
          out.push({ role: "user", content: toolResults })
        }
        break
      }
    }
  }
  return { system: systems.length > 0 ? systems.join("\n\n") : undefined, messages: out }
}

/** `input` of a `tool_use` block must be an object; malformed arguments go back as `{}`. */
const toolInput = (args: unknown): Record<string, unknown> =>
  typeof args === "object" && args !== null && !Array.isArray(args) ? (args as Record<string, unknown>) : {}

const encodeTools = (request: ModelRequest): Array<Tool> =>
  request.tools.map((t) => ({
    name: t.name,
    description: t.description,
    input_schema: { type: "object", ...t.parameters } as Tool.InputSchema
  }))

const encodeToolChoice = (request: ModelRequest, parallel: boolean | undefined): ToolChoice | undefined => {
  const disable = parallel === false ? { disable_parallel_tool_use: true } : {}
  const choice = request.toolChoice
  if (choice === undefined) return parallel === false ? { type: "auto", ...disable } : undefined
  if (choice === "auto") return { type: "auto", ...disable }
  if (choice === "required") return { type: "any", ...disable }
  if (choice === "none") return { type: "none" }
  return { type: "tool", name: choice.name, ...disable }
}

/**
 * The request body for `request` (without `stream`).
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeRequest = (options: Options, request: ModelRequest): MessageCreateParamsBase => {
  const { system, messages } = encodeMessages(request.system, request.messages)
  const budget = options.thinking?.budgetTokens
  let maxTokens = request.maxTokens ?? options.maxTokens ?? (budget !== undefined ? budget + DEFAULT_MAX_TOKENS : DEFAULT_MAX_TOKENS)
  // max_tokens counts the thinking budget too: a request's own limit is for the answer.
  if (budget !== undefined && maxTokens <= budget) maxTokens += budget
  const params: MessageCreateParamsBase = { model: options.model, max_tokens: maxTokens, messages }
  if (system !== undefined) params.system = system
  if (request.tools.length > 0) {
    params.tools = encodeTools(request)
    const choice = encodeToolChoice(request, options.parallelToolCalls)
    if (choice) params.tool_choice = choice
  }
  if (budget !== undefined) params.thinking = { type: "enabled", budget_tokens: budget }
  if (request.responseSchema !== undefined || options.reasoningEffort !== undefined) {
    params.output_config = {
      ...(options.reasoningEffort !== undefined ? { effort: options.reasoningEffort } : {}),
      ...(request.responseSchema !== undefined ? { format: { type: "json_schema", schema: request.responseSchema } } : {})
    }
  }
  return params
}

// ---------------------------------------------------------------------------------------------------------
// response
// ---------------------------------------------------------------------------------------------------------

interface WireUsage {
  readonly input_tokens?: number | null
  readonly output_tokens?: number | null
  readonly cache_read_input_tokens?: number | null
  readonly cache_creation_input_tokens?: number | null
  readonly output_tokens_details?: { readonly thinking_tokens?: number | null } | null
}

/**
 * Usage from Anthropic's: `inputTokens` counts every input token, cache reads and writes included.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeUsage = (u: WireUsage | null | undefined): ModelUsage => {
  const input = u?.input_tokens ?? 0
  const read = u?.cache_read_input_tokens ?? 0
  const write = u?.cache_creation_input_tokens ?? 0
  return {
    inputTokens: input + read + write,
    outputTokens: u?.output_tokens ?? 0,
    cachedInputTokens: read,
    cacheCreationInputTokens: write,
    reasoningTokens: u?.output_tokens_details?.thinking_tokens ?? 0
  }
}

/**
 * The neutral stop reason of an Anthropic `stop_reason`.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeStopReason = (reason: string | null | undefined): ModelStopReason => {
  switch (reason) {
    case "end_turn":
      return "end_turn"
    case "tool_use":
      return "tool_use"
    case "max_tokens":
    case "model_context_window_exceeded":
      return "max_tokens"
    case "stop_sequence":
      return "stop_sequence"
    case "refusal":
      return "refusal"
    default:
      return "other"
  }
}

const record = (u: unknown): Record<string, unknown> | undefined =>
  typeof u === "object" && u !== null && !Array.isArray(u) ? (u as Record<string, unknown>) : undefined

const decodeBlock = (block: Record<string, unknown>): AssistantPart | undefined => {
  switch (block["type"]) {
    case "text":
      return typeof block["text"] === "string" && block["text"] !== "" ? { _tag: "text", text: block["text"] } : undefined
    case "thinking":
      return {
        _tag: "reasoning",
        provider: PROVIDER,
        text: String(block["thinking"] ?? ""),
        signature: String(block["signature"] ?? "")
      }
    case "redacted_thinking":
      return { _tag: "reasoning", provider: PROVIDER, text: "", redactedData: String(block["data"] ?? "") }
    case "tool_use": {
      const input = block["input"]
      const args = typeof input === "string" ? parseToolArguments(input) : { arguments: input ?? {} }
      return { _tag: "tool_call", id: String(block["id"] ?? ""), name: String(block["name"] ?? ""), ...args }
    }
    default:
      // Server tool blocks and future types are not part of the neutral transcript.
      return undefined
  }
}

const decodeMessage = (ctx: TransportContext, body: unknown): Effect.Effect<ModelResponse, LlmError> => {
  const message = record(body)
  const content = message?.["content"]
  if (!message || !Array.isArray(content)) {
    return Effect.fail(invalidResponse(ctx, "expected a Messages API message with a content array"))
  }
  const parts: Array<AssistantPart> = []
  for (const b of content) {
    const block = record(b)
    const part = block && decodeBlock(block)
    if (part) parts.push(part)
  }
  return Effect.succeed({
    content: parts,
    stopReason: decodeStopReason(message["stop_reason"] as string | null),
    usage: decodeUsage(record(message["usage"]) as WireUsage | undefined),
    model: typeof message["model"] === "string" ? message["model"] : "",
    responseId: typeof message["id"] === "string" ? message["id"] : undefined
  })
}

/** A block being streamed (fragments in `TextBuilder`s: see there why not `+=`). */
type Block =
  | { type: "text"; text: TextBuilder }
  | { type: "thinking"; thinking: TextBuilder; signature: TextBuilder }
  | { type: "redacted_thinking"; data: string }
  | { type: "tool_use"; id: string; name: string; json: TextBuilder; input: unknown }
  | { type: "other" }

/** Assembles a streamed message: content blocks by index, cumulative usage, the stop reason. */
class Accumulator {
  private readonly blocks = new Map<number, Block>()
  private usage: { -readonly [K in keyof WireUsage]: WireUsage[K] } = {}
  private stopReason: string | null = null
  private id: string | undefined
  private model = ""
  private stopped = false

  constructor(private readonly ctx: TransportContext) {}

  /** Takes one event in; a delta goes to `onDelta` (`undefined`: nothing to hand on). */
  push(event: RawMessageStreamEvent, onDelta: (delta: ModelDelta) => Effect.Effect<void>): Effect.Effect<void> | undefined {
    switch (event.type) {
      case "content_block_delta": {
        const block = this.blocks.get(event.index)
        const d = event.delta
        if (!block) return undefined
        if (d.type === "text_delta" && block.type === "text") {
          if (d.text === "") return undefined
          block.text.push(d.text)
          return onDelta({ _tag: "TextDelta", text: d.text })
        }
        if (d.type === "thinking_delta" && block.type === "thinking") {
          if (d.thinking === "") return undefined
          block.thinking.push(d.thinking)
          return onDelta({ _tag: "ReasoningDelta", text: d.thinking })
        }
        if (d.type === "signature_delta" && block.type === "thinking") block.signature.push(d.signature)
        if (d.type === "input_json_delta" && block.type === "tool_use") block.json.push(d.partial_json)
        return undefined
      }
      case "message_start":
        this.id = event.message.id
        this.model = event.message.model
        this.mergeUsage(event.message.usage as WireUsage)
        return undefined
      case "content_block_start": {
        const b = event.content_block
        const block: Block =
          b.type === "text"
            ? { type: "text", text: new TextBuilder(b.text) }
            : b.type === "thinking"
              ? { type: "thinking", thinking: new TextBuilder(b.thinking), signature: new TextBuilder(b.signature) }
              : b.type === "redacted_thinking"
                ? { type: "redacted_thinking", data: b.data }
                : b.type === "tool_use"
                  ? { type: "tool_use", id: b.id, name: b.name, json: new TextBuilder(), input: b.input }
                  : { type: "other" }
        this.blocks.set(event.index, block)
        if (b.type === "text" && b.text) return onDelta({ _tag: "TextDelta", text: b.text })
        if (b.type === "thinking" && b.thinking) return onDelta({ _tag: "ReasoningDelta", text: b.thinking })
        return undefined
      }
      case "message_delta":
        if (event.delta.stop_reason) this.stopReason = event.delta.stop_reason
        this.mergeUsage(event.usage as WireUsage)
        return undefined
      case "message_stop":
        this.stopped = true
        return undefined
      default:
        return undefined
    }
  }

  private mergeUsage(u: WireUsage | null | undefined) {
    if (!u) return
    // Every count is cumulative; a null means "unchanged".
    for (const [k, v] of Object.entries(u)) {
      if (v !== null && v !== undefined) (this.usage as Record<string, unknown>)[k] = v
    }
  }

  finish(): Effect.Effect<ModelResponse, LlmError> {
    if (!this.stopped) return Effect.fail(truncated(this.ctx, "the stream ended before message_stop"))
    const parts: Array<AssistantPart> = []
    for (const index of [...this.blocks.keys()].sort((a, b) => a - b)) {
      const b = this.blocks.get(index)!
      if (b.type === "text") {
        const text = b.text.toString()
        if (text !== "") parts.push({ _tag: "text", text })
      } else if (b.type === "thinking") {
        parts.push({ _tag: "reasoning", provider: PROVIDER, text: b.thinking.toString(), signature: b.signature.toString() })
      } else if (b.type === "redacted_thinking") {
        parts.push({ _tag: "reasoning", provider: PROVIDER, text: "", redactedData: b.data })
      } else if (b.type === "tool_use") {
        // The fragments are the whole input; with none, the start block's input stands.
        const json = b.json.toString()
        const args = json !== "" ? parseToolArguments(json) : { arguments: b.input ?? {} }
        parts.push({ _tag: "tool_call", id: b.id, name: b.name, ...args })
      }
    }
    return Effect.succeed({
      content: parts,
      stopReason: decodeStopReason(this.stopReason),
      usage: decodeUsage(this.usage),
      model: this.model,
      responseId: this.id
    })
  }
}

// ---------------------------------------------------------------------------------------------------------
// service
// ---------------------------------------------------------------------------------------------------------

/**
 * Builds the Anthropic provider. Fails with `ConfigError` when the options are invalid or no API key is
 * found (`apiKey`, else the env var `apiKeyEnv`, default `ANTHROPIC_API_KEY`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<Service, ConfigError> =>
  Effect.gen(function* () {
    yield* validate(options, "anthropic")
    const { key, env } = yield* resolveApiKey(options, "ANTHROPIC_API_KEY", false)
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    const ctx: TransportContext = {
      provider: PROVIDER,
      apiKeyEnv: env,
      timeoutMs,
      idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS
    }
    const baseURL = anthropicBaseUrl(options.baseUrl)
    // Loaded here, on first use: a process without an Anthropic provider never loads the SDK.
    const sdk = yield* Sdk.anthropic
    const client = yield* Effect.try({
      try: () =>
        new sdk.Anthropic({
          apiKey: key ?? null,
          ...(baseURL !== undefined ? { baseURL } : {}),
          timeout: timeoutMs,
          maxRetries: 0,
          ...(options.extraHeaders ? { defaultHeaders: { ...options.extraHeaders } } : {})
        }),
      catch: (e) => ConfigError.single("llm", `cannot create the Anthropic client: ${(e as Error).message}`)
    })

    const generate = (request: ModelRequest): Effect.Effect<ModelResponse, LlmError> =>
      requestJson(ctx, ({ signal }) =>
        client.messages.create({ ...encodeRequest(options, request), stream: false }, { signal }).asResponse()
      ).pipe(
        Effect.flatMap((body) => decodeMessage(ctx, body)),
        Effect.tap((response) => Effect.annotateCurrentSpan(LanguageModel.responseSpanAttributes(response))),
        Effect.withSpan("openagents.llm.generate", { attributes: LanguageModel.requestSpanAttributes(PROVIDER, options.model) })
      )

    const streamTo: LanguageModel.StreamTo = (request, onDelta) =>
      Effect.suspend(() => {
        const acc = new Accumulator(ctx)
        return streamEvents<RawMessageStreamEvent>(
          ctx,
          ({ signal }) =>
            client.messages.create({ ...encodeRequest(options, request), stream: true }, { signal }).withResponse(),
          (event) => event.type === "message_stop",
          (event) => acc.push(event, onDelta)
        ).pipe(Effect.flatMap(() => acc.finish()))
      })

    return LanguageModel.make({
      provider: PROVIDER,
      model: options.model,
      pricing: Pricing.resolve(PROVIDER, options.model, options.pricing),
      generate,
      streamTo
    })
  })

/**
 * The Anthropic provider as a Layer of `LanguageModel`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<LanguageModel.LanguageModel, ConfigError> =>
  Layer.effect(LanguageModel.LanguageModel, make(options))
