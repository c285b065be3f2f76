/**
 * `local` skills: a folder of skills, one subfolder each, holding a `SKILL.md` (YAML front matter with
 * `name` and `description`, then markdown instructions) and optionally `references/` and `scripts/`.
 *
 * Before each run the skills are matched against the run's input text (keyword overlap with the skill's
 * name and description, see `docs/memory.md`); under a `## Skills` heading the system prompt then lists
 * every skill with its description and gives the full text of the matching ones, with the paths of their
 * reference and script files. A SKILL.md without front matter or without a name is a `ConfigError`
 * naming the file, found when the Layer is built.
 *
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as path from "node:path"
import type { ConfigError } from "../kernel/Errors.js"
import { matching } from "./internal/matching.js"
import { discover, type SkillDoc } from "./internal/skillFile.js"
import { Skills } from "./Skills.js"

/**
 * A skill read from its folder.
 *
 * @since 0.2.0
 * @category models
 */
export type Skill = SkillDoc

/**
 * Options of the local skills.
 *
 * @since 0.2.0
 * @category models
 */
export interface Options {
  /** Folders holding one subfolder per skill (relative ones resolved against the working directory). */
  readonly searchPaths: ReadonlyArray<string>
  /** The names of the skills to offer; empty or absent means all. */
  readonly enabled?: ReadonlyArray<string> | undefined
  /** How many matching skills get their full text into the prompt (default 3). */
  readonly maxMatches?: number | undefined
  /** The score a skill needs to match (default 2: a word of its name, or two of its description). */
  readonly minScore?: number | undefined
  /** List every skill's name and description, matching or not (default true). */
  readonly listAvailable?: boolean | undefined
  /** Where the skills are configured, for errors (default `skills.config`). */
  readonly where?: string | undefined
}

/**
 * The skills that match `task`, best first.
 *
 * @since 0.2.0
 * @category matching
 */
export const match = (
  skills: ReadonlyArray<Skill>,
  task: string,
  options?: Pick<Options, "maxMatches" | "minScore">
): ReadonlyArray<Skill> =>
  matching(skills, task, { minScore: options?.minScore ?? 2, max: options?.maxMatches ?? 3 }).map((m) => m.skill)

const renderSkill = (skill: Skill): string => {
  const files = skill.files.length === 0
    ? ""
    : `\n\nFiles of this skill, under ${skill.dir} (read them when you need them):\n` +
      skill.files.map((f) => `- ${f}`).join("\n")
  return `### Skill: ${skill.name}\n\n${skill.body}${files}`
}

/**
 * The text added to the system prompt for `task`: the `## Skills` heading, the list of skills (unless
 * `listAvailable` is false) and the full text of the matching ones; empty when there is nothing to say.
 *
 * @since 0.2.0
 * @category rendering
 */
export const render = (skills: ReadonlyArray<Skill>, task: string, options?: Omit<Options, "searchPaths">): string => {
  const matched = match(skills, task, options)
  const listing = options?.listAvailable === false || skills.length === 0
    ? []
    : [
      "Skills you can use (name: description):\n" +
      skills.map((s) => `- ${s.name}${s.description ? `: ${s.description}` : ""}`).join("\n")
    ]
  if (listing.length === 0 && matched.length === 0) return ""
  return ["## Skills", ...listing, ...matched.map(renderSkill)].join("\n\n")
}

/**
 * Local skills over skills already read.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (skills: ReadonlyArray<Skill>, options?: Omit<Options, "searchPaths">): Skills["Type"] =>
  Skills.of({
    list: () => Effect.succeed(skills.map((s) => ({ name: s.name, description: s.description }))),
    instructions: (_sessionId, task) => Effect.sync(() => render(skills, task ?? "", options))
  })

/**
 * Reads the skills of `searchPaths` (once, when the Layer is built).
 *
 * @since 0.2.0
 * @category constructors
 */
export const load = (options: Pick<Options, "searchPaths" | "enabled" | "where">): Effect.Effect<ReadonlyArray<Skill>, ConfigError> =>
  discover(options.searchPaths.map((p) => path.resolve(p)), options.enabled ?? [], options.where ?? "skills.config")

/**
 * The local skills as a Layer.
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<Skills, ConfigError> =>
  Layer.effect(Skills, Effect.map(load(options), (skills) => make(skills, options)))
