/**
 * "Did you mean" suggestions: the closest candidate by edit distance, when it is close enough.
 */

const distance = (a: string, b: string): number => {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!
    prev[0] = i
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1))
      diag = up
    }
  }
  return prev[b.length]!
}

/** The candidate closest to `needle`, or undefined when none is within 40% of its length (min 2 edits). */
export const closest = (needle: string, candidates: Iterable<string>): string | undefined => {
  let best: string | undefined
  let bestScore = Infinity
  const lower = needle.toLowerCase()
  for (const c of candidates) {
    const d = distance(lower, c.toLowerCase())
    if (d < bestScore) {
      best = c
      bestScore = d
    }
  }
  if (best === undefined) return undefined
  const allowed = Math.max(2, Math.floor(Math.max(needle.length, best.length) * 0.4))
  return bestScore <= allowed ? best : undefined
}
