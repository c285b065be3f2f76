/**
 * The embedded default model (`llm.provider: "mock"`): deterministic, offline, and scriptable.
 *
 * Without a script it echoes: `Echo: <input> (history=N)` where N counts the earlier user turns it was
 * given; `/tool <id> <rest>` calls tool `<id>` with `rest` parsed as a JSON object (or `{"query": rest}`);
 * after a tool result it answers `Tool[<id>] => <result JSON>`.
 *
 * With a script it plays steps (text, tool calls, usage, a delay on the Effect clock, or an error of any
 * kind) where the conversation it is given stands, as a real model would: the script position is the
 * number of assistant messages in the request, never a counter of the process, so a durable run resumed
 * in a new process, a retried call and concurrent sessions on one model each get their own step. The
 * script reads as turns: zero or more `error` steps, then one answering step; the errors belong to the
 * attempts of one conversation (counted per conversation in the model instance), so its first call
 * meets the first error, a retry the next, and then the answer, while a restart at worst replays a
 * transient error, as a flaky provider would. Past the end of the script every call plays its last step.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
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
  ModelUsage
} from "../kernel/Transcript.js"
import { LanguageModel, make as makeLanguageModel } from "./LanguageModel.js"
import type * as Pricing from "./Pricing.js"

/**
 * The kinds of error a script step can raise, as in `llm.script[].error.kind`.
 *
 * @since 0.1.0
 * @category models
 */
export type MockErrorKind = "rate_limit" | "overloaded" | "connection" | "timeout" | "invalid_request" | "auth"

/**
 * One scripted step: an answer (text, tool calls, usage), or an `error` that an attempt meets before
 * the answer that follows it; `delayMs` is waited whenever the step is played.
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
  /** The steps to play; the step a call plays depends on its conversation, see {@link make}. */
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
 * One turn of a script: the errors a conversation meets on its successive attempts, then its answer
 * (`undefined` when the script ends with errors: the last one then repeats).
 */
interface Turn {
  readonly errors: ReadonlyArray<MockStep>
  readonly answer: MockStep | undefined
}

const turnsOf = (script: ReadonlyArray<MockStep>): ReadonlyArray<Turn> => {
  const turns: Array<Turn> = []
  let errors: Array<MockStep> = []
  for (const step of script) {
    if (step.error) errors.push(step)
    else {
      turns.push({ errors, answer: step })
      errors = []
    }
  }
  if (errors.length > 0) turns.push({ errors, answer: undefined })
  return turns
}

/** The conversation's position in the script: how many times the model has answered in it so far. */
const positionOf = (messages: ReadonlyArray<Message>): number => {
  let n = 0
  for (const m of messages) if (m._tag === "assistant") n++
  return n
}

/**
 * A 53-bit hash (cyrb53) of the conversation, the key of its attempt count: a retry sends the same
 * request, so it finds the count of the attempts before it; another conversation never does.
 */
const fingerprint = (request: ModelRequest): number => {
  const text = JSON.stringify([request.system ?? null, request.messages])
  let h1 = 0xdeadbeef
  let h2 = 0x41c6ce57
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    h1 = Math.imul(h1 ^ c, 2654435761)
    h2 = Math.imul(h2 ^ c, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  return 4294967296 * (2097151 & h2) + (h1 >>> 0)
}

/** How many conversations' attempt counts the mock keeps; past it the oldest is forgotten. */
const MAX_TRACKED_ATTEMPTS = 1024

/** What one call plays: its step, and what to do once the step has answered. */
interface Play {
  readonly position: number
  readonly step: MockStep | undefined
  /** Forgets the conversation's attempts once its answer was delivered (a later, new attempt starts over). */
  readonly answered: Effect.Effect<void>
}

/**
 * Builds a mock model.
 *
 * The script position follows the conversation, never a counter of the process: a call answers with
 * the turn numbered by the assistant messages in its request, so a run resumed in a new process, a
 * retried call and concurrent sessions each get the step their conversation is at. The script is read
 * as turns: zero or more `error` steps, then one answering step. A conversation meets its turn's errors
 * on its successive attempts (counted in this model instance, per conversation, for the latest 1024
 * conversations; forgotten once answered), then the answer; a restart at worst replays a transient
 * error, as a flaky provider would. A delay belongs to the step that is played. Past the end of the
 * script, every call plays its last step.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: Options): Effect.Effect<LanguageModel["Type"]> =>
  Effect.sync(() => {
    const script = options?.script ?? []
    const model = options?.model ?? "mock"
    const turns = turnsOf(script)
    const last = script.at(-1)
    // attempts so far per conversation fingerprint; a Map keeps insertion order, so the first key is the oldest
    const attempts = new Map<number, number>()

    const play = (request: ModelRequest): Play => {
      const position = positionOf(request.messages)
      if (script.length === 0) return { position, step: undefined, answered: Effect.void }
      const turn = turns[position]
      if (turn === undefined) return { position, step: last, answered: Effect.void }
      // no errors to count (the common case): no fingerprint, no map
      if (turn.errors.length === 0) return { position, step: turn.answer, answered: Effect.void }
      const key = fingerprint(request)
      const attempt = attempts.get(key) ?? 0
      if (attempt < turn.errors.length || turn.answer === undefined) {
        attempts.delete(key)
        if (attempts.size >= MAX_TRACKED_ATTEMPTS) attempts.delete(attempts.keys().next().value!)
        attempts.set(key, attempt + 1)
        return { position, step: turn.errors[Math.min(attempt, turn.errors.length - 1)], answered: Effect.void }
      }
      return { position, step: turn.answer, answered: Effect.sync(() => attempts.delete(key)) }
    }

    const responseOf = (request: ModelRequest, position: number, step: MockStep | undefined): ModelResponse => {
      const content: Array<AssistantPart> = []
      if (step) {
        if (step.text) content.push({ _tag: "text", text: step.text })
        step.toolCalls?.forEach((c, i) =>
          content.push({ _tag: "tool_call", id: c.id ?? `call_${position}_${i}`, name: c.name, arguments: c.arguments })
        )
      } else {
        const reply = echo(request)
        if (reply.text) content.push({ _tag: "text", text: reply.text })
        if (reply.toolCall) {
          content.push({ _tag: "tool_call", id: `call_${position}_0`, name: reply.toolCall.name, arguments: reply.toolCall.arguments })
        }
      }
      let outChars = 0
      for (const p of content) outChars += p._tag === "text" ? p.text.length : p._tag === "tool_call" ? JSON.stringify(p.arguments ?? null).length : 0
      const usage: ModelUsage = {
        inputTokens: step?.usage?.inputTokens ?? estimate(charsOf(request.messages, request.system)),
        outputTokens: step?.usage?.outputTokens ?? estimate(outChars),
        cachedInputTokens: step?.usage?.cachedInputTokens ?? 0,
        cacheCreationInputTokens: 0,
        reasoningTokens: 0
      }
      return {
        content,
        stopReason: content.some((p) => p._tag === "tool_call") ? "tool_use" : "end_turn",
        usage,
        model,
        responseId: `mock-${position}`
      }
    }

    /** The played step after its delay (on the Effect clock), then `deliver` for an answer. */
    const respond = <A>(
      request: ModelRequest,
      deliver: (response: ModelResponse) => Effect.Effect<A>
    ): Effect.Effect<A, LlmError> =>
      Effect.suspend(() => {
        const { answered, position, step } = play(request)
        const outcome: Effect.Effect<A, LlmError> = step?.error
          ? Effect.fail(errorOf(step.error))
          : Effect.tap(Effect.suspend(() => deliver(responseOf(request, position, step))), () => answered)
        return step?.delayMs ? Effect.zipRight(Effect.sleep(Duration.millis(step.delayMs)), outcome) : outcome
      })

    return makeLanguageModel({
      provider: "mock",
      model,
      pricing: options?.pricing,
      // deltas pushed in a plain loop of effects: no Stream, queue or fiber per call
      streamTo: (request, onDelta) =>
        respond(request, (response) => {
          const text = response.content.flatMap((p) => (p._tag === "text" ? [p.text] : [])).join("")
          return Effect.as(
            Effect.forEach(deltas(text), (t) => onDelta({ _tag: "TextDelta", text: t }), { discard: true }),
            response
          )
        }),
      generate: (request) => respond(request, Effect.succeed)
    })
  })

/**
 * The mock model as a Layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: Options): Layer.Layer<LanguageModel> => Layer.effect(LanguageModel, make(options))
