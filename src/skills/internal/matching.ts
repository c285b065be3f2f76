/**
 * How a skill is matched to a task: keyword overlap between the task text and the skill's name and
 * description. Private to the skills seam; the rule is documented in docs/memory.md.
 */

const STOP_WORDS = new Set(
  ("the and for with from this that these those into onto when what which while your you are was were " +
    "will can could should would have has had not but all any use using used how who whom its it's our " +
    "out about over under then than them they their there here also just more most some such only very " +
    "via per each other been being does did doing make makes made get gets got please help want need").split(" ")
)

/** A word as compared: lowercased, a plural `s` dropped (`files` and `file` are one keyword). */
const normalize = (word: string): string =>
  word.length > 3 && word.endsWith("s") && !word.endsWith("ss") ? word.slice(0, -1) : word

/** The keywords of a text: words of 3+ letters or digits, lowercased, stop words removed. */
export const keywords = (text: string): ReadonlySet<string> =>
  new Set(
    text
      .toLowerCase()
      .split(/[^\p{L}\p{N}]+/u)
      .filter((w) => w.length >= 3 && !STOP_WORDS.has(w))
      .map(normalize)
  )

/**
 * The score of a skill for a task: each keyword of the skill's name found in the task counts 2, each other
 * keyword of its description 1.
 */
export const score = (task: ReadonlySet<string>, skill: { readonly name: string; readonly description: string }): number => {
  const { description, name } = keywordsOf(skill)
  let total = 0
  for (const k of name) if (task.has(k)) total += 2
  for (const k of description) if (!name.has(k) && task.has(k)) total += 1
  return total
}

// a skill's keywords are computed once: skills are read once and scored before every run
const cache = new WeakMap<object, { readonly name: ReadonlySet<string>; readonly description: ReadonlySet<string> }>()
const keywordsOf = (skill: { readonly name: string; readonly description: string }) => {
  let hit = cache.get(skill)
  if (hit === undefined) {
    hit = { name: keywords(skill.name.replace(/[-_]/g, " ")), description: keywords(skill.description) }
    cache.set(skill, hit)
  }
  return hit
}

/** The skills scoring at least `minScore`, best first (then by name), at most `max`. */
export const matching = <S extends { readonly name: string; readonly description: string }>(
  skills: ReadonlyArray<S>,
  task: string,
  options: { readonly minScore: number; readonly max: number }
): ReadonlyArray<{ readonly skill: S; readonly score: number }> => {
  const words = keywords(task)
  return skills
    .map((skill) => ({ skill, score: score(words, skill) }))
    .filter((m) => m.score >= options.minScore && m.score > 0)
    .sort((a, b) => b.score - a.score || a.skill.name.localeCompare(b.skill.name))
    .slice(0, options.max)
}
