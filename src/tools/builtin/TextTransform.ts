/**
 * The `text_transform` builtin: case changes, reversal, trimming, counting and slugs. Counting and
 * reversal work on what a reader sees as characters (grapheme clusters), so an emoji or an accented
 * letter counts once and survives reversal intact.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Tool from "../Tool.js"

/**
 * The operations of `text_transform`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Operation = Schema.Literal(
  "upper",
  "lower",
  "title",
  "reverse",
  "trim",
  "length",
  "word_count",
  "slug"
).annotations({
  description: "What to do: \"upper\" / \"lower\" (change case), \"title\" (capitalize each word), \"reverse\" " +
    "(reverse the characters), \"trim\" (strip leading and trailing whitespace), \"length\" (count the " +
    "characters), \"word_count\" (count the words), \"slug\" (make a lowercase URL slug such as \"hello-world\")."
})

/**
 * @since 0.1.0
 * @category models
 */
export type Operation = typeof Operation.Type

// made on first use: building a Segmenter loads ICU data, which a process that never transforms text skips
let segmenters: { readonly graphemes: Intl.Segmenter; readonly words: Intl.Segmenter } | undefined
const segmenter = () =>
  (segmenters ??= {
    graphemes: new Intl.Segmenter("en", { granularity: "grapheme" }),
    words: new Intl.Segmenter("en", { granularity: "word" })
  })

const titleCase = (text: string) =>
  text.replace(
    /[\p{L}\p{N}][\p{L}\p{M}\p{N}'’]*/gu,
    (word) => {
      const [head = "", ...tail] = Array.from(word)
      return head.toUpperCase() + tail.join("").toLowerCase()
    }
  )

const slugify = (text: string) =>
  text
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/['’]/g, "")
    .replace(/[^\p{L}\p{N}]+/gu, "-")
    .replace(/^-+|-+$/g, "")

/**
 * Applies one operation to a text. `length` and `word_count` return numbers, the others strings.
 *
 * @since 0.1.0
 * @category evaluation
 */
export const transform = (text: string, operation: Operation): string | number => {
  switch (operation) {
    case "upper":
      return text.toUpperCase()
    case "lower":
      return text.toLowerCase()
    case "title":
      return titleCase(text)
    case "reverse":
      return Array.from(segmenter().graphemes.segment(text), (s) => s.segment).reverse().join("")
    case "trim":
      return text.trim()
    case "length": {
      let n = 0
      for (const _ of segmenter().graphemes.segment(text)) n++
      return n
    }
    case "word_count": {
      let n = 0
      for (const s of segmenter().words.segment(text)) if (s.isWordLike) n++
      return n
    }
    case "slug":
      return slugify(text)
  }
}

/**
 * Parameters of `text_transform`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Parameters = Schema.Struct({
  text: Schema.String.annotations({ description: "The text to transform." }),
  operation: Operation
})

/**
 * What `text_transform` returns.
 *
 * @since 0.1.0
 * @category models
 */
export interface Result {
  readonly operation: Operation
  readonly result: string | number
}

/**
 * Options of {@link make}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The tool's name as the model sees it (default `text_transform`). */
  readonly name?: string
  readonly timeoutMs?: number
}

/**
 * The description the model sees.
 *
 * @since 0.1.0
 * @category constants
 */
export const description =
  "Transforms or measures a text exactly: upper/lower/title case, reverse, trim, length (in characters as a " +
  "reader sees them), word_count, or slug (a lowercase URL-safe form like \"hello-world\"). Use it instead of " +
  "counting or rewriting characters yourself."

/**
 * Makes the `text_transform` tool.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: Options): Tool.Tool<typeof Parameters.Type> =>
  Tool.make(options?.name ?? "text_transform", {
    description,
    parameters: Parameters,
    // pure: no state, no I/O
    concurrencySafe: true,
    ...(options?.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    handler: ({ operation, text }): Effect.Effect<Result> =>
      Effect.sync(() => ({ operation, result: transform(text, operation) }))
  })
