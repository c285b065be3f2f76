/**
 * OpenAI Chat Completions provider (`llm.provider: "openai"` or `"openai_compatible"` with
 * `openai_api_style: "chat"`), through the `openai` SDK. Also the provider for OpenAI-compatible
 * servers (vLLM, Ollama, LiteLLM, OpenRouter): set `provider: "openai_compatible"` and `baseUrl`.
 *
 * Reasoning models (`o1`, `o3-mini`, ... or `reasoningModel: true`) get `max_completion_tokens` and no
 * `temperature` / `top_p`. Streams ask for `stream_options.include_usage` so the final event carries
 * usage. Chat Completions has no reasoning items to send back; a `reasoning_content` (or `reasoning`)
 * field, as some compatible servers send, is surfaced as `ReasoningDelta`s and a `ReasoningPart` that is
 * not sent back.
 *
 * @since 0.1.0
 */
import type {
  ChatCompletionAssistantMessageParam,
  ChatCompletionChunk,
  ChatCompletionCreateParamsBase,
  ChatCompletionMessageFunctionToolCall,
  ChatCompletionMessageParam,
  ChatCompletionToolChoiceOption
} from "openai/resources/chat/completions"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { ConfigError, LlmError } from "../kernel/Errors.js"
import type {
  AssistantPart,
  Message,
  ModelRequest,
  ModelResponse,
  ModelStopReason
} from "../kernel/Transcript.js"
import { invalidResponse, truncated } from "./internal/errors.js"
import { isWork } from "./internal/delivery.js"
import { decodeChatUsage, record, schemaName, setup } from "./internal/openai.js"
import { TextBuilder } from "./internal/text.js"
import type { ProviderOptions } from "./internal/options.js"
import { parseToolArguments, requestJson, streamEvents, toolArgumentsText, type TransportContext } from "./internal/transport.js"
import * as LanguageModel from "./LanguageModel.js"
import type { ModelDelta, Service } from "./LanguageModel.js"
import * as Pricing from "./Pricing.js"

/**
 * Options of the Chat Completions provider. `thinking` is Anthropic-only (a `ConfigError` here);
 * `reasoningEffort` is sent as `reasoning_effort` to reasoning models; `provider` labels errors and usage.
 *
 * @since 0.1.0
 * @category models
 */
export type Options = ProviderOptions

// ---------------------------------------------------------------------------------------------------------
// request
// ---------------------------------------------------------------------------------------------------------

/**
 * Translates the neutral transcript to Chat Completions messages: the system prompt first, assistant
 * tool calls as `tool_calls`, tool results as `role: "tool"` messages. Reasoning parts are dropped.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeMessages = (
  system: string | undefined,
  messages: ReadonlyArray<Message>
): Array<ChatCompletionMessageParam> => {
  const out: Array<ChatCompletionMessageParam> = []
  if (system !== undefined && system !== "") out.push({ role: "system", content: system })
  for (const m of messages) {
    switch (m._tag) {
      case "system":
        out.push({ role: "system", content: m.content })
        break
      case "user":
        out.push({ role: "user", content: m.content })
        break
      case "assistant": {
        const text = m.content.flatMap((p) => (p._tag === "text" ? [p.text] : [])).join("")
        const calls: Array<ChatCompletionMessageFunctionToolCall> = m.content.flatMap((p) =>
          p._tag === "tool_call"
            ? [{ id: p.id, type: "function" as const, function: { name: p.name, arguments: toolArgumentsText(p) } }]
            : []
        )
        if (text === "" && calls.length === 0) break
        const message: ChatCompletionAssistantMessageParam = { role: "assistant", content: text === "" ? null : text }
        if (calls.length > 0) message.tool_calls = calls
        out.push(message)
        break
      }
      case "tool":
        out.push({ role: "tool", tool_call_id: m.toolCallId, content: m.content })
        break
    }
  }
  return out
}

const encodeToolChoice = (choice: ModelRequest["toolChoice"]): ChatCompletionToolChoiceOption | undefined => {
  if (choice === undefined) return undefined
  if (typeof choice === "string") return choice
  return { type: "function", function: { name: choice.name } }
}

/**
 * The request body for `request` (without `stream`).
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeRequest = (
  options: Options,
  reasoning: boolean,
  request: ModelRequest
): ChatCompletionCreateParamsBase => {
  const params: ChatCompletionCreateParamsBase = {
    model: options.model,
    messages: encodeMessages(request.system, request.messages)
  }
  const maxTokens = request.maxTokens ?? options.maxTokens
  if (reasoning) {
    if (maxTokens !== undefined) params.max_completion_tokens = maxTokens
    if (options.reasoningEffort !== undefined) params.reasoning_effort = options.reasoningEffort
  } else {
    if (maxTokens !== undefined) params.max_tokens = maxTokens
    if (options.temperature !== undefined) params.temperature = options.temperature
    if (options.topP !== undefined) params.top_p = options.topP
  }
  if (options.seed !== undefined) params.seed = options.seed
  if (request.tools.length > 0) {
    params.tools = request.tools.map((t) => ({
      type: "function",
      function: { name: t.name, description: t.description, parameters: t.parameters }
    }))
    const choice = encodeToolChoice(request.toolChoice)
    if (choice !== undefined) params.tool_choice = choice
    // The API rejects parallel_tool_calls without tools.
    if (options.parallelToolCalls !== undefined) params.parallel_tool_calls = options.parallelToolCalls
  }
  if (request.responseSchema !== undefined) {
    params.response_format = {
      type: "json_schema",
      json_schema: { name: schemaName(request.responseSchema), schema: request.responseSchema }
    }
  }
  return params
}

// ---------------------------------------------------------------------------------------------------------
// response
// ---------------------------------------------------------------------------------------------------------

/**
 * The neutral stop reason of a `finish_reason`.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeStopReason = (reason: string | null | undefined): ModelStopReason => {
  switch (reason) {
    case "stop":
      return "end_turn"
    case "tool_calls":
    case "function_call":
      return "tool_use"
    case "length":
      return "max_tokens"
    case "content_filter":
      return "refusal"
    default:
      return "other"
  }
}

const reasoningText = (m: Record<string, unknown> | undefined): string => {
  const r = m?.["reasoning_content"] ?? m?.["reasoning"]
  return typeof r === "string" ? r : ""
}

const decodeCompletion = (
  ctx: TransportContext,
  body: unknown
): Effect.Effect<ModelResponse, LlmError> => {
  const completion = record(body)
  const choices = completion?.["choices"]
  const choice = Array.isArray(choices) ? record(choices[0]) : undefined
  const message = record(choice?.["message"])
  if (!completion || !message) {
    return Effect.fail(invalidResponse(ctx, "expected a chat.completion with choices[0].message"))
  }
  const parts: Array<AssistantPart> = []
  const reasoning = reasoningText(message)
  if (reasoning !== "") parts.push({ _tag: "reasoning", provider: ctx.provider, text: reasoning })
  const content = typeof message["content"] === "string" ? message["content"] : ""
  const refusal = typeof message["refusal"] === "string" ? message["refusal"] : ""
  if (content !== "") parts.push({ _tag: "text", text: content })
  else if (refusal !== "") parts.push({ _tag: "text", text: refusal })
  const calls = Array.isArray(message["tool_calls"]) ? message["tool_calls"] : []
  for (const c of calls) {
    const call = record(c)
    const fn = record(call?.["function"])
    if (!call || !fn) continue
    parts.push({
      _tag: "tool_call",
      id: String(call["id"] ?? ""),
      name: String(fn["name"] ?? ""),
      ...parseToolArguments(typeof fn["arguments"] === "string" ? fn["arguments"] : JSON.stringify(fn["arguments"] ?? {}))
    })
  }
  return Effect.succeed({
    content: parts,
    stopReason: refusal !== "" && content === "" ? "refusal" : decodeStopReason(choice?.["finish_reason"] as string | null),
    usage: decodeChatUsage(record(completion["usage"]) as Parameters<typeof decodeChatUsage>[0]),
    model: typeof completion["model"] === "string" ? completion["model"] : "",
    responseId: typeof completion["id"] === "string" ? completion["id"] : undefined
  })
}

/**
 * Assembles a streamed completion: text, reasoning, tool calls by index, finish reason, usage (fragments
 * in `TextBuilder`s: see there why not `+=`).
 */
class Accumulator {
  private readonly text = new TextBuilder()
  private readonly reasoning = new TextBuilder()
  private readonly calls = new Map<number, { id: string; name: string; args: TextBuilder }>()
  private finishReason: string | null = null
  private usage: ChatCompletionChunk["usage"] = null
  private id: string | undefined
  private model = ""

  constructor(private readonly ctx: TransportContext) {}

  /** Takes one chunk in; its deltas go to `onDelta` (`undefined`: nothing to hand on). */
  push(
    chunk: ChatCompletionChunk,
    onDelta: (delta: ModelDelta) => Effect.Effect<void>
  ): Effect.Effect<void> | undefined {
    if (chunk.id) this.id = chunk.id
    if (chunk.model) this.model = chunk.model
    if (chunk.usage) this.usage = chunk.usage
    const choices = chunk.choices
    const choice = choices === undefined || choices.length === 0 ? undefined : choices.length === 1 ? choices[0] : (choices.find((c) => c.index === 0) ?? choices[0])
    if (!choice) return undefined
    const delta = choice.delta ?? {}
    let out: Effect.Effect<void> | undefined
    const reasoning = reasoningText(delta as unknown as Record<string, unknown>)
    if (reasoning !== "") {
      this.reasoning.push(reasoning)
      out = onDelta({ _tag: "ReasoningDelta", text: reasoning })
    }
    if (typeof delta.content === "string" && delta.content !== "") {
      this.text.push(delta.content)
      const text = onDelta({ _tag: "TextDelta", text: delta.content })
      // `Effect.void` is nothing to run (see `streamEvents`): only two effects with work are chained.
      out = !isWork(out) ? text : !isWork(text) ? out : Effect.zipRight(out, text)
    }
    if (delta.tool_calls !== undefined) {
      for (const tc of delta.tool_calls) {
        const current = this.calls.get(tc.index) ?? { id: "", name: "", args: new TextBuilder() }
        if (tc.id) current.id = tc.id
        if (tc.function?.name) current.name += tc.function.name
        if (tc.function?.arguments) current.args.push(tc.function.arguments)
        this.calls.set(tc.index, current)
      }
    }
    if (choice.finish_reason) this.finishReason = choice.finish_reason
    return out
  }

  finish(): Effect.Effect<ModelResponse, LlmError> {
    if (this.finishReason === null) {
      return Effect.fail(truncated(this.ctx, "the stream ended before a finish_reason"))
    }
    const parts: Array<AssistantPart> = []
    const reasoning = this.reasoning.toString()
    const text = this.text.toString()
    if (reasoning !== "") parts.push({ _tag: "reasoning", provider: this.ctx.provider, text: reasoning })
    if (text !== "") parts.push({ _tag: "text", text })
    for (const index of [...this.calls.keys()].sort((a, b) => a - b)) {
      const c = this.calls.get(index)!
      parts.push({ _tag: "tool_call", id: c.id, name: c.name, ...parseToolArguments(c.args.toString()) })
    }
    return Effect.succeed({
      content: parts,
      stopReason: decodeStopReason(this.finishReason),
      usage: decodeChatUsage(this.usage),
      model: this.model,
      responseId: this.id
    })
  }
}

// ---------------------------------------------------------------------------------------------------------
// service
// ---------------------------------------------------------------------------------------------------------

/**
 * Builds the Chat Completions provider. Fails with `ConfigError` when the options are invalid or, for
 * `provider: "openai"`, no API key is found (`apiKey`, else the env var `apiKeyEnv`, default
 * `OPENAI_API_KEY`). An `openai_compatible` provider without a key sends a placeholder.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<Service, ConfigError> =>
  Effect.gen(function* () {
    const { client, ctx, provider, reasoning } = yield* setup(options)

    const generate = (request: ModelRequest): Effect.Effect<ModelResponse, LlmError> =>
      requestJson(ctx, ({ signal }) =>
        client.chat.completions.create({ ...encodeRequest(options, reasoning, request), stream: false }, { signal })
          .asResponse()
      ).pipe(
        Effect.flatMap((body) => decodeCompletion(ctx, body)),
        Effect.tap((response) => Effect.annotateCurrentSpan(LanguageModel.responseSpanAttributes(response))),
        Effect.withSpan("openagents.llm.generate", { attributes: LanguageModel.requestSpanAttributes(provider, options.model) })
      )

    const streamTo: LanguageModel.StreamTo = (request, onDelta) =>
      Effect.suspend(() => {
        const acc = new Accumulator(ctx)
        return streamEvents<ChatCompletionChunk>(
          ctx,
          ({ signal }) =>
            client.chat.completions
              .create(
                { ...encodeRequest(options, reasoning, request), stream: true, stream_options: { include_usage: true } },
                { signal }
              )
              .withResponse(),
          () => false,
          (chunk) => acc.push(chunk, onDelta)
        ).pipe(Effect.flatMap(() => acc.finish()))
      })

    return LanguageModel.make({
      provider,
      model: options.model,
      pricing: Pricing.resolve(provider, options.model, options.pricing),
      generate,
      streamTo
    })
  })

/**
 * The Chat Completions provider as a Layer of `LanguageModel`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<LanguageModel.LanguageModel, ConfigError> =>
  Layer.effect(LanguageModel.LanguageModel, make(options))
