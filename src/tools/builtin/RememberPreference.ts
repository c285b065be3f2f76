/**
 * The `remember_preference` builtin: writes down a rule the user stated ("answer in French", "never use
 * tables") as a line of a Markdown file under a root folder, one section per category, so a later run,
 * another tool or a person can read it. A rule already in the file is not written again, which makes
 * the tool idempotent. (The Python SDK queues the rule in session state for its markdown memory; tools
 * here have no access to session state, so the file is the record.)
 *
 * @since 0.2.0
 */
import * as fsp from "node:fs/promises"
import * as path from "node:path"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Tool from "../Tool.js"
import { refuse } from "./BuiltinToolError.js"
import { io, readCapped, writeBytes } from "./internal/files.js"
import { resolve } from "./internal/sandbox.js"

/**
 * Options of {@link make}.
 *
 * @since 0.2.0
 * @category models
 */
export interface Options {
  /** The folder holding the file. */
  readonly root: string
  /** The Markdown file, relative to the root (default `preferences.md`). */
  readonly file?: string
  readonly name?: string
  readonly timeoutMs?: number
}

/**
 * Parameters of `remember_preference`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const Parameters = Schema.Struct({
  rule: Schema.String.annotations({ description: "The preference, as one sentence (e.g. \"Answer in French\")." }),
  category: Schema.optional(Schema.String.annotations({
    description: "A short category such as \"style\" or \"language\" (default \"user_feedback\")."
  })),
  reason: Schema.optional(Schema.String.annotations({ description: "Why, in the user's words, if given." }))
})

const MAX_FILE = 1_048_576
const oneLine = (s: string) => s.replace(/\s+/g, " ").trim()

/**
 * Makes the `remember_preference` tool.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (options: Options): Tool.Tool<typeof Parameters.Type> => {
  const name = options.name ?? "remember_preference"
  const root = { root: path.resolve(options.root) }
  const file = options.file ?? "preferences.md"
  const lock = Effect.unsafeMakeSemaphore(1)
  return Tool.make(name, {
    // its calls share one file: one conflict key orders them
    concurrencySafe: true,
    conflictKeys: () => ["remember_preference"],
    description: "Remembers a preference or rule the user stated, for later conversations: call it when the user " +
      "says how they want things done. Returns whether it was new.",
    parameters: Parameters,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    handler: ({ category = "user_feedback", reason, rule }) =>
      lock.withPermits(1)(Effect.gen(function*() {
        const text = oneLine(rule)
        if (text === "") return yield* refuse(name, "rule", "is empty")
        if (text.length > 1000) return yield* refuse(name, "rule", "is longer than 1000 characters")
        const cat = oneLine(category)
        if (!/^[\w -]{1,50}$/.test(cat)) {
          return yield* refuse(name, "category", "must be 1-50 letters, digits, spaces, '_' or '-'")
        }
        if (reason !== undefined && reason.length > 1000) return yield* refuse(name, "reason", "is longer than 1000 characters")
        const target = yield* resolve(name, "file", root, file)
        const current = target.exists
          ? new TextDecoder().decode((yield* readCapped(name, "file", file, target.real, MAX_FILE + 1)).bytes)
          : "# Preferences\n"
        const line = `- ${text}${reason !== undefined && oneLine(reason) !== "" ? ` (${oneLine(reason)})` : ""}`
        const heading = `## ${cat}`
        const lines = current.split("\n")
        const at = lines.indexOf(heading)
        let end = at
        if (at >= 0) {
          end = at + 1
          while (end < lines.length && !lines[end]!.startsWith("## ")) end++
          if (lines.slice(at + 1, end).some((l) => l === line || l.startsWith(`- ${text} (`) || l === `- ${text}`)) {
            return { remembered: false, category: cat, rule: text, file: target.relative }
          }
        }
        const next = at >= 0
          ? [...lines.slice(0, end).filter((l, i) => !(i === end - 1 && l === "")), line, ...(end < lines.length ? [""] : []), ...lines.slice(end)]
          : [...(current.endsWith("\n") ? lines.slice(0, -1) : lines), "", heading, line]
        const out = new TextEncoder().encode(next.join("\n").replace(/\n*$/, "\n"))
        if (out.length > MAX_FILE) return yield* refuse(name, "rule", `the preferences file would pass ${MAX_FILE} bytes`)
        yield* writeBytes(name, "file", file, target.real + ".tmp", out, "w")
        yield* io(name, "file", file, "write", () => fsp.rename(target.real + ".tmp", target.real))
        return { remembered: true, category: cat, rule: text, file: target.relative }
      }))
  })
}
