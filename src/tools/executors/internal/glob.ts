/**
 * Glob patterns over names: `*` matches any run of characters (dots included), `?` one character,
 * everything else itself. A pattern without `*` or `?` is an exact name.
 */

const escape = (s: string): string => s.replace(/[.+^${}()|[\]\\]/g, "\\$&")

/** One regular expression for a list of patterns; `undefined` when the list is empty (nothing matches). */
export const compile = (patterns: ReadonlyArray<string>, options?: { readonly ignoreCase?: boolean }): RegExp | undefined => {
  if (patterns.length === 0) return undefined
  const alternatives = patterns.map((p) => escape(p).replace(/\*/g, ".*").replace(/\?/g, "."))
  return new RegExp(`^(?:${alternatives.join("|")})$`, options?.ignoreCase ? "is" : "s")
}

/** The first pattern of `patterns` that `name` matches. */
export const firstMatch = (
  patterns: ReadonlyArray<string>,
  name: string,
  options?: { readonly ignoreCase?: boolean }
): string | undefined => patterns.find((p) => compile([p], options)!.test(name))
