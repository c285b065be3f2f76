/**
 * Which units of the history each token-budget assembler keeps, given the tokens left once the system
 * prompt, tools and latest user message are counted. Every strategy returns its units in chronological
 * order. Private to the context seam.
 */
import type { Message } from "../../kernel/Transcript.js"
import type { Unit } from "./units.js"

/** What a strategy keeps, and the summary message it puts where it omitted messages. */
export interface Selection {
  readonly head: ReadonlyArray<Unit>
  readonly tail: ReadonlyArray<Unit>
  /** Inserted between `head` and `tail` when messages were omitted. */
  readonly summary: ((omitted: number) => string) | undefined
}

/** Newest units first, stopping at the first that does not fit (the kept part stays contiguous). */
const newest = (
  units: ReadonlyArray<Unit>,
  available: number,
  maxMessages: number,
  stopAt = 0
): ReadonlyArray<Unit> => {
  const kept: Array<Unit> = []
  let tokens = 0
  let messages = 0
  for (let i = units.length - 1; i >= stopAt; i--) {
    const u = units[i]!
    if (tokens + u.tokens > available || messages + u.messages.length > maxMessages) break
    kept.push(u)
    tokens += u.tokens
    messages += u.messages.length
  }
  return kept.reverse()
}

/** `sliding_window`: the newest messages that fit. */
export const slidingWindow = (units: ReadonlyArray<Unit>, available: number): Selection => ({
  head: [],
  tail: newest(units, available, Number.POSITIVE_INFINITY),
  summary: undefined
})

/** `truncating`: the last `maxMessages` messages (that also fit, when a token budget is set). */
export const truncating = (
  units: ReadonlyArray<Unit>,
  available: number,
  maxMessages: number,
  withSummary: boolean
): Selection => ({
  head: [],
  tail: newest(units, available, maxMessages),
  summary: withSummary ? (k) => `Summary: omitted ${k} older message(s)` : undefined
})

/** `head_tail`: the first `headMessages` messages, then the newest that fit, a summary between. */
export const headTail = (units: ReadonlyArray<Unit>, available: number, headMessages: number): Selection => {
  const head: Array<Unit> = []
  let tokens = 0
  let messages = 0
  for (const u of units) {
    if (tokens + u.tokens > available || messages + u.messages.length > headMessages) break
    head.push(u)
    tokens += u.tokens
    messages += u.messages.length
  }
  return {
    head,
    tail: newest(units, available - tokens, Number.POSITIVE_INFINITY, head.length),
    summary: (k) => `Summary: omitted ${k} message(s) from the middle.`
  }
}

/**
 * The Python SDK's importance score of a message at `index` of a history of `n`: the first system message
 * 1000; tool results 900, user 800, assistant 500, anything else 100, each minus its age (0 for the newest).
 */
export const importance = (m: Message, index: number, n: number): number => {
  if (index === 0 && m._tag === "system") return 1000
  const age = n - 1 - index
  switch (m._tag) {
    case "tool":
      return 900 - age
    case "user":
      return 800 - age
    case "assistant":
      return 500 - age
    default:
      return 100 - age
  }
}

/** `importance_weighted`: units by score (a unit scores as its best message), greedily while they fit. */
export const importanceWeighted = (units: ReadonlyArray<Unit>, available: number, n: number): Selection => {
  const scored = units.map((u) => ({
    u,
    score: Math.max(...u.messages.map((m, k) => importance(m, u.index + k, n)))
  }))
  // higher score first; between equals, the newer
  scored.sort((a, b) => b.score - a.score || b.u.index - a.u.index)
  const kept: Array<Unit> = []
  let tokens = 0
  for (const { u } of scored) {
    if (tokens + u.tokens <= available) {
      kept.push(u)
      tokens += u.tokens
    }
  }
  kept.sort((a, b) => a.index - b.index)
  return { head: [], tail: kept, summary: undefined }
}
