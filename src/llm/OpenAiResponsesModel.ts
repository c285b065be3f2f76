/**
 * OpenAI Responses API provider (`llm.openai_api_style: "responses"`), through the `openai` SDK, with
 * real streaming (the Python SDK's fallback to a non-streaming call is not copied).
 *
 * The runtime keeps the conversation, so requests are stateless: `store: false`, the whole transcript
 * as `input`. For reasoning models the request asks for `reasoning.encrypted_content` and a reasoning
 * summary; each `reasoning` output item is kept whole in a `ReasoningPart`'s `providerData` and sent back
 * as an input item, in order, on the next turn.
 *
 * @since 0.1.0
 */
import type {
  FunctionTool,
  ResponseCreateParamsBase,
  ResponseInputItem,
  ResponseStreamEvent
} from "openai/resources/responses/responses"
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
import { classifyEvent, invalidResponse, truncated } from "./internal/errors.js"
import { decodeResponsesUsage, record, schemaName, setup } from "./internal/openai.js"
import type { ProviderOptions } from "./internal/options.js"
import { parseToolArguments, requestJson, streamEvents, toolArgumentsText, type TransportContext } from "./internal/transport.js"
import * as LanguageModel from "./LanguageModel.js"
import type { ModelDelta, Service } from "./LanguageModel.js"
import * as Pricing from "./Pricing.js"

/**
 * Options of the Responses provider. `seed` is not part of the Responses API and is ignored;
 * `thinking` is Anthropic-only (a `ConfigError` here); `reasoningEffort` becomes `reasoning.effort`.
 *
 * @since 0.1.0
 * @category models
 */
export type Options = ProviderOptions

// ---------------------------------------------------------------------------------------------------------
// request
// ---------------------------------------------------------------------------------------------------------

const isReasoningItem = (u: unknown): u is ResponseInputItem =>
  record(u)?.["type"] === "reasoning" && typeof record(u)?.["id"] === "string"

/**
 * Translates the neutral transcript to Responses input items: system messages go to `instructions`;
 * assistant text to assistant messages, tool calls to `function_call` items, reasoning parts to their
 * original `reasoning` items; tool results to `function_call_output` items.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeInput = (
  system: string | undefined,
  messages: ReadonlyArray<Message>
): { readonly instructions: string | undefined; readonly input: Array<ResponseInputItem> } => {
  const systems: Array<string> = system !== undefined && system !== "" ? [system] : []
  const input: Array<ResponseInputItem> = []
  for (const m of messages) {
    switch (m._tag) {
      case "system":
        if (m.content !== "") systems.push(m.content)
        break
      case "user":
        input.push({ role: "user", content: m.content })
        break
      case "assistant":
        for (const p of m.content) {
          if (p._tag === "text") {
            if (p.text !== "") input.push({ role: "assistant", content: p.text })
          } else if (p._tag === "tool_call") {
            input.push({ type: "function_call", call_id: p.id, name: p.name, arguments: toolArgumentsText(p) })
          } else if (isReasoningItem(p.providerData)) {
            // Verbatim: the encrypted content only verifies unchanged.
            input.push(p.providerData)
          }
        }
        break
      case "tool":
        input.push({ type: "function_call_output", call_id: m.toolCallId, output: m.content })
        break
    }
  }
  return { instructions: systems.length > 0 ? systems.join("\n\n") : undefined, input }
}

/**
 * The request body for `request` (without `stream`).
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeRequest = (options: Options, reasoning: boolean, request: ModelRequest): ResponseCreateParamsBase => {
  const { instructions, input } = encodeInput(request.system, request.messages)
  const params: ResponseCreateParamsBase = { model: options.model, input, store: false }
  if (instructions !== undefined) params.instructions = instructions
  const maxTokens = request.maxTokens ?? options.maxTokens
  if (maxTokens !== undefined) params.max_output_tokens = maxTokens
  if (reasoning) {
    params.reasoning = { summary: "auto", ...(options.reasoningEffort !== undefined ? { effort: options.reasoningEffort } : {}) }
    params.include = ["reasoning.encrypted_content"]
  } else {
    if (options.temperature !== undefined) params.temperature = options.temperature
    if (options.topP !== undefined) params.top_p = options.topP
  }
  if (request.tools.length > 0) {
    params.tools = request.tools.map(
      (t): FunctionTool => ({
        type: "function",
        name: t.name,
        description: t.description,
        parameters: t.parameters,
        // The Responses API defaults to strict schemas, which most tool schemas do not satisfy.
        strict: false
      })
    )
    const choice = request.toolChoice
    if (choice !== undefined) params.tool_choice = typeof choice === "string" ? choice : { type: "function", name: choice.name }
    if (options.parallelToolCalls !== undefined) params.parallel_tool_calls = options.parallelToolCalls
  }
  if (request.responseSchema !== undefined) {
    params.text = {
      format: { type: "json_schema", name: schemaName(request.responseSchema), schema: request.responseSchema }
    }
  }
  return params
}

// ---------------------------------------------------------------------------------------------------------
// response
// ---------------------------------------------------------------------------------------------------------

const reasoningSummary = (item: Record<string, unknown>): string => {
  const texts = (list: unknown) =>
    Array.isArray(list) ? list.flatMap((s) => (typeof record(s)?.["text"] === "string" ? [record(s)!["text"] as string] : [])) : []
  const summary = texts(item["summary"])
  return (summary.length > 0 ? summary : texts(item["content"])).join("\n")
}

const decodeItems = (provider: string, items: ReadonlyArray<unknown>): { parts: Array<AssistantPart>; refusal: boolean } => {
  const parts: Array<AssistantPart> = []
  let refusal = false
  for (const raw of items) {
    const item = record(raw)
    if (!item) continue
    switch (item["type"]) {
      case "message": {
        const content = Array.isArray(item["content"]) ? item["content"] : []
        for (const c of content) {
          const part = record(c)
          if (part?.["type"] === "output_text" && typeof part["text"] === "string" && part["text"] !== "") {
            parts.push({ _tag: "text", text: part["text"] })
          } else if (part?.["type"] === "refusal" && typeof part["refusal"] === "string") {
            refusal = true
            parts.push({ _tag: "text", text: part["refusal"] })
          }
        }
        break
      }
      case "reasoning":
        parts.push({ _tag: "reasoning", provider, text: reasoningSummary(item), providerData: item })
        break
      case "function_call":
        parts.push({
          _tag: "tool_call",
          id: String(item["call_id"] ?? item["id"] ?? ""),
          name: String(item["name"] ?? ""),
          ...parseToolArguments(typeof item["arguments"] === "string" ? item["arguments"] : "")
        })
        break
    }
  }
  return { parts, refusal }
}

/**
 * The neutral stop reason of a response's `status` (and `incomplete_details.reason`).
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeStopReason = (
  status: string | undefined,
  incompleteReason: string | undefined,
  hasToolCalls: boolean
): ModelStopReason => {
  if (status === "incomplete") {
    if (incompleteReason === "max_output_tokens") return "max_tokens"
    if (incompleteReason === "content_filter") return "refusal"
    return "other"
  }
  if (status === "completed" || status === undefined) return hasToolCalls ? "tool_use" : "end_turn"
  return "other"
}

const decodeResponse = (
  ctx: TransportContext,
  body: unknown,
  streamedItems?: ReadonlyArray<unknown>
): Effect.Effect<ModelResponse, LlmError> => {
  const response = record(body)
  if (!response) return Effect.fail(invalidResponse(ctx, "expected a Responses API response object"))
  const status = typeof response["status"] === "string" ? response["status"] : undefined
  if (status === "failed") {
    const error = record(response["error"])
    return Effect.fail(
      classifyEvent(ctx, {
        code: error?.["code"] as string | undefined,
        message: (error?.["message"] as string | undefined) ?? "response failed"
      })
    )
  }
  const output = Array.isArray(response["output"]) && response["output"].length > 0 ? response["output"] : streamedItems
  if (!Array.isArray(output)) return Effect.fail(invalidResponse(ctx, "the response has no output array"))
  const { parts, refusal } = decodeItems(ctx.provider, output)
  const incomplete = record(response["incomplete_details"])
  return Effect.succeed({
    content: parts,
    stopReason: refusal
      ? "refusal"
      : decodeStopReason(status, incomplete?.["reason"] as string | undefined, parts.some((p) => p._tag === "tool_call")),
    usage: decodeResponsesUsage(record(response["usage"]) as Parameters<typeof decodeResponsesUsage>[0]),
    model: typeof response["model"] === "string" ? response["model"] : "",
    responseId: typeof response["id"] === "string" ? response["id"] : undefined
  })
}

const TERMINAL = new Set(["response.completed", "response.incomplete", "response.failed", "error"])

/** Follows the stream's items by output index, and keeps the terminal response. */
class Accumulator {
  private readonly items = new Map<number, Record<string, unknown>>()
  private final: unknown
  private done = false

  constructor(private readonly ctx: TransportContext) {}

  /** Takes one event in; a delta goes to `onDelta` (`undefined`: nothing to hand on). */
  push(
    event: ResponseStreamEvent,
    onDelta: (delta: ModelDelta) => Effect.Effect<void>
  ): Effect.Effect<void, LlmError> | undefined {
    switch (event.type) {
      case "response.output_text.delta":
        return event.delta === "" ? undefined : onDelta({ _tag: "TextDelta", text: event.delta })
      case "response.reasoning_summary_text.delta":
      case "response.reasoning_text.delta":
        return event.delta === "" ? undefined : onDelta({ _tag: "ReasoningDelta", text: event.delta })
      case "response.output_item.added":
      case "response.output_item.done":
        this.items.set(event.output_index, { ...(event.item as unknown as Record<string, unknown>) })
        return undefined
      case "response.function_call_arguments.delta": {
        const item = this.items.get(event.output_index)
        if (item) item["arguments"] = `${typeof item["arguments"] === "string" ? item["arguments"] : ""}${event.delta}`
        return undefined
      }
      case "response.completed":
      case "response.incomplete":
        this.final = event.response
        this.done = true
        return undefined
      case "response.failed": {
        const error = event.response?.error
        return Effect.fail(
          classifyEvent(this.ctx, { code: error?.code ?? undefined, message: error?.message ?? "response failed" })
        )
      }
      case "error":
        return Effect.fail(classifyEvent(this.ctx, { code: event.code, message: event.message }))
      default:
        return undefined
    }
  }

  finish(): Effect.Effect<ModelResponse, LlmError> {
    if (!this.done) return Effect.fail(truncated(this.ctx, "the stream ended before response.completed"))
    const streamed = [...this.items.keys()].sort((a, b) => a - b).map((k) => this.items.get(k))
    return decodeResponse(this.ctx, this.final, streamed)
  }
}

// ---------------------------------------------------------------------------------------------------------
// service
// ---------------------------------------------------------------------------------------------------------

/**
 * Builds the Responses provider. Fails with `ConfigError` when the options are invalid or, for
 * `provider: "openai"`, no API key is found (`apiKey`, else the env var `apiKeyEnv`, default
 * `OPENAI_API_KEY`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<Service, ConfigError> =>
  Effect.gen(function* () {
    const { client, ctx, provider, reasoning } = yield* setup(options)

    const generate = (request: ModelRequest): Effect.Effect<ModelResponse, LlmError> =>
      requestJson(ctx, ({ signal }) =>
        client.responses.create({ ...encodeRequest(options, reasoning, request), stream: false }, { signal })
          .asResponse()
      ).pipe(
        Effect.flatMap((body) => decodeResponse(ctx, body)),
        Effect.tap((response) => Effect.annotateCurrentSpan(LanguageModel.responseSpanAttributes(response))),
        Effect.withSpan("openagents.llm.generate", { attributes: LanguageModel.requestSpanAttributes(provider, options.model) })
      )

    const streamTo: LanguageModel.StreamTo = (request, onDelta) =>
      Effect.suspend(() => {
        const acc = new Accumulator(ctx)
        return streamEvents<ResponseStreamEvent>(
          ctx,
          ({ signal }) =>
            client.responses.create({ ...encodeRequest(options, reasoning, request), stream: true }, { signal }).withResponse(),
          (event) => TERMINAL.has(event.type),
          (event) => acc.push(event, onDelta)
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
 * The Responses provider as a Layer of `LanguageModel`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<LanguageModel.LanguageModel, ConfigError> =>
  Layer.effect(LanguageModel.LanguageModel, make(options))
