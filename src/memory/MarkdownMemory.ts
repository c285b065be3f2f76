/**
 * `markdown_memory`: a folder of markdown files the agent reads into its context at the start of every
 * run, and that {@link append} (the `remember_preference` tool's function) adds to.
 *
 * The format, which the tool and this memory share (see docs/memory.md): one `<section>.md` file per
 * section (default sections `user_goals`, `user_feedback`, `decisions`, `references`), starting with a
 * `# <section>` line; each entry is a `### <8 hex id> · <ISO-8601 UTC time>` heading, a `**Rule:** ...`
 * line and an optional `**Why:** ...` line, then a blank line. Entries are only ever appended. Free text
 * is allowed too: a file's text before its first entry, `MEMORY.md`, and any other `.md` file are read.
 *
 * Injection is one system message with, per file, its newest entries within `maxCharsPerSection`
 * characters. The write-back drains `_pending_memory_writes` from the session state (the Python SDK's
 * queue of `{category, rule, reason}` objects), appending each.
 *
 * @since 0.2.0
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Random from "effect/Random"
import * as Schema from "effect/Schema"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import type { Message } from "../kernel/Transcript.js"
import { blocksOf, formatEntry, formatHeader, newestWithin, parseEntry, SECTION } from "./internal/markdown.js"
import { Memory } from "./Memory.js"

/**
 * Options of the markdown memory.
 *
 * @since 0.2.0
 * @category models
 */
export interface Options {
  /** The folder of the markdown files (default `~/.config/openagents/memory`; `~` is the home folder). */
  readonly memoryDir?: string | undefined
  /** Characters of each file injected, newest entries first (default 2000). */
  readonly maxCharsPerSection?: number | undefined
  /** The sections, in the order they are injected (default user_goals, user_feedback, decisions, references). */
  readonly sections?: ReadonlyArray<string> | undefined
}

/**
 * The default folder.
 *
 * @since 0.2.0
 * @category constants
 */
export const DEFAULT_DIR = "~/.config/openagents/memory"

/**
 * The default sections.
 *
 * @since 0.2.0
 * @category constants
 */
export const DEFAULT_SECTIONS: ReadonlyArray<string> = ["user_goals", "user_feedback", "decisions", "references"]

/**
 * The section of an entry appended without one (what `remember_preference` uses by default).
 *
 * @since 0.2.0
 * @category constants
 */
export const DEFAULT_SECTION = "user_feedback"

/**
 * The session state key of entries queued for the next write-back.
 *
 * @since 0.2.0
 * @category constants
 */
export const PENDING_KEY = "_pending_memory_writes"

/**
 * What is remembered: a rule, why, and the section it goes to (default `user_feedback`).
 *
 * @since 0.2.0
 * @category models
 */
export interface Preference {
  readonly category?: string | undefined
  readonly rule: string
  readonly reason?: string | undefined
}

/**
 * An entry as written.
 *
 * @since 0.2.0
 * @category models
 */
export interface Entry {
  readonly id: string
  readonly timestamp: string
  readonly section: string
  readonly rule: string
  readonly reason?: string | undefined
  /** The file it is in. */
  readonly file: string
}

/**
 * The markdown memory could not write or read, or was given a bad section name or an empty rule.
 *
 * @since 0.2.0
 * @category errors
 */
export class MarkdownMemoryError extends Schema.TaggedError<MarkdownMemoryError>()("MarkdownMemoryError", {
  message: Schema.String,
  hint: Schema.optional(Schema.String)
}) {
  /** @since 0.2.0 */
  readonly retryable = false as const
}

/**
 * A folder with `~` expanded and made absolute.
 *
 * @since 0.2.0
 * @category utils
 */
export const resolveDir = (dir: string): string =>
  path.resolve(dir === "~" ? os.homedir() : dir.startsWith("~/") ? path.join(os.homedir(), dir.slice(2)) : dir)

const fail = (message: string, hint?: string) => new MarkdownMemoryError({ message, ...(hint ? { hint } : {}) })

/**
 * Appends an entry to `<memoryDir>/<category>.md` (folder and file created when absent). The rule and
 * reason are folded to one line each. Fails on an empty rule or a category that is no section name
 * (lowercase letters, digits, `_` and `-`).
 *
 * @since 0.2.0
 * @category appending
 */
export const append = (memoryDir: string, preference: Preference): Effect.Effect<Entry, MarkdownMemoryError> =>
  Effect.gen(function*() {
    const section = preference.category ?? DEFAULT_SECTION
    if (!SECTION.test(section)) {
      return yield* fail(`'${section}' is not a valid memory section name`, "use lowercase letters, digits, '_' or '-', e.g. user_feedback")
    }
    if (preference.rule.trim() === "") return yield* fail("a remembered rule must not be empty")
    const dir = resolveDir(memoryDir)
    const file = path.join(dir, `${section}.md`)
    const timestamp = new Date(yield* Clock.currentTimeMillis).toISOString()
    const id = (yield* Random.nextIntBetween(0, 0xffffffff)).toString(16).padStart(8, "0")
    const reason = preference.reason?.trim() ? preference.reason : undefined
    yield* Effect.tryPromise({
      try: async () => {
        await fs.mkdir(dir, { recursive: true })
        // `wx` creates the header only when the file is new; an existing file is appended to
        await fs.writeFile(file, formatHeader(section), { flag: "wx" }).catch((e: NodeJS.ErrnoException) => {
          if (e.code !== "EEXIST") throw e
        })
        await fs.appendFile(file, formatEntry({ id, timestamp, rule: preference.rule, reason }))
      },
      catch: (e) => fail(`cannot write ${file}: ${(e as Error).message}`)
    })
    return { id, timestamp, section, rule: preference.rule.replace(/\s+/g, " ").trim(), ...(reason ? { reason } : {}), file }
  })

/**
 * The Python SDK's name for {@link append}.
 *
 * @since 0.2.0
 * @category appending
 */
export const capture = append

const readText = (file: string): Promise<string | undefined> =>
  fs.readFile(file, "utf8").catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return undefined
    throw e
  })

/**
 * The entries of a section, oldest first (free text that is no entry is left out).
 *
 * @since 0.2.0
 * @category reading
 */
export const listEntries = (memoryDir: string, section: string = DEFAULT_SECTION): Effect.Effect<ReadonlyArray<Entry>, MarkdownMemoryError> => {
  const file = path.join(resolveDir(memoryDir), `${section}.md`)
  return Effect.tryPromise({
    try: () => readText(file),
    catch: (e) => fail(`cannot read ${file}: ${(e as Error).message}`)
  }).pipe(Effect.map((text) =>
    blocksOf(text ?? "").flatMap((b) => {
      const e = parseEntry(b)
      return e ? [{ ...e, section, file }] : []
    })
  ))
}

/** The files injected, in order: MEMORY.md, the sections, then any other markdown file by name. */
const filesOf = async (dir: string, sections: ReadonlyArray<string>): Promise<ReadonlyArray<string>> => {
  const names = await fs.readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return [] as Array<string>
    throw e
  })
  const md = new Set(names.filter((n) => n.endsWith(".md")))
  const ordered = ["MEMORY.md", ...sections.map((s) => `${s}.md`)].filter((n) => md.has(n))
  return [...new Set([...ordered, ...[...md].sort()])]
}

/**
 * The text injected from a folder: per file, its newest blocks within `maxCharsPerSection`; empty when
 * the folder is absent or has nothing.
 *
 * @since 0.2.0
 * @category reading
 */
export const render = (options?: Options): Effect.Effect<string, MarkdownMemoryError> => {
  const dir = resolveDir(options?.memoryDir ?? DEFAULT_DIR)
  const max = options?.maxCharsPerSection ?? 2000
  return Effect.tryPromise({
    try: async () => {
      const parts: Array<string> = []
      for (const name of await filesOf(dir, options?.sections ?? DEFAULT_SECTIONS)) {
        const blocks = newestWithin(blocksOf((await readText(path.join(dir, name))) ?? ""), max)
        if (blocks.length > 0) parts.push(`## ${name.replace(/\.md$/, "")}\n\n${blocks.join("\n\n")}`)
      }
      return parts.length === 0
        ? ""
        : `# Memory\n\nWhat you were asked to remember (markdown files in ${dir}):\n\n${parts.join("\n\n")}`
    },
    catch: (e) => fail(`cannot read the memory folder ${dir}: ${(e as Error).message}`)
  })
}

const pendingOf = (state: Readonly<Record<string, unknown>>): ReadonlyArray<Preference> => {
  const raw = state[PENDING_KEY]
  return Array.isArray(raw)
    ? raw.filter((p): p is Preference => typeof p === "object" && p !== null && typeof (p as Preference).rule === "string")
    : []
}

/**
 * Builds a markdown memory. A folder that cannot be read or written fails the memory's phase, which the
 * agent's `on_error` decides about (default: reported, and the run goes on).
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (options?: Options): Memory["Type"] => {
  const dir = options?.memoryDir ?? DEFAULT_DIR
  return Memory.of({
    inject: () =>
      Effect.orDie(Effect.map(render(options), (text): ReadonlyArray<Message> => (text === "" ? [] : [{ _tag: "system", content: text }]))),
    writeback: (state, _turn) =>
      Effect.suspend(() => {
        const pending = pendingOf(state)
        if (!(PENDING_KEY in state)) return Effect.succeed(state)
        return Effect.forEach(pending, (p) => append(dir, p), { discard: true }).pipe(
          Effect.map(() => {
            const { [PENDING_KEY]: _drained, ...rest } = state
            return rest
          }),
          Effect.orDie
        )
      })
  })
}

/**
 * The markdown memory as a Layer.
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (options?: Options): Layer.Layer<Memory> => Layer.succeed(Memory, make(options))
