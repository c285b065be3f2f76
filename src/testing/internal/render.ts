/**
 * Renders provider-neutral scripted replies in each provider's wire format: Anthropic Messages,
 * OpenAI Chat Completions and OpenAI Responses, as one JSON body or as SSE frames, in the shapes of the
 * providers' API references (Anthropic Messages 2026-10-21 with its streaming events, OpenAI Chat
 * Completions chunks, OpenAI Responses events).
 */

/**
 * The three wire protocols the server speaks.
 *
 * @since 0.1.0
 * @category models
 */
export type Protocol = "anthropic" | "chat" | "responses"

/**
 * One content block of a scripted model message.
 *
 * @since 0.1.0
 * @category models
 */
export type Block =
  | { readonly type: "text"; readonly text: string }
  /** `arguments` as an object is serialized; as a string it is sent as is (it may be malformed JSON). */
  | { readonly type: "tool_call"; readonly id: string; readonly name: string; readonly arguments: string | Record<string, unknown> }
  /** Anthropic `thinking` + `signature`; OpenAI Responses `reasoning` item (summary + `encrypted_content`). */
  | { readonly type: "thinking"; readonly text: string; readonly signature: string; readonly id?: string }
  /** Anthropic `redacted_thinking`; OpenAI Responses `reasoning` item with only `encrypted_content`. */
  | { readonly type: "redacted_thinking"; readonly data: string; readonly id?: string }

/**
 * Neutral token counts: `input` is the total input (cached included); the renderer splits it per
 * provider (Anthropic's `input_tokens` excludes cache reads and writes, OpenAI's `prompt_tokens` does not).
  *
  * @since 0.1.0
  * @category models
 */
export interface Usage {
  readonly input: number
  readonly output: number
  readonly cachedRead?: number
  readonly cacheWrite?: number
  readonly reasoning?: number
}

/**
 * A scripted model message.
 *
 * @since 0.1.0
 * @category models
 */
export interface MessageReply {
  readonly kind: "message"
  readonly blocks: ReadonlyArray<Block>
  readonly stopReason?: "end_turn" | "tool_use" | "max_tokens" | undefined
  readonly usage?: Usage | undefined
  readonly id?: string | undefined
  readonly model?: string | undefined
}

/**
 * A mid-stream error kind, rendered in each protocol's own codes.
 *
 * @since 0.1.0
 * @category models
 */
export type StreamErrorKind = "overloaded" | "server_error" | "rate_limit"

/**
 * One SSE frame.
 *
 * @since 0.1.0
 * @category models
 */
export interface Frame {
  readonly event?: string | undefined
  readonly data: string
}

const DEFAULT_USAGE: Usage = { input: 10, output: 5 }

/**
 * Splits text in word-sized deltas (spaces kept), so concatenation gives the text back.
 *
 * @since 0.1.0
 * @category rendering
 */
export const textDeltas = (text: string): Array<string> => text.match(/\S+\s*|\s+/g) ?? []

/**
 * Splits JSON text in three fragments at arbitrary positions, as real streams do.
 *
 * @since 0.1.0
 * @category rendering
 */
export const argumentFragments = (json: string): Array<string> => {
  if (json.length < 3) return [json]
  const a = Math.floor(json.length / 3)
  const b = Math.floor((2 * json.length) / 3)
  return [json.slice(0, a), json.slice(a, b), json.slice(b)]
}

const argumentsText = (block: Extract<Block, { type: "tool_call" }>) =>
  typeof block.arguments === "string" ? block.arguments : JSON.stringify(block.arguments)

const argumentsObject = (block: Extract<Block, { type: "tool_call" }>): unknown => {
  if (typeof block.arguments !== "string") return block.arguments
  try {
    return JSON.parse(block.arguments)
  } catch {
    // Anthropic sends an object; a malformed one is kept as the raw string (the client must cope).
    return block.arguments
  }
}

const stopReasonOf = (reply: MessageReply) =>
  reply.stopReason ?? (reply.blocks.some((b) => b.type === "tool_call") ? "tool_use" : "end_turn")

const modelOf = (reply: MessageReply, requested: unknown) =>
  reply.model ?? (typeof requested === "string" ? requested : "wire-model")

// ---------------------------------------------------------------------------------------------------------
// errors
// ---------------------------------------------------------------------------------------------------------

const anthropicErrorType = (status: number): string =>
  ({
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error"
  })[status] ?? (status >= 500 ? "api_error" : "invalid_request_error")

const openAiErrorType = (status: number): { type: string; code: string | null } =>
  status === 401
    ? { type: "invalid_request_error", code: "invalid_api_key" }
    : status === 429
      ? { type: "requests", code: "rate_limit_exceeded" }
      : status === 529
        ? { type: "server_error", code: "overloaded" }
        : status >= 500
          ? { type: "server_error", code: null }
          : { type: "invalid_request_error", code: null }

/**
 * The JSON body of an HTTP error in `protocol`'s shape.
 *
 * @since 0.1.0
 * @category rendering
 */
export const errorBody = (
  protocol: Protocol,
  status: number,
  message: string,
  override?: { readonly type?: string | undefined; readonly code?: string | undefined }
): unknown => {
  if (protocol === "anthropic") {
    return {
      type: "error",
      error: { type: override?.type ?? anthropicErrorType(status), message },
      request_id: "req_wire"
    }
  }
  const t = openAiErrorType(status)
  return { error: { message, type: override?.type ?? t.type, param: null, code: override?.code ?? t.code } }
}

/**
 * The SSE frame of a mid-stream error in `protocol`'s shape.
 *
 * @since 0.1.0
 * @category rendering
 */
export const streamErrorFrame = (
  protocol: Protocol,
  kind: StreamErrorKind,
  message: string,
  sequence: number,
  style: "error" | "failed" = "error"
): Frame => {
  if (protocol === "anthropic") {
    const type = kind === "overloaded" ? "overloaded_error" : kind === "rate_limit" ? "rate_limit_error" : "api_error"
    return { event: "error", data: JSON.stringify({ type: "error", error: { type, message } }) }
  }
  if (protocol === "chat") {
    const error =
      kind === "overloaded"
        ? { message, type: "server_error", param: null, code: "server_is_overloaded" }
        : kind === "rate_limit"
          ? { message, type: "requests", param: null, code: "rate_limit_exceeded" }
          : { message, type: "server_error", param: null, code: null }
    return { data: JSON.stringify({ error }) }
  }
  const code = kind === "overloaded" ? "server_is_overloaded" : kind === "rate_limit" ? "rate_limit_exceeded" : "server_error"
  if (style === "failed") {
    return {
      event: "response.failed",
      data: JSON.stringify({
        type: "response.failed",
        sequence_number: sequence,
        response: { id: "resp_failed", object: "response", status: "failed", error: { code, message }, output: [] }
      })
    }
  }
  return { event: "error", data: JSON.stringify({ type: "error", code, message, param: null, sequence_number: sequence }) }
}

// ---------------------------------------------------------------------------------------------------------
// Anthropic Messages
// ---------------------------------------------------------------------------------------------------------

const anthropicUsage = (u: Usage) => {
  const read = u.cachedRead ?? 0
  const write = u.cacheWrite ?? 0
  return {
    input_tokens: u.input - read - write,
    output_tokens: u.output,
    cache_creation_input_tokens: write,
    cache_read_input_tokens: read,
    ...(u.reasoning !== undefined ? { output_tokens_details: { thinking_tokens: u.reasoning } } : {})
  }
}

const anthropicBlock = (b: Block): unknown => {
  switch (b.type) {
    case "text":
      return { type: "text", text: b.text, citations: null }
    case "tool_call":
      return { type: "tool_use", id: b.id, name: b.name, input: argumentsObject(b), caller: { type: "direct" } }
    case "thinking":
      return { type: "thinking", thinking: b.text, signature: b.signature }
    case "redacted_thinking":
      return { type: "redacted_thinking", data: b.data }
  }
}

const anthropicMessage = (reply: MessageReply, model: string, n: number) => ({
  id: reply.id ?? `msg_wire_${n}`,
  type: "message",
  role: "assistant",
  model,
  content: reply.blocks.map(anthropicBlock),
  stop_reason: stopReasonOf(reply),
  stop_sequence: null,
  stop_details: null,
  usage: anthropicUsage(reply.usage ?? DEFAULT_USAGE)
})

const anthropicFrames = (reply: MessageReply, model: string, n: number): Array<Frame> => {
  const frames: Array<Frame> = []
  const push = (type: string, payload: Record<string, unknown>) =>
    frames.push({ event: type, data: JSON.stringify({ type, ...payload }) })
  const usage = anthropicUsage(reply.usage ?? DEFAULT_USAGE)
  push("message_start", {
    message: {
      id: reply.id ?? `msg_wire_${n}`,
      type: "message",
      role: "assistant",
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...usage, output_tokens: 1 }
    }
  })
  reply.blocks.forEach((b, index) => {
    switch (b.type) {
      case "text":
        push("content_block_start", { index, content_block: { type: "text", text: "" } })
        if (index === 0) frames.push({ event: "ping", data: JSON.stringify({ type: "ping" }) })
        for (const d of textDeltas(b.text)) push("content_block_delta", { index, delta: { type: "text_delta", text: d } })
        break
      case "thinking":
        push("content_block_start", { index, content_block: { type: "thinking", thinking: "", signature: "" } })
        for (const d of textDeltas(b.text)) push("content_block_delta", { index, delta: { type: "thinking_delta", thinking: d } })
        push("content_block_delta", { index, delta: { type: "signature_delta", signature: b.signature } })
        break
      case "redacted_thinking":
        push("content_block_start", { index, content_block: { type: "redacted_thinking", data: b.data } })
        break
      case "tool_call":
        push("content_block_start", { index, content_block: { type: "tool_use", id: b.id, name: b.name, input: {} } })
        push("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: "" } })
        for (const f of argumentFragments(argumentsText(b))) {
          push("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: f } })
        }
        break
    }
    push("content_block_stop", { index })
  })
  push("message_delta", {
    delta: { stop_reason: stopReasonOf(reply), stop_sequence: null },
    usage: {
      output_tokens: usage.output_tokens,
      ...("output_tokens_details" in usage ? { output_tokens_details: usage.output_tokens_details } : {})
    }
  })
  push("message_stop", {})
  return frames
}

// ---------------------------------------------------------------------------------------------------------
// OpenAI Chat Completions
// ---------------------------------------------------------------------------------------------------------

const chatUsage = (u: Usage) => ({
  prompt_tokens: u.input,
  completion_tokens: u.output,
  total_tokens: u.input + u.output,
  prompt_tokens_details: { cached_tokens: u.cachedRead ?? 0, audio_tokens: 0, ...(u.cacheWrite ? { cache_write_tokens: u.cacheWrite } : {}) },
  completion_tokens_details: { reasoning_tokens: u.reasoning ?? 0, audio_tokens: 0 }
})

const chatFinish = (reply: MessageReply) => {
  const s = stopReasonOf(reply)
  return s === "tool_use" ? "tool_calls" : s === "max_tokens" ? "length" : "stop"
}

const chatCompletion = (reply: MessageReply, model: string, n: number) => {
  const text = reply.blocks.flatMap((b) => (b.type === "text" ? [b.text] : [])).join("")
  const reasoning = reply.blocks.flatMap((b) => (b.type === "thinking" ? [b.text] : [])).join("")
  const calls = reply.blocks.flatMap((b) =>
    b.type === "tool_call" ? [{ id: b.id, type: "function", function: { name: b.name, arguments: argumentsText(b) } }] : []
  )
  return {
    id: reply.id ?? `chatcmpl-wire-${n}`,
    object: "chat.completion",
    created: 1_700_000_000,
    model,
    system_fingerprint: "fp_wire",
    choices: [
      {
        index: 0,
        finish_reason: chatFinish(reply),
        logprobs: null,
        message: {
          role: "assistant",
          content: text === "" ? null : text,
          refusal: null,
          annotations: [],
          // What vLLM / DeepSeek-style servers add; the official API has no such field.
          ...(reasoning !== "" ? { reasoning_content: reasoning } : {}),
          ...(calls.length > 0 ? { tool_calls: calls } : {})
        }
      }
    ],
    usage: chatUsage(reply.usage ?? DEFAULT_USAGE)
  }
}

const chatFrames = (reply: MessageReply, model: string, n: number, includeUsage: boolean): Array<Frame> => {
  const id = reply.id ?? `chatcmpl-wire-${n}`
  const frames: Array<Frame> = []
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
    frames.push({
      data: JSON.stringify({
        id,
        object: "chat.completion.chunk",
        created: 1_700_000_000,
        model,
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
        ...(includeUsage ? { usage: null } : {})
      })
    })
  chunk({ role: "assistant", content: "", refusal: null })
  let toolIndex = 0
  for (const b of reply.blocks) {
    if (b.type === "thinking") for (const d of textDeltas(b.text)) chunk({ reasoning_content: d })
    if (b.type === "text") for (const d of textDeltas(b.text)) chunk({ content: d })
    if (b.type === "tool_call") {
      const index = toolIndex++
      chunk({ tool_calls: [{ index, id: b.id, type: "function", function: { name: b.name, arguments: "" } }] })
      for (const f of argumentFragments(argumentsText(b))) chunk({ tool_calls: [{ index, function: { arguments: f } }] })
    }
  }
  chunk({}, chatFinish(reply))
  if (includeUsage) {
    frames.push({
      data: JSON.stringify({
        id,
        object: "chat.completion.chunk",
        created: 1_700_000_000,
        model,
        choices: [],
        usage: chatUsage(reply.usage ?? DEFAULT_USAGE)
      })
    })
  }
  frames.push({ data: "[DONE]" })
  return frames
}

// ---------------------------------------------------------------------------------------------------------
// OpenAI Responses
// ---------------------------------------------------------------------------------------------------------

const responsesUsage = (u: Usage) => ({
  input_tokens: u.input,
  input_tokens_details: { cached_tokens: u.cachedRead ?? 0, ...(u.cacheWrite ? { cache_write_tokens: u.cacheWrite } : {}) },
  output_tokens: u.output,
  output_tokens_details: { reasoning_tokens: u.reasoning ?? 0 },
  total_tokens: u.input + u.output
})

const responsesItem = (b: Block, i: number): Record<string, unknown> => {
  switch (b.type) {
    case "text":
      return {
        id: `msg_wire_${i}`,
        type: "message",
        role: "assistant",
        status: "completed",
        content: [{ type: "output_text", text: b.text, annotations: [], logprobs: [] }]
      }
    case "thinking":
      return {
        id: b.id ?? `rs_wire_${i}`,
        type: "reasoning",
        summary: [{ type: "summary_text", text: b.text }],
        encrypted_content: b.signature
      }
    case "redacted_thinking":
      return { id: b.id ?? `rs_wire_${i}`, type: "reasoning", summary: [], encrypted_content: b.data }
    case "tool_call":
      return {
        id: `fc_wire_${i}`,
        type: "function_call",
        status: "completed",
        call_id: b.id,
        name: b.name,
        arguments: argumentsText(b)
      }
  }
}

const responseObject = (reply: MessageReply, model: string, n: number, status: "in_progress" | "completed") => {
  const maxed = stopReasonOf(reply) === "max_tokens"
  return {
    id: reply.id ?? `resp_wire_${n}`,
    object: "response",
    created_at: 1_700_000_000,
    status: status === "completed" && maxed ? "incomplete" : status,
    model,
    error: null,
    incomplete_details: status === "completed" && maxed ? { reason: "max_output_tokens" } : null,
    instructions: null,
    parallel_tool_calls: true,
    temperature: 1,
    top_p: 1,
    tool_choice: "auto",
    tools: [],
    text: { format: { type: "text" } },
    store: false,
    truncation: "disabled",
    metadata: {},
    output: status === "completed" ? reply.blocks.map(responsesItem) : [],
    ...(status === "completed" ? { usage: responsesUsage(reply.usage ?? DEFAULT_USAGE) } : {})
  }
}

const responsesFrames = (reply: MessageReply, model: string, n: number): Array<Frame> => {
  const frames: Array<Frame> = []
  let seq = 0
  const push = (type: string, payload: Record<string, unknown>) =>
    frames.push({ event: type, data: JSON.stringify({ type, sequence_number: seq++, ...payload }) })
  push("response.created", { response: responseObject(reply, model, n, "in_progress") })
  push("response.in_progress", { response: responseObject(reply, model, n, "in_progress") })
  reply.blocks.forEach((b, output_index) => {
    const done = responsesItem(b, output_index)
    const item_id = done["id"]
    switch (b.type) {
      case "text":
        push("response.output_item.added", { output_index, item: { ...done, status: "in_progress", content: [] } })
        push("response.content_part.added", {
          item_id,
          output_index,
          content_index: 0,
          part: { type: "output_text", text: "", annotations: [] }
        })
        for (const d of textDeltas(b.text)) {
          push("response.output_text.delta", { item_id, output_index, content_index: 0, delta: d, logprobs: [] })
        }
        push("response.output_text.done", { item_id, output_index, content_index: 0, text: b.text, logprobs: [] })
        push("response.content_part.done", {
          item_id,
          output_index,
          content_index: 0,
          part: { type: "output_text", text: b.text, annotations: [] }
        })
        break
      case "thinking":
        push("response.output_item.added", { output_index, item: { id: item_id, type: "reasoning", summary: [] } })
        push("response.reasoning_summary_part.added", {
          item_id,
          output_index,
          summary_index: 0,
          part: { type: "summary_text", text: "" }
        })
        for (const d of textDeltas(b.text)) {
          push("response.reasoning_summary_text.delta", { item_id, output_index, summary_index: 0, delta: d })
        }
        push("response.reasoning_summary_text.done", { item_id, output_index, summary_index: 0, text: b.text })
        push("response.reasoning_summary_part.done", {
          item_id,
          output_index,
          summary_index: 0,
          part: { type: "summary_text", text: b.text }
        })
        break
      case "redacted_thinking":
        push("response.output_item.added", { output_index, item: { id: item_id, type: "reasoning", summary: [] } })
        break
      case "tool_call":
        push("response.output_item.added", { output_index, item: { ...done, status: "in_progress", arguments: "" } })
        for (const f of argumentFragments(argumentsText(b))) {
          push("response.function_call_arguments.delta", { item_id, output_index, delta: f })
        }
        push("response.function_call_arguments.done", { item_id, output_index, arguments: argumentsText(b) })
        break
    }
    push("response.output_item.done", { output_index, item: done })
  })
  const final = responseObject(reply, model, n, "completed")
  push(final.status === "incomplete" ? "response.incomplete" : "response.completed", { response: final })
  return frames
}

// ---------------------------------------------------------------------------------------------------------
// entry points
// ---------------------------------------------------------------------------------------------------------

/**
 * The non-streaming JSON body of `reply`. `n` numbers the reply (ids).
 *
 * @since 0.1.0
 * @category rendering
 */
export const renderJson = (protocol: Protocol, reply: MessageReply, requestBody: Record<string, unknown>, n: number): unknown => {
  const model = modelOf(reply, requestBody["model"])
  switch (protocol) {
    case "anthropic":
      return anthropicMessage(reply, model, n)
    case "chat":
      return chatCompletion(reply, model, n)
    case "responses":
      return responseObject(reply, model, n, "completed")
  }
}

/**
 * The SSE frames of `reply`.
 *
 * @since 0.1.0
 * @category rendering
 */
export const renderFrames = (
  protocol: Protocol,
  reply: MessageReply,
  requestBody: Record<string, unknown>,
  n: number
): Array<Frame> => {
  const model = modelOf(reply, requestBody["model"])
  switch (protocol) {
    case "anthropic":
      return anthropicFrames(reply, model, n)
    case "chat": {
      const options = requestBody["stream_options"] as { include_usage?: boolean } | undefined
      return chatFrames(reply, model, n, options?.include_usage === true)
    }
    case "responses":
      return responsesFrames(reply, model, n)
  }
}

/**
 * Writes one frame in SSE syntax (`event:` line when the frame has one).
 *
 * @since 0.1.0
 * @category rendering
 */
export const encodeFrame = (frame: Frame): string =>
  `${frame.event !== undefined ? `event: ${frame.event}\n` : ""}data: ${frame.data}\n\n`

/**
 * The text of the last user input of a request, for the echo fallback.
 *
 * @since 0.1.0
 * @category rendering
 */
export const lastUserText = (protocol: Protocol, body: Record<string, unknown>): { text: string; afterTool: string | undefined } => {
  const list = (protocol === "responses" ? body["input"] : body["messages"]) as Array<Record<string, unknown>> | undefined
  const last = Array.isArray(list) ? list[list.length - 1] : undefined
  if (!last) return { text: "", afterTool: undefined }
  if (protocol === "chat" && last["role"] === "tool") return { text: "", afterTool: String(last["content"]) }
  if (protocol === "responses" && last["type"] === "function_call_output") return { text: "", afterTool: String(last["output"]) }
  const content = last["content"]
  if (typeof content === "string") return { text: content, afterTool: undefined }
  if (Array.isArray(content)) {
    const toolResult = content.find((c: Record<string, unknown>) => c["type"] === "tool_result") as Record<string, unknown> | undefined
    if (toolResult) return { text: "", afterTool: String(toolResult["content"]) }
    return {
      text: content.map((c: Record<string, unknown>) => (typeof c["text"] === "string" ? c["text"] : "")).join(""),
      afterTool: undefined
    }
  }
  return { text: "", afterTool: undefined }
}
