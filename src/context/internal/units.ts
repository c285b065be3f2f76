/**
 * The history as the token-budget assemblers see it: units that are kept or dropped whole (a message, or
 * an assistant message with tool calls together with its tool results, since a provider rejects a tool
 * result whose call is missing), each with its token count. Private to the context seam.
 */
import type { Message, ToolSpec } from "../../kernel/Transcript.js"
import type { Counter } from "./tokenizer.js"

/** Tokens added per message for its role and separators (OpenAI's chat format spends 3 to 4). */
export const MESSAGE_OVERHEAD = 4
/** Tokens that prime the model's reply. */
export const REPLY_PRIMING = 3

/** The text of a message that is counted: its content, tool call names and arguments, reasoning. */
export const messageText = (m: Message): string => {
  switch (m._tag) {
    case "system":
    case "user":
      return m.content
    case "tool":
      return m.content
    case "assistant":
      return m.content
        .map((p) =>
          p._tag === "text" || p._tag === "reasoning"
            ? p.text
            : `${p.name} ${p.rawArguments ?? JSON.stringify(p.arguments ?? {})}`
        )
        .join("\n")
  }
}

/** The tokens of one message as sent. */
export const messageTokens = (counter: Counter, m: Message): number => counter.count(messageText(m)) + MESSAGE_OVERHEAD

/** Messages kept or dropped together. */
export interface Unit {
  /** Position of the unit's first message in the history. */
  readonly index: number
  readonly messages: ReadonlyArray<Message>
  readonly tokens: number
}

const callIds = (m: Message): ReadonlySet<string> =>
  m._tag === "assistant"
    ? new Set(m.content.flatMap((p) => (p._tag === "tool_call" ? [p.id] : [])))
    : new Set()

/**
 * The history in units. A tool result joins the assistant message that made its call; one whose call is
 * not right before it (an orphan, which no provider accepts) is dropped and counted in `orphans`.
 */
export const unitsOf = (
  counter: Counter,
  history: ReadonlyArray<Message>
): { readonly units: ReadonlyArray<Unit>; readonly orphans: number } => {
  const units: Array<{ index: number; messages: Array<Message>; calls: ReadonlySet<string> }> = []
  let orphans = 0
  history.forEach((m, index) => {
    const last = units[units.length - 1]
    if (m._tag === "tool") {
      if (last !== undefined && last.calls.has(m.toolCallId)) last.messages.push(m)
      else orphans++
      return
    }
    units.push({ index, messages: [m], calls: callIds(m) })
  })
  return {
    units: units.map((u) => ({
      index: u.index,
      messages: u.messages,
      tokens: u.messages.reduce((n, m) => n + messageTokens(counter, m), 0)
    })),
    orphans
  }
}

/**
 * What every request carries whatever the history: the system prompt, the tool specs, the latest user
 * message and the reply priming.
 */
export const fixedTokens = (
  counter: Counter,
  input: { readonly system?: string | undefined; readonly tools?: ReadonlyArray<ToolSpec> | undefined; readonly latest: string }
): { readonly system: number; readonly tools: number; readonly latest: number } => ({
  system: input.system ? counter.count(input.system) + MESSAGE_OVERHEAD : 0,
  tools: input.tools && input.tools.length > 0 ? counter.count(JSON.stringify(input.tools)) : 0,
  latest: counter.count(input.latest) + MESSAGE_OVERHEAD + REPLY_PRIMING
})

/** The number of messages of some units. */
export const messageCount = (units: ReadonlyArray<Unit>): number => units.reduce((n, u) => n + u.messages.length, 0)
