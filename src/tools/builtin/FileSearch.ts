/**
 * The file builtins `list_files` and `grep_files`, confined to a root folder like the other file tools:
 * they never descend through a symlink, skip the tools' own `.openagents` folder, and stop at a cap of
 * entries or matches (`truncated` says so).
 *
 * @since 0.2.0
 */
import type * as fs from "node:fs"
import * as fsp from "node:fs/promises"
import * as path from "node:path"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Tool from "../Tool.js"
import { quote, refuse } from "./BuiltinToolError.js"
import type { FileOptions } from "./FileTools.js"
import { io, readCapped } from "./internal/files.js"
import { RESERVED, resolve, type Root } from "./internal/sandbox.js"

/**
 * Default cap of `list_files`: 1000 entries.
 *
 * @since 0.2.0
 * @category constants
 */
export const DEFAULT_MAX_ENTRIES = 1000

/**
 * Default cap of `grep_files`: 200 matches.
 *
 * @since 0.2.0
 * @category constants
 */
export const DEFAULT_MAX_MATCHES = 200

/** Files and folders looked at in one call, whatever the caps: a walk of a huge tree stops there. */
const MAX_VISITED = 100_000
/** A line is tested on its first characters only (bounds the cost of a pathological regex). */
const MAX_LINE = 10_000

const timeout = (options: { readonly timeoutMs?: number }) =>
  options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}

/**
 * A glob (`*`, `?`, `[abc]`, `{a,b}`) as a RegExp over one name.
 *
 * @since 0.2.0
 * @category parsing
 */
export const globToRegExp = (glob: string): RegExp => {
  let out = ""
  let inClass = false
  let inAlt = false
  for (const ch of glob) {
    if (inClass) {
      out += ch === "]" ? "]" : ch === "\\" ? "\\\\" : ch
      if (ch === "]") inClass = false
      continue
    }
    if (ch === "*") out += "[^/]*"
    else if (ch === "?") out += "[^/]"
    else if (ch === "[") {
      out += "["
      inClass = true
    } else if (ch === "{") {
      out += "(?:"
      inAlt = true
    } else if (ch === "}" && inAlt) {
      out += ")"
      inAlt = false
    } else if (ch === "," && inAlt) out += "|"
    else out += ch.replace(/[.+^$()|\\{}]/g, "\\$&")
  }
  if (inClass || inAlt) throw new Error("unclosed '[' or '{'")
  return new RegExp(`^${out}$`, "s")
}

/**
 * True when a regular expression quantifies a group that holds a quantifier itself (`(a+)+`, `(\\w*)*`,
 * `(x+){2,}`): the shape of catastrophic backtracking, which would hold the process for minutes on one
 * line (a regex cannot be interrupted). A cheap check on the pattern's text; it may refuse a harmless
 * pattern, never lets such a nesting through.
 *
 * @since 0.2.0
 * @category predicates
 */
export const hasNestedQuantifier = (pattern: string): boolean => {
  const groups: Array<boolean> = []
  let quantified = false // the innermost open group holds a quantifier
  let inClass = false
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!
    if (ch === "\\") {
      i++
      continue
    }
    if (inClass) {
      if (ch === "]") inClass = false
      continue
    }
    if (ch === "[") inClass = true
    else if (ch === "(") {
      groups.push(quantified)
      quantified = false
    } else if (ch === ")") {
      const inner = quantified
      quantified = groups.pop() ?? false
      const next = pattern[i + 1]
      const isQuantified = next === "+" || next === "*" || (next === "{" && /^\{\d*,\d*\}|^\{\d{2,}\}/.test(pattern.slice(i + 1)))
      if (inner && isQuantified) return true
      if (inner) quantified = true
    } else if (ch === "+" || ch === "*" || ch === "{") quantified = true
  }
  return false
}

interface Walked {
  readonly relative: string
  readonly real: string
  readonly dirent: fs.Dirent
}

/** Walks a folder breadth-first without following symlinks; `visit` returns false to stop. */
const walk = (
  toolName: string,
  shown: string,
  start: { readonly real: string; readonly relative: string },
  recursive: boolean,
  visit: (entry: Walked) => boolean
) =>
  Effect.gen(function*() {
    const queue: Array<{ readonly real: string; readonly relative: string }> = [start]
    let visited = 0
    while (queue.length > 0) {
      const dir = queue.shift()!
      const entries = yield* io(toolName, "path", shown, "list", () => fsp.readdir(dir.real, { withFileTypes: true }))
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      for (const dirent of entries) {
        const relative = dir.relative === "." ? dirent.name : `${dir.relative}/${dirent.name}`
        if (relative === RESERVED) continue
        if (++visited > MAX_VISITED) return false
        const entry = { relative, real: path.join(dir.real, dirent.name), dirent }
        if (!visit(entry)) return false
        if (recursive && dirent.isDirectory()) queue.push(entry)
      }
    }
    return true
  })

/**
 * Parameters of `list_files`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const ListParameters = Schema.Struct({
  path: Schema.optional(Schema.String.annotations({ description: "Folder to list, relative to the root (default \".\")." })),
  pattern: Schema.optional(Schema.String.annotations({
    description: "Glob the names must match: *, ?, [abc], {a,b} (default \"*\")."
  })),
  recursive: Schema.optional(Schema.Boolean.annotations({ description: "List the sub-folders too (default false)." }))
})

/**
 * Makes the `list_files` tool: the entries of a folder under the root whose names match a glob, as
 * root-relative paths (folders end with `/`), sorted, at most `maxEntries`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const makeList = (options: FileOptions & { readonly maxEntries?: number }): Tool.Tool<typeof ListParameters.Type> => {
  const root: Root = { root: path.resolve(options.root) }
  const name = options.name ?? "list_files"
  const max = options.maxEntries ?? DEFAULT_MAX_ENTRIES
  return Tool.make(name, {
    // reads; calls on one path (or under it) run in order
    concurrencySafe: true,
    conflictKeys: ({ path }: { readonly path?: string | undefined }) => [Tool.pathKey(path ?? ".")],
    description: "Lists the files and folders under the folder the tool is confined to, optionally recursively and " +
      `filtered by a glob on the names. Paths are relative to that folder; folders end with '/'. At most ${max} entries.`,
    parameters: ListParameters,
    ...timeout(options),
    handler: ({ path: requested = ".", pattern = "*", recursive = false }) =>
      Effect.gen(function*() {
        if (pattern.length > 500) return yield* refuse(name, "pattern", "is longer than 500 characters")
        const regex = yield* Effect.try({
          try: () => globToRegExp(pattern),
          catch: (e) => refuse(name, "pattern", `${quote(pattern)} is not a valid glob: ${(e as Error).message}`)
        })
        const dir = yield* resolve(name, "path", root, requested)
        const files: Array<string> = []
        let truncated = false
        const complete = yield* walk(name, requested, dir, recursive, (entry) => {
          if (!regex.test(entry.dirent.name)) return true
          if (files.length >= max) {
            truncated = true
            return false
          }
          files.push(entry.dirent.isDirectory() ? `${entry.relative}/` : entry.relative)
          return true
        })
        files.sort()
        return { path: dir.relative, pattern, files, count: files.length, truncated: truncated || !complete }
      })
  })
}

/**
 * Parameters of `grep_files`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const GrepParameters = Schema.Struct({
  pattern: Schema.String.annotations({ description: "Regular expression (JavaScript syntax) searched in each line." }),
  path: Schema.optional(Schema.String.annotations({
    description: "File or folder to search, relative to the root (default \".\": every file under the root)."
  })),
  case_sensitive: Schema.optional(Schema.Boolean.annotations({ description: "Match case exactly (default true)." }))
})

/**
 * Makes the `grep_files` tool: the lines matching a regular expression in the text files under a path
 * of the root (binary files and symlinks skipped), at most `maxMatches`, each file read up to
 * `maxReadBytes`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const makeGrep = (
  options: FileOptions & { readonly maxMatches?: number; readonly maxReadBytes?: number }
): Tool.Tool<typeof GrepParameters.Type> => {
  const root: Root = { root: path.resolve(options.root) }
  const name = options.name ?? "grep_files"
  const max = options.maxMatches ?? DEFAULT_MAX_MATCHES
  const maxRead = options.maxReadBytes ?? 1_048_576
  return Tool.make(name, {
    // reads; calls on one path (or under it) run in order
    concurrencySafe: true,
    conflictKeys: ({ path }: { readonly path?: string | undefined }) => [Tool.pathKey(path ?? ".")],
    description: "Searches the text files under the folder the tool is confined to for lines matching a regular " +
      `expression. Returns each match's file (relative path), line number and text; at most ${max} matches.`,
    parameters: GrepParameters,
    ...timeout(options),
    handler: ({ case_sensitive = true, path: requested = ".", pattern }) =>
      Effect.gen(function*() {
        if (pattern.length > 1000) return yield* refuse(name, "pattern", "is longer than 1000 characters")
        if (hasNestedQuantifier(pattern)) {
          return yield* refuse(
            name,
            "pattern",
            `${quote(pattern)} quantifies a group that holds a quantifier (like (a+)+): it can take forever on one line`
          )
        }
        const regex = yield* Effect.try({
          try: () => new RegExp(pattern, case_sensitive ? "u" : "iu"),
          catch: (e) => refuse(name, "pattern", `${quote(pattern)} is not a valid regular expression: ${(e as Error).message}`)
        })
        const start = yield* resolve(name, "path", root, requested)
        const stat = yield* io(name, "path", requested, "search", () => fsp.lstat(start.real))
        const files: Array<{ readonly relative: string; readonly real: string }> = []
        let complete = true
        if (stat.isFile()) files.push(start)
        else if (stat.isDirectory()) {
          complete = yield* walk(name, requested, start, true, (entry) => {
            if (entry.dirent.isFile()) files.push(entry)
            return true
          })
        } else return yield* refuse(name, "path", `${quote(requested)} is neither a file nor a folder`)
        const matches: Array<{ file: string; line: number; text: string }> = []
        let truncated = !complete
        scan: for (const file of files) {
          const read = yield* Effect.either(readCapped(name, "path", file.relative, file.real, maxRead))
          if (read._tag === "Left") continue
          if (read.right.bytes.subarray(0, 8192).includes(0)) continue // binary
          if (read.right.truncated) truncated = true
          const lines = new TextDecoder("utf-8").decode(read.right.bytes).split(/\r?\n/)
          for (let i = 0; i < lines.length; i++) {
            const line = lines[i]!
            if (!regex.test(line.length > MAX_LINE ? line.slice(0, MAX_LINE) : line)) continue
            if (matches.length >= max) {
              truncated = true
              break scan
            }
            matches.push({ file: file.relative, line: i + 1, text: line.length > 500 ? `${line.slice(0, 500)}…` : line })
          }
        }
        return { pattern, path: start.relative, matches, count: matches.length, truncated }
      })
  })
}
