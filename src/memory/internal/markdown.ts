/**
 * The markdown memory's file format: one `<section>.md` per section, entries as `### <id> · <timestamp>`
 * headings followed by `**Rule:**` and `**Why:**` lines. Pure functions; private to the memory seam (the
 * format itself is the documented contract, see docs/memory.md).
 */

/** A section name: also its file name, so it stays a safe one. */
export const SECTION = /^[a-z0-9][a-z0-9_-]{0,63}$/

/** One remembered entry. */
export interface EntryText {
  readonly id: string
  readonly timestamp: string
  readonly rule: string
  readonly reason?: string | undefined
}

/** Collapses a text to one line, so an entry stays three lines whatever the model wrote. */
export const oneLine = (text: string): string => text.replace(/\s+/g, " ").trim()

/** The text appended for an entry (a blank line after it). */
export const formatEntry = (e: EntryText): string =>
  `### ${e.id} · ${e.timestamp}\n**Rule:** ${oneLine(e.rule)}\n` +
  (e.reason !== undefined && oneLine(e.reason) !== "" ? `**Why:** ${oneLine(e.reason)}\n` : "") +
  "\n"

/** The first line of a new section file. */
export const formatHeader = (section: string): string => `# ${section}\n\n`

/**
 * The blocks of a file, oldest first: the text before the first `### ` heading (without a leading `# `
 * title), then one block per entry.
 */
export const blocksOf = (text: string): ReadonlyArray<string> => {
  const lines = text.replace(/\r\n/g, "\n").split("\n")
  const blocks: Array<Array<string>> = [[]]
  for (const line of lines) {
    if (line.startsWith("### ")) blocks.push([line])
    else blocks[blocks.length - 1]!.push(line)
  }
  const [preamble, ...entries] = blocks.map((b) => b.join("\n").trim())
  const intro = (preamble ?? "").replace(/^# [^\n]*\n?/, "").trim()
  return [...(intro === "" ? [] : [intro]), ...entries.filter((e) => e !== "")]
}

/** An entry block parsed back (undefined for free text). */
export const parseEntry = (block: string): EntryText | undefined => {
  const head = /^### ([0-9a-f]{8}) · (\S+)/.exec(block)
  if (!head) return undefined
  const rule = /^\*\*Rule:\*\* (.*)$/m.exec(block)?.[1]
  const reason = /^\*\*Why:\*\* (.*)$/m.exec(block)?.[1]
  return { id: head[1]!, timestamp: head[2]!, rule: rule ?? "", ...(reason !== undefined ? { reason } : {}) }
}

/**
 * The newest blocks of a file within `maxChars` (oldest first). When even the newest block is longer, its
 * beginning is kept so the latest entry is never lost entirely.
 */
export const newestWithin = (blocks: ReadonlyArray<string>, maxChars: number): ReadonlyArray<string> => {
  const kept: Array<string> = []
  let used = 0
  for (let i = blocks.length - 1; i >= 0; i--) {
    const b = blocks[i]!
    const cost = b.length + (kept.length > 0 ? 2 : 0)
    if (used + cost > maxChars) {
      if (kept.length === 0) kept.push(`${b.slice(0, Math.max(0, maxChars - 1))}…`)
      break
    }
    kept.push(b)
    used += cost
  }
  return kept.reverse()
}
