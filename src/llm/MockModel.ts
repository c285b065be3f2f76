/**
 * The embedded default model (`llm.provider: "mock"`): deterministic, offline, and scriptable.
 *
 * Without a script it echoes: `Echo: <input> (history=N)` where N counts the earlier user turns it was
 * given; `/tool <id> <rest>` calls tool `<id>` with `rest` parsed as a JSON object (or `{"query": rest}`);
 * after a tool result it answers `Tool[<id>] => <result JSON>`.
 *
 * With a script it plays the steps in order across its whole life (repeating the last one when the
 * script is exhausted): text, tool calls, usage, a delay on the Effect clock, or an error of any kind.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import {
  type LlmError,
  LlmAuth,
  LlmConnection,
  LlmInvalidRequest,
  LlmOverloaded,
  LlmRateLimited,
  LlmTimeout
} from "../kernel/Errors.js"
import type {
  AssistantPart,
  Message,
  ModelRequest,
  ModelResponse,
  ModelStreamEvent,
  ModelUsage
} from "../kernel/Transcript.js"
import { LanguageModel } from "./LanguageModel.js"
import type * as Pricing from "./Pricing.js"

/**
 * The kinds of error a script step can raise, as in `llm.script[].error.kind`.
 *
 * @since 0.1.0
 * @category models
 */
export type MockErrorKind = "rate_limit" | "overloaded" | "connection" | "timeout" | "invalid_request" | "auth"

/**
 * One scripted step.
 *
 * @since 0.1.0
 * @category models
 */
export interface MockStep {
  readonly text?: string | undefined
  readonly toolCalls?:
    | ReadonlyArray<{ readonly name: string; readonly arguments: unknown; readonly id?: string | undefined }>
    | undefined
  readonly usage?:
    | { readonly inputTokens?: number; readonly outputTokens?: number; readonly cachedInputTokens?: number }
    | undefined
  readonly delayMs?: number | undefined
  readonly error?:
    | { readonly kind: MockErrorKind; readonly retryAfterMs?: number | undefined; readonly message?: string | undefined }
    | undefined
}

/**
 * Options of the mock model.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly model?: string | undefined
  readonly script?: ReadonlyArray<MockStep> | undefined
  /** A price, so cost budgets can be exercised offline (the mock has none by default). */
  readonly pricing?: Pricing.Pricing | undefined
}

const errorOf = (error: NonNullable<MockStep["error"]>): LlmError => {
  const base = { provider: "mock", message: error.message ?? `mock ${error.kind} error` }
  switch (error.kind) {
    case "rate_limit":
      return new LlmRateLimited({ ...base, status: 429, ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}) })
    case "overloaded":
      return new LlmOverloaded({ ...base, status: 529, ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}) })
    case "connection":
      return new LlmConnection(base)
    case "timeout":
      return new LlmTimeout(base)
    case "invalid_request":
      return new LlmInvalidRequest({ ...base, status: 400 })
    case "auth":
      return new LlmAuth({ ...base, status: 401, hint: "the mock was scripted to reject the credentials" })
  }
}

const charsOf = (messages: ReadonlyArray<Message>, system: string | undefined): number => {
  let n = system?.length ?? 0
  for (const m of messages) {
    if (m._tag === "assistant") {
      for (const p of m.content) n += p._tag === "tool_call" ? JSON.stringify(p.arguments ?? null).length : p.text.length
    } else n += m.content.length
  }
  return n
}

const estimate = (chars: number) => (chars === 0 ? 0 : Math.max(1, Math.floor(chars / 4)))

const parseRest = (rest: string): unknown => {
  try {
    const parsed: unknown = JSON.parse(rest)
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return parsed
  } catch {
    // not JSON: the text is the query
  }
  return { query: rest }
}

/**
 * The echo behaviour, as a pure function of the request.
 *
 * @since 0.1.0
 * @category computations
 */
export const echo = (request: ModelRequest): { readonly text: string; readonly toolCall?: { name: string; arguments: unknown } } => {
  const messages = request.messages
  let lastUser = -1
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]!._tag === "user") {
      lastUser = i
      break
    }
  }
  const input = lastUser >= 0 ? (messages[lastUser] as { content: string }).content.trim() : ""
  const after = messages.slice(lastUser + 1)
  const lastTool = [...after].reverse().find((m) => m._tag === "tool")
  if (lastTool && lastTool._tag === "tool") return { text: `Tool[${lastTool.toolName}] => ${lastTool.content}` }
  if (input === "/tool" || input.startsWith("/tool ") || input.startsWith("/tool\t")) {
    const rest = input.slice(5).trim()
    if (rest === "") return { text: "Usage: /tool <tool_id> <query>" }
    const match = /^(\S+)\s*([\s\S]*)$/.exec(rest)!
    return { text: "", toolCall: { name: match[1]!, arguments: parseRest(match[2]!.trim()) } }
  }
  const history = messages.slice(0, Math.max(0, lastUser)).filter((m) => m._tag === "user").length
  return { text: `Echo: ${input} (history=${history})` }
}

/** Splits text into a few deltas (word by word, spaces kept) so streaming is observable. */
const deltas = (text: string): Array<string> => text.match(/\S+\s*|\s+/g) ?? []

/**
 * Builds a mock model.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: Options): Effect.Effect<LanguageModel["Type"]> =>
  Effect.sync(() => {
    const script = options?.script ?? []
    const model = options?.model ?? "mock"
    let calls = 0

    const respond = (request: ModelRequest): Effect.Effect<ModelResponse, LlmError> =>
      Effect.suspend(() => {
        const n = calls++
        const step: MockStep | undefined = script.length > 0 ? script[Math.min(n, script.length - 1)] : undefined
        const content: Array<AssistantPart> = []
        if (step) {
          if (step.text) content.push({ _tag: "text", text: step.text })
          step.toolCalls?.forEach((c, i) =>
            content.push({ _tag: "tool_call", id: c.id ?? `call_${n}_${i}`, name: c.name, arguments: c.arguments })
          )
        } else {
          const reply = echo(request)
          if (reply.text) content.push({ _tag: "text", text: reply.text })
          if (reply.toolCall) {
            content.push({ _tag: "tool_call", id: `call_${n}_0`, name: reply.toolCall.name, arguments: reply.toolCall.arguments })
          }
        }
        const outChars = content.reduce(
          (k, p) => k + (p._tag === "text" ? p.text.length : p._tag === "tool_call" ? JSON.stringify(p.arguments ?? null).length : 0),
          0
        )
        const usage: ModelUsage = {
          inputTokens: step?.usage?.inputTokens ?? estimate(charsOf(request.messages, request.system)),
          outputTokens: step?.usage?.outputTokens ?? estimate(outChars),
          cachedInputTokens: step?.usage?.cachedInputTokens ?? 0,
          cacheCreationInputTokens: 0,
          reasoningTokens: 0
        }
        const response: ModelResponse = {
          content,
          stopReason: content.some((p) => p._tag === "tool_call") ? "tool_use" : "end_turn",
          usage,
          model,
          responseId: `mock-${n}`
        }
        const delay = step?.delayMs ? Effect.sleep(Duration.millis(step.delayMs)) : Effect.void
        return delay.pipe(Effect.zipRight(step?.error ? Effect.fail(errorOf(step.error)) : Effect.succeed(response)))
      })

    return LanguageModel.of({
      provider: "mock",
      model,
      pricing: options?.pricing,
      generate: respond,
      stream: (request) =>
        Stream.unwrap(
          Effect.map(respond(request), (response) => {
            const text = response.content.flatMap((p) => (p._tag === "text" ? [p.text] : [])).join("")
            const events: Array<ModelStreamEvent> = deltas(text).map((t) => ({ _tag: "TextDelta", text: t }))
            events.push({ _tag: "Finished", response })
            return Stream.fromIterable(events)
          })
        )
    })
  })

/**
 * The mock model as a Layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: Options): Layer.Layer<LanguageModel> => Layer.effect(LanguageModel, make(options))
