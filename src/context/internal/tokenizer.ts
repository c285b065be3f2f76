/**
 * Token counting for the token-budget assemblers: OpenAI's BPE (the optional peer `gpt-tokenizer`, loaded
 * on first use) for OpenAI models, and a stated estimate (`ceil(chars / 4)`) for every other model.
 * Private to the context seam.
 */
import * as Effect from "effect/Effect"
import { ConfigError } from "../../kernel/Errors.js"

/** Which counter: `auto` picks by model id, `tokenizer` insists on gpt-tokenizer, `estimate` never loads it. */
export type CounterChoice = "auto" | "tokenizer" | "estimate"

/** A text counter and the name it is reported under (`token_counter` in the assembly's metadata). */
export interface Counter {
  readonly name: string
  readonly count: (text: string) => number
}

/** The BPE encodings used by OpenAI models. */
export type Encoding = "o200k_base" | "cl100k_base"

/** The estimate used for non-OpenAI models: a token per four characters, rounded up. */
export const estimate: Counter = { name: "estimate:chars/4", count: (text) => Math.ceil(text.length / 4) }

/** Model ids counted with OpenAI's tokenizer (gpt-*, chatgpt-*, o1/o3/o4..., text-embedding-*). */
export const isOpenAiModel = (model: string | undefined): boolean =>
  model !== undefined && /^(gpt-|chatgpt-|o\d|text-embedding-|davinci|babbage)/i.test(model.replace(/^openai\//i, ""))

/** The encoding of a model: cl100k_base for GPT-4 (not 4o/4.1/4.5) and GPT-3.5, o200k_base otherwise. */
export const encodingOf = (model: string | undefined): Encoding => {
  const m = (model ?? "").replace(/^openai\//i, "").toLowerCase()
  return /^gpt-3\.5|^gpt-4(-|$)|^text-embedding-(3|ada)/.test(m) ? "cl100k_base" : "o200k_base"
}

interface GptTokenizer {
  readonly countTokens: (text: string, options?: { readonly disallowedSpecial?: Set<string> }) => number
}

// the module is loaded at most once per encoding; later counts are plain synchronous calls
const loaded = new Map<Encoding, Counter>()
const NO_SPECIAL = new Set<string>()

const importEncoding = (encoding: Encoding): Promise<GptTokenizer> =>
  encoding === "cl100k_base"
    ? import("gpt-tokenizer/encoding/cl100k_base") as Promise<GptTokenizer>
    : import("gpt-tokenizer/encoding/o200k_base") as Promise<GptTokenizer>

/** gpt-tokenizer for `encoding`, loaded on first use; its absence is an error naming the package. */
export const loadTokenizer = (encoding: Encoding): Effect.Effect<Counter, ConfigError> =>
  Effect.suspend(() => {
    const hit = loaded.get(encoding)
    if (hit) return Effect.succeed(hit)
    return Effect.tryPromise({
      try: () => importEncoding(encoding),
      catch: (e) =>
        ConfigError.single(
          "context_assembler.config.token_counter",
          `counting tokens with OpenAI's tokenizer needs the gpt-tokenizer package: ${(e as Error).message}`,
          { hint: "install it (npm install gpt-tokenizer), or set token_counter to 'estimate' (chars/4)" }
        )
    }).pipe(Effect.map((module) => {
      const counter: Counter = {
        name: `gpt-tokenizer:${encoding}`,
        // special-token strings in a message are text, not control tokens
        count: (text) => (text === "" ? 0 : module.countTokens(text, { disallowedSpecial: NO_SPECIAL }))
      }
      loaded.set(encoding, counter)
      return counter
    }))
  })

/**
 * The counter for `model`: `auto` uses gpt-tokenizer for OpenAI models and falls back to the estimate when
 * the package is not installed (the metadata says which was used); `tokenizer` fails without it.
 */
export const counterFor = (choice: CounterChoice, model: string | undefined): Effect.Effect<Counter, ConfigError> => {
  if (choice === "estimate") return Effect.succeed(estimate)
  if (choice === "tokenizer") return loadTokenizer(encodingOf(model))
  return isOpenAiModel(model)
    ? Effect.orElseSucceed(loadTokenizer(encodingOf(model)), () => estimate)
    : Effect.succeed(estimate)
}
