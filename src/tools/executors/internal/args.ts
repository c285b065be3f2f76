/**
 * The arguments of a tool call as the policy sees them: every property at any depth (its key, its value
 * and where it is), and every string in them. Iterative, so a deeply nested argument cannot overflow the
 * stack.
 */

/** One property of the arguments, at any depth. */
export interface Entry {
  /** The property's own key (`path`), compared with the policy's argument names. */
  readonly key: string
  /** Where it is (`options.files[1]`), for messages. */
  readonly at: string
  readonly value: unknown
}

/** One string of the arguments, at any depth. */
export interface StringLeaf {
  readonly at: string
  readonly value: string
}

export interface Walked {
  readonly entries: ReadonlyArray<Entry>
  readonly strings: ReadonlyArray<StringLeaf>
}

const join = (at: string, key: string | number): string =>
  typeof key === "number" ? `${at}[${key}]` : at === "" ? key : `${at}.${key}`

/** Walks `args` once. */
export const walk = (args: unknown): Walked => {
  const entries: Array<Entry> = []
  const strings: Array<StringLeaf> = []
  const stack: Array<readonly [unknown, string]> = [[args, ""]]
  const seen = new Set<object>()
  while (stack.length > 0) {
    const [value, at] = stack.pop()!
    if (typeof value === "string") {
      strings.push({ at, value })
      continue
    }
    if (typeof value !== "object" || value === null || seen.has(value)) continue
    seen.add(value)
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], join(at, i)])
      continue
    }
    const props = Object.entries(value)
    for (let i = props.length - 1; i >= 0; i--) {
      const [key, item] = props[i]!
      entries.push({ key, at: join(at, key), value: item })
      stack.push([item, join(at, key)])
    }
  }
  return { entries, strings }
}

/** The strings of a value: itself, or the strings of an array (nested arrays included). */
export const stringsOf = (value: unknown): ReadonlyArray<string> => {
  if (typeof value === "string") return [value]
  if (!Array.isArray(value)) return []
  const out: Array<string> = []
  const stack: Array<unknown> = [...value].reverse()
  while (stack.length > 0) {
    const item = stack.pop()
    if (typeof item === "string") out.push(item)
    else if (Array.isArray(item)) for (let i = item.length - 1; i >= 0; i--) stack.push(item[i])
  }
  return out
}

/** A value quoted for a message, cut to a readable length. */
export const quote = (value: string): string => `'${value.length > 120 ? `${value.slice(0, 117)}...` : value}'`
