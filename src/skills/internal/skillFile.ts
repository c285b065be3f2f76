/**
 * Reading one skill folder: its SKILL.md (YAML front matter with `name` and `description`, then the
 * markdown body) and the files under its `references/` and `scripts/`. Private to the skills seam.
 */
import * as Effect from "effect/Effect"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { parse } from "yaml"
import { ConfigError } from "../../kernel/Errors.js"

/** A skill as read from its folder. */
export interface SkillDoc {
  readonly name: string
  readonly description: string
  /** The markdown after the front matter. */
  readonly body: string
  /** The skill's folder (absolute). */
  readonly dir: string
  /** Its SKILL.md (absolute). */
  readonly file: string
  /** Files under `references/` and `scripts/`, relative to `dir`, sorted. */
  readonly files: ReadonlyArray<string>
}

const bad = (file: string, message: string, hint?: string) =>
  ConfigError.single(file, message, { source: file, ...(hint ? { hint } : {}) })

const FRONT_MATTER_HINT = "start SKILL.md with a '---' line, then YAML such as 'name: my-skill' and " +
  "'description: what it is for', then a closing '---' line"

/** Splits `text` into its front matter (YAML text) and body; undefined when it has none. */
export const splitFrontMatter = (text: string): { readonly yaml: string; readonly body: string } | undefined => {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/)
  if (lines[0]?.trim() !== "---") return undefined
  const end = lines.findIndex((l, i) => i > 0 && (l.trim() === "---" || l.trim() === "..."))
  if (end < 0) return undefined
  return { yaml: lines.slice(1, end).join("\n"), body: lines.slice(end + 1).join("\n").trim() }
}

/** Parses the text of a SKILL.md; every problem is a ConfigError naming the file. */
export const parseSkillFile = (
  file: string,
  text: string
): Effect.Effect<Omit<SkillDoc, "dir" | "files">, ConfigError> =>
  Effect.gen(function*() {
    const split = splitFrontMatter(text)
    if (split === undefined) return yield* bad(file, "has no YAML front matter", FRONT_MATTER_HINT)
    const data = yield* Effect.try({
      try: () => parse(split.yaml) as unknown,
      catch: (e) => bad(file, `front matter is not valid YAML: ${(e as Error).message.split("\n")[0]}`)
    })
    if (typeof data !== "object" || data === null || Array.isArray(data)) {
      return yield* bad(file, "front matter must be a YAML mapping with 'name' and 'description'", FRONT_MATTER_HINT)
    }
    const record = data as Record<string, unknown>
    const name = record["name"]
    if (typeof name !== "string" || name.trim() === "") {
      return yield* bad(file, "front matter has no 'name' (a non-empty string is required)", FRONT_MATTER_HINT)
    }
    const description = record["description"] ?? ""
    if (typeof description !== "string") {
      return yield* bad(file, "front matter 'description' must be a string")
    }
    return { name: name.trim(), description: description.trim(), body: split.body, file }
  })

/** The files under `dir/sub`, relative to `dir` (none when the folder is absent). */
const filesUnder = (dir: string, sub: string): Effect.Effect<ReadonlyArray<string>> =>
  Effect.promise(async () => {
    const root = path.join(dir, sub)
    const entries = await fs.readdir(root, { recursive: true, withFileTypes: true }).catch(() => [])
    return entries
      .filter((e) => e.isFile())
      .map((e) => path.relative(dir, path.join(e.parentPath ?? e.path, e.name)).split(path.sep).join("/"))
  })

/** Reads the skill in folder `dir`; undefined when the folder has no SKILL.md. */
export const readSkill = (dir: string): Effect.Effect<SkillDoc | undefined, ConfigError> =>
  Effect.gen(function*() {
    const file = path.join(dir, "SKILL.md")
    const text = yield* Effect.tryPromise({
      try: () => fs.readFile(file, "utf8"),
      catch: (e) => e as NodeJS.ErrnoException
    }).pipe(
      Effect.catchAll((e) =>
        e.code === "ENOENT" ? Effect.succeed(undefined) : Effect.fail(bad(file, `cannot be read: ${e.message}`))
      )
    )
    if (text === undefined) return undefined
    const doc = yield* parseSkillFile(file, text)
    const files = [...(yield* filesUnder(dir, "references")), ...(yield* filesUnder(dir, "scripts"))].sort()
    return { ...doc, dir, files }
  })

/**
 * Every skill of the folders `roots`: each subfolder holding a SKILL.md, in name order. A missing root,
 * two skills of one name, or an `enabled` name that no skill has is a ConfigError.
 */
export const discover = (
  roots: ReadonlyArray<string>,
  enabled: ReadonlyArray<string>,
  where: string
): Effect.Effect<ReadonlyArray<SkillDoc>, ConfigError> =>
  Effect.gen(function*() {
    const found: Array<SkillDoc> = []
    for (const root of roots) {
      const entries = yield* Effect.tryPromise({
        try: () => fs.readdir(root, { withFileTypes: true }),
        catch: (e) =>
          ConfigError.single(where, `cannot read the skills folder ${root}: ${(e as Error).message}`, {
            hint: "set root or search_paths to a folder of skills; a relative folder is resolved against the config file's folder"
          })
      })
      const dirs = entries.filter((e) => e.isDirectory() && !e.name.startsWith(".")).map((e) => e.name).sort()
      for (const name of dirs) {
        const skill = yield* readSkill(path.join(root, name))
        if (skill === undefined) continue
        const twin = found.find((s) => s.name === skill.name)
        if (twin) return yield* bad(skill.file, `skill name '${skill.name}' is also the name of ${twin.file}`)
        found.push(skill)
      }
    }
    const unknown = enabled.filter((n) => !found.some((s) => s.name === n))
    if (unknown.length > 0) {
      return yield* ConfigError.single(`${where}.enabled`, `no skill named ${unknown.map((n) => `'${n}'`).join(", ")}`, {
        hint: `skills found: ${found.map((s) => s.name).join(", ") || "none"}`
      })
    }
    return enabled.length === 0 ? found : found.filter((s) => enabled.includes(s.name))
  })
