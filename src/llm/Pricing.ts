/**
 * Prices of models in USD per million tokens, and the cost of a model call computed from its usage.
 * Cached tokens are priced once: at the cached-read (or cache-write) rate, never also at the input rate.
 *
 * @since 0.1.0
 */
import type { ModelUsage } from "../kernel/Transcript.js"

/**
 * USD per million tokens. `cachedRead` / `cachedWrite` default to the input rate when unknown.
 *
 * @since 0.1.0
 * @category models
 */
export interface Pricing {
  readonly input: number
  readonly output: number
  readonly cachedRead?: number | undefined
  readonly cachedWrite?: number | undefined
}

/**
 * The built-in table, by provider family and exact model id.
 *
 * @since 0.1.0
 * @category constants
 */
export const TABLE: Readonly<Record<"anthropic" | "openai", Readonly<Record<string, Pricing>>>> = {
  anthropic: {
    "claude-opus-4-6": { input: 15, output: 75, cachedRead: 1.5, cachedWrite: 18.75 },
    "claude-sonnet-4-6": { input: 3, output: 15, cachedRead: 0.3, cachedWrite: 3.75 },
    "claude-haiku-4-5": { input: 0.8, output: 4, cachedRead: 0.08, cachedWrite: 1 }
  },
  openai: {
    "gpt-4o": { input: 2.5, output: 10, cachedRead: 1.25 },
    "gpt-4o-mini": { input: 0.15, output: 0.6, cachedRead: 0.075 },
    o1: { input: 15, output: 60, cachedRead: 7.5 }
  }
}

/**
 * The price of a model: the table entry for the provider's family, overridden field by field by
 * `override` (the `llm.pricing` config). `undefined` when neither knows the input and output rates.
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolve = (
  provider: string,
  model: string,
  override?: Partial<Pricing> | undefined
): Pricing | undefined => {
  const family = provider === "anthropic" ? "anthropic" : provider.startsWith("openai") ? "openai" : undefined
  const base: Partial<Pricing> = family ? TABLE[family][model] ?? {} : {}
  const merged: Partial<Pricing> = { ...base }
  for (const [k, v] of Object.entries(override ?? {})) {
    if (v !== undefined) (merged as Record<string, number>)[k] = v
  }
  if (merged.input === undefined || merged.output === undefined) return undefined
  return merged as Pricing
}

/**
 * The cost of one call.
 *
 * @since 0.1.0
 * @category models
 */
export interface Cost {
  readonly costUsd: number
  readonly breakdown: Readonly<Record<"input" | "output" | "cached_read" | "cached_write", number>>
}

/**
 * Cost of a call: non-cached input at the input rate, cache reads at `cachedRead`, cache writes at
 * `cachedWrite`, output (reasoning included) at the output rate.
 *
 * @since 0.1.0
 * @category computations
 */
export const cost = (usage: ModelUsage, pricing: Pricing): Cost => {
  const read = usage.cachedInputTokens
  const write = usage.cacheCreationInputTokens
  const plain = Math.max(0, usage.inputTokens - read - write)
  const perM = (tokens: number, rate: number) => (tokens * rate) / 1_000_000
  const breakdown = {
    input: perM(plain, pricing.input),
    output: perM(usage.outputTokens, pricing.output),
    cached_read: perM(read, pricing.cachedRead ?? pricing.input),
    cached_write: perM(write, pricing.cachedWrite ?? pricing.input)
  }
  return { costUsd: breakdown.input + breakdown.output + breakdown.cached_read + breakdown.cached_write, breakdown }
}
