/**
 * How deep JSON text nests, found without parsing it: `JSON.parse` and every recursive walk after it
 * overflow the stack on a document nested deeply enough, so callers refuse such text first.
 */

/** Where the first bracket opening level `maxDepth + 1` is in `text`, skipping strings; undefined if none. */
export const tooDeepAt = (text: string, maxDepth: number): number | undefined => {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return i
    } else if (c === 0x5d || c === 0x7d) depth--
  }
  return undefined
}
