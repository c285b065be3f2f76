/**
 * The token-budget context assemblers of the Python SDK: `truncating`, `sliding_window`, `head_tail` and
 * `importance_weighted`. Each fits the history memory injected into an input budget
 * (`max_input_tokens - reserve_for_response`) that also pays for the system prompt, the tool specs and the
 * latest user message, which is always kept. An assistant message with tool calls and its tool results are
 * kept or dropped together (a provider rejects an orphan tool result).
 *
 * Tokens are counted with OpenAI's tokenizer (the optional peer `gpt-tokenizer`, loaded on first use) for
 * OpenAI models and estimated as `ceil(chars / 4)` for any other; each message adds 4 tokens of overhead
 * and the reply priming 3. A budget that the system prompt, tools and latest user message alone exceed
 * fails the run with a `ConfigError` saying by how much.
 *
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { ConfigError } from "../kernel/Errors.js"
import type { Message } from "../kernel/Transcript.js"
import { type AssembleInput, type Assembly, ContextAssembler } from "./ContextAssembler.js"
import * as Strategies from "./internal/strategies.js"
import { counterFor, type CounterChoice } from "./internal/tokenizer.js"
import { fixedTokens, messageCount, messageTokens, type Unit, unitsOf } from "./internal/units.js"

/**
 * Options every token-budget assembler takes.
 *
 * @since 0.2.0
 * @category models
 */
export interface BudgetOptions {
  /** The model's input window in tokens (default 8000). */
  readonly maxInputTokens?: number | undefined
  /** Tokens left free for the answer (default 2000). */
  readonly reserveForResponse?: number | undefined
  /**
   * How tokens are counted: `auto` (default) uses gpt-tokenizer for OpenAI model ids and falls back to the
   * estimate when it is not installed; `tokenizer` always uses it (an error when it is missing);
   * `estimate` always counts `ceil(chars / 4)`.
   */
  readonly tokenCounter?: CounterChoice | undefined
  /** Where the assembler is configured, for errors (default `context_assembler`). */
  readonly where?: string | undefined
}

/**
 * Options of `truncating`: a message count, and a token budget only when `maxInputTokens` is given.
 *
 * @since 0.2.0
 * @category models
 */
export interface TruncatingOptions extends BudgetOptions {
  /** How many of the newest history messages to keep (default 20). */
  readonly maxMessages?: number | undefined
  /** Prepend `Summary: omitted K older message(s)` when messages were dropped (default true). */
  readonly includeSummaryMessage?: boolean | undefined
}

/**
 * Options of `head_tail`.
 *
 * @since 0.2.0
 * @category models
 */
export interface HeadTailOptions extends BudgetOptions {
  /** How many of the first history messages to keep (default 3). */
  readonly headMessages?: number | undefined
}

type Strategy = (units: ReadonlyArray<Unit>, available: number, history: ReadonlyArray<Message>) => Strategies.Selection

const make = (
  name: string,
  options: BudgetOptions,
  limited: boolean,
  strategy: Strategy
): ContextAssembler["Type"] => {
  const maxInput = options.maxInputTokens ?? 8000
  const reserve = options.reserveForResponse ?? 2000
  const where = options.where ?? "context_assembler"
  const budget = limited ? maxInput - reserve : Number.POSITIVE_INFINITY
  return ContextAssembler.of({
    assemble: (input: AssembleInput) =>
      Effect.gen(function*() {
        const counter = yield* counterFor(options.tokenCounter ?? "auto", input.model)
        const fixed = fixedTokens(counter, { system: input.system, tools: input.tools, latest: input.request.inputText })
        const fixedTotal = fixed.system + fixed.tools + fixed.latest
        if (fixedTotal > budget) {
          return yield* ConfigError.single(
            `${where}.config.max_input_tokens`,
            `the input budget of ${budget} tokens (max_input_tokens ${maxInput} - reserve_for_response ${reserve}) ` +
              `cannot hold what every request carries: ${fixedTotal} tokens (system prompt ${fixed.system}, ` +
              `tool specs ${fixed.tools}, latest user message ${fixed.latest}; counted with ${counter.name})`,
            { hint: "raise max_input_tokens, lower reserve_for_response, or shorten the instructions, skills or input" }
          )
        }
        const { orphans, units } = unitsOf(counter, input.history)
        const total = messageCount(units)
        const selection = strategy(units, budget - fixedTotal, input.history)
        const kept = messageCount(selection.head) + messageCount(selection.tail)
        const omitted = total - kept
        let summary: Message | undefined
        let available = budget - fixedTotal
        if (selection.summary !== undefined && omitted > 0) {
          // the summary is paid for too: chosen again with its tokens set aside (counted for the largest
          // possible count); a budget too tight for it goes without
          const candidate: Message = { _tag: "system", content: selection.summary(total) }
          const left = available - messageTokens(counter, candidate)
          if (left >= 0) {
            summary = candidate
            available = left
          }
        }
        const final = summary === undefined ? selection : strategy(units, available, input.history)
        const finalKept = messageCount(final.head) + messageCount(final.tail)
        const finalOmitted = total - finalKept
        if (summary !== undefined && final.summary !== undefined) {
          summary = finalOmitted > 0 ? { _tag: "system", content: final.summary(finalOmitted) } : undefined
        }
        const messages: Array<Message> = [
          ...final.head.flatMap((u) => u.messages),
          ...(summary !== undefined ? [summary] : []),
          ...final.tail.flatMap((u) => u.messages)
        ]
        const historyTokens = messages.reduce((n, m) => n + messageTokens(counter, m), 0)
        const allTokens = units.reduce((n, u) => n + u.tokens, 0)
        const keptUnitTokens = [...final.head, ...final.tail].reduce((n, u) => n + u.tokens, 0)
        return {
          messages,
          metadata: {
            assembler: name,
            strategy: name,
            budget_input_tokens: limited ? budget : null,
            kept_tokens: fixedTotal + historyTokens,
            history_tokens: historyTokens,
            omitted_messages: finalOmitted + orphans,
            omitted_tokens: allTokens - keptUnitTokens,
            dropped_orphan_tool_results: orphans,
            token_counter: counter.name
          }
        } satisfies Assembly
      })
  })
}

/**
 * `truncating`: the newest `maxMessages` history messages (default 20), and when `maxInputTokens` is given
 * only as many as fit the token budget; `Summary: omitted K older message(s)` is prepended when some were
 * dropped (unless `includeSummaryMessage` is false).
 *
 * @since 0.2.0
 * @category constructors
 */
export const truncating = (options: TruncatingOptions = {}): ContextAssembler["Type"] => {
  const maxMessages = options.maxMessages ?? 20
  const withSummary = options.includeSummaryMessage ?? true
  return make("truncating", options, options.maxInputTokens !== undefined, (units, available) =>
    Strategies.truncating(units, available, maxMessages, withSummary))
}

/**
 * `sliding_window`: the newest history messages that fit the budget.
 *
 * @since 0.2.0
 * @category constructors
 */
export const slidingWindow = (options: BudgetOptions = {}): ContextAssembler["Type"] =>
  make("sliding_window", options, true, (units, available) => Strategies.slidingWindow(units, available))

/**
 * `head_tail`: the first `headMessages` history messages (default 3), then the newest that fit, with
 * `Summary: omitted K message(s) from the middle.` between them when some were dropped.
 *
 * @since 0.2.0
 * @category constructors
 */
export const headTail = (options: HeadTailOptions = {}): ContextAssembler["Type"] => {
  const headMessages = options.headMessages ?? 3
  return make("head_tail", options, true, (units, available) => Strategies.headTail(units, available, headMessages))
}

/**
 * `importance_weighted`: messages by importance (the first system message 1000, tool results 900, user
 * 800, assistant 500, other 100, each minus its age in messages), taken greedily while they fit and sent
 * in their original order.
 *
 * @since 0.2.0
 * @category constructors
 */
export const importanceWeighted = (options: BudgetOptions = {}): ContextAssembler["Type"] =>
  make("importance_weighted", options, true, (units, available, history) =>
    Strategies.importanceWeighted(units, available, history.length))

/**
 * `truncating` as a Layer.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerTruncating = (options?: TruncatingOptions): Layer.Layer<ContextAssembler> =>
  Layer.succeed(ContextAssembler, truncating(options))

/**
 * `sliding_window` as a Layer.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerSlidingWindow = (options?: BudgetOptions): Layer.Layer<ContextAssembler> =>
  Layer.succeed(ContextAssembler, slidingWindow(options))

/**
 * `head_tail` as a Layer.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerHeadTail = (options?: HeadTailOptions): Layer.Layer<ContextAssembler> =>
  Layer.succeed(ContextAssembler, headTail(options))

/**
 * `importance_weighted` as a Layer.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerImportanceWeighted = (options?: BudgetOptions): Layer.Layer<ContextAssembler> =>
  Layer.succeed(ContextAssembler, importanceWeighted(options))
