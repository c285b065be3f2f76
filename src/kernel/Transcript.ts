/**
 * The provider-neutral conversation: messages, content parts, and what goes to and comes back from a
 * language model. Providers translate these to and from their wire formats; sessions store them as they are.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * Plain text from the assistant.
 *
 * @since 0.1.0
 * @category models
 */
export const TextPart = Schema.TaggedStruct("text", { text: Schema.String })

/**
 * A call of a tool requested by the model. `arguments` is the parsed JSON object the model sent;
 * `rawArguments` keeps the exact text when it could not be parsed.
 *
 * @since 0.1.0
 * @category models
 */
export const ToolCallPart = Schema.TaggedStruct("tool_call", {
  id: Schema.String,
  name: Schema.String,
  arguments: Schema.Unknown,
  rawArguments: Schema.optional(Schema.String)
})

/**
 * Reasoning the provider returned (Anthropic `thinking` / `redacted_thinking`, OpenAI Responses
 * `reasoning` items). Kept in the transcript and sent back verbatim on the next turn: `signature`,
 * `redactedData` and `providerData` are opaque to the runtime.
 *
 * @since 0.1.0
 * @category models
 */
export const ReasoningPart = Schema.TaggedStruct("reasoning", {
  text: Schema.String,
  provider: Schema.optional(Schema.String),
  signature: Schema.optional(Schema.String),
  redactedData: Schema.optional(Schema.String),
  providerData: Schema.optional(Schema.Unknown)
})

/**
 * @since 0.1.0
 * @category models
 */
export const AssistantPart = Schema.Union(TextPart, ToolCallPart, ReasoningPart)

/**
 * @since 0.1.0
 * @category models
 */
export type AssistantPart = typeof AssistantPart.Type
/**
 * @since 0.1.0
 * @category models
 */
export type ToolCallPart = typeof ToolCallPart.Type
/**
 * @since 0.1.0
 * @category models
 */
export type ReasoningPart = typeof ReasoningPart.Type

/**
 * @since 0.1.0
 * @category models
 */
export const SystemMessage = Schema.TaggedStruct("system", { content: Schema.String })

/**
 * @since 0.1.0
 * @category models
 */
export const UserMessage = Schema.TaggedStruct("user", { content: Schema.String })

/**
 * @since 0.1.0
 * @category models
 */
export const AssistantMessage = Schema.TaggedStruct("assistant", { content: Schema.Array(AssistantPart) })

/**
 * The result of one tool call, answering the {@link ToolCallPart} with the same `toolCallId`.
 * `content` is what the model reads: the JSON of the result, or, when `isError`, the JSON
 * `{"error": <message>, "type": <error tag>}`.
 *
 * @since 0.1.0
 * @category models
 */
export const ToolMessage = Schema.TaggedStruct("tool", {
  toolCallId: Schema.String,
  toolName: Schema.String,
  content: Schema.String,
  isError: Schema.Boolean
})

/**
 * One message of a conversation. The tag is the role.
 *
 * @since 0.1.0
 * @category models
 */
export const Message = Schema.Union(SystemMessage, UserMessage, AssistantMessage, ToolMessage)

/**
 * @since 0.1.0
 * @category models
 */
export type Message = typeof Message.Type

/**
 * A tool as the model sees it: name, description and the JSON Schema of its parameters.
 *
 * @since 0.1.0
 * @category models
 */
export interface ToolSpec {
  readonly name: string
  readonly description: string
  readonly parameters: Record<string, unknown>
}

/**
 * What a pattern asks a language model for.
 *
 * @since 0.1.0
 * @category models
 */
export interface ModelRequest {
  readonly system?: string | undefined
  readonly messages: ReadonlyArray<Message>
  readonly tools: ReadonlyArray<ToolSpec>
  readonly toolChoice?: "auto" | "required" | "none" | { readonly name: string } | undefined
  /** A JSON Schema the final answer must follow (structured output). */
  readonly responseSchema?: Record<string, unknown> | undefined
  readonly maxTokens?: number | undefined
}

/**
 * Token counts of one model call. `inputTokens` counts every input token, cached ones included;
 * `cachedInputTokens` and `cacheCreationInputTokens` say how many of them were read from or written to
 * the provider's cache. `reasoningTokens` is informational and already part of `outputTokens`.
 *
 * @since 0.1.0
 * @category models
 */
export const ModelUsage = Schema.Struct({
  inputTokens: Schema.Number,
  outputTokens: Schema.Number,
  cachedInputTokens: Schema.optionalWith(Schema.Number, { default: () => 0 }),
  cacheCreationInputTokens: Schema.optionalWith(Schema.Number, { default: () => 0 }),
  reasoningTokens: Schema.optionalWith(Schema.Number, { default: () => 0 })
})

/**
 * @since 0.1.0
 * @category models
 */
export type ModelUsage = typeof ModelUsage.Type

/**
 * Why the model stopped, normalized across providers (`tool_calls` becomes `tool_use`).
 *
 * @since 0.1.0
 * @category models
 */
export type ModelStopReason = "end_turn" | "tool_use" | "max_tokens" | "stop_sequence" | "refusal" | "other"

/**
 * The whole answer of one model call.
 *
 * @since 0.1.0
 * @category models
 */
export interface ModelResponse {
  readonly content: ReadonlyArray<AssistantPart>
  readonly stopReason: ModelStopReason
  readonly usage: ModelUsage
  readonly model: string
  readonly responseId?: string | undefined
}

/**
 * What a streaming model call yields: deltas as they arrive, then exactly one `Finished` with the whole
 * response (tool calls assembled from their fragments).
 *
 * @since 0.1.0
 * @category models
 */
export type ModelStreamEvent =
  | { readonly _tag: "TextDelta"; readonly text: string }
  | { readonly _tag: "ReasoningDelta"; readonly text: string }
  | { readonly _tag: "Finished"; readonly response: ModelResponse }

/**
 * The text of a response: its text parts joined.
 *
 * @since 0.1.0
 * @category accessors
 */
export const responseText = (response: Pick<ModelResponse, "content">): string => {
  // a loop, not flatMap and join: every run reads its answer through this
  let text = ""
  for (const part of response.content) if (part._tag === "text") text = text === "" ? part.text : text + part.text
  return text
}

/**
 * The tool calls of a response, in order.
 *
 * @since 0.1.0
 * @category accessors
 */
export const responseToolCalls = (response: Pick<ModelResponse, "content">): ReadonlyArray<ToolCallPart> =>
  response.content.filter((p): p is ToolCallPart => p._tag === "tool_call")

/**
 * A usage with every count at zero.
 *
 * @since 0.1.0
 * @category constructors
 */
export const emptyModelUsage: ModelUsage = {
  inputTokens: 0,
  outputTokens: 0,
  cachedInputTokens: 0,
  cacheCreationInputTokens: 0,
  reasoningTokens: 0
}
