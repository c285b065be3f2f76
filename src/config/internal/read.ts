/**
 * Reading an `agent.json` file: only a regular file is read, and its text is parsed as JSON with syntax
 * errors located by line and column.
 *
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"
import * as fs from "node:fs/promises"
import * as NodePath from "node:path"
import { ConfigError } from "../../kernel/Errors.js"
import { tooDeepAt } from "../../internal/jsonDepth.js"

/**
 * How deep arrays and objects may nest in a config. The loader walks a config recursively (env
 * substitution, Schema decoding, Ajv), so a pathological file would overflow the stack; a real
 * agent.json, output_schema included, stays far below this.
 *
 * @since 0.2.0
 * @category constants
 */
export const MAX_DEPTH = 100

const errnoCode = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && typeof (error as { code?: unknown }).code === "string"
    ? (error as { code: string }).code
    : undefined

/**
 * A file system error as a config error naming the file.
 *
 * @since 0.2.0
 * @category errors
 */
export const readError = (path: string, error: unknown): ConfigError => {
  const code = errnoCode(error)
  if (code === "ENOENT" || code === "ENOTDIR") {
    return ConfigError.single("", `config file not found: ${path}`, {
      source: path,
      hint: "pass the path to an agent.json file (relative to the current directory, or absolute)"
    })
  }
  if (code === "EACCES" || code === "EPERM") {
    return ConfigError.single("", `cannot read config file ${path}: permission denied`, {
      source: path,
      hint: "check the file's permissions"
    })
  }
  const detail = error instanceof Error ? error.message : String(error)
  return ConfigError.single("", `cannot read config file ${path}: ${detail}`, { source: path })
}

const lineAndColumn = (text: string, position: number): { readonly line: number; readonly column: number } => {
  const before = text.slice(0, Math.max(0, Math.min(position, text.length)))
  const lines = before.split("\n")
  return { line: lines.length, column: lines[lines.length - 1]!.length + 1 }
}

/**
 * Parses JSON text, failing with a `ConfigError` that names the line and column of a syntax error.
 *
 * @since 0.1.0
 * @category decoding
 */
export const parseJson = (text: string, source?: string): Effect.Effect<unknown, ConfigError> =>
  Effect.suspend(() => {
    const deep = tooDeepAt(text, MAX_DEPTH)
    if (deep === undefined) return parse(text, source)
    const { line, column } = lineAndColumn(text, deep)
    return Effect.fail(
      ConfigError.single("", `JSON nested more than ${MAX_DEPTH} levels deep at line ${line}, column ${column}`, {
        ...(source !== undefined ? { source } : {}),
        hint: `an agent.json needs only a few levels of nesting; arrays and objects may nest at most ${MAX_DEPTH} deep`
      })
    )
  })

const parse = (text: string, source?: string): Effect.Effect<unknown, ConfigError> =>
  Effect.try({
    try: () => JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as unknown,
    catch: (error) => {
      const raw = error instanceof Error ? error.message : String(error)
      const position = /at position (\d+)/.exec(raw)
      const { line, column } = lineAndColumn(text, position ? Number(position[1]) : text.length)
      const detail = raw
        .replace(/\s*\(line \d+ column \d+\)/, "")
        .replace(/\s*in JSON at position \d+/, "")
        .replace(/,\s*"[\s\S]*" is not valid JSON$/, "")
      return ConfigError.single("", `invalid JSON at line ${line}, column ${column}: ${detail}`, {
        ...(source !== undefined ? { source } : {}),
        hint: "JSON allows no comments, no trailing commas and only double-quoted strings and keys"
      })
    }
  })

const KINDS: ReadonlyArray<readonly [string, (s: import("node:fs").Stats) => boolean]> = [
  ["a named pipe (FIFO)", (s) => s.isFIFO()],
  ["a socket", (s) => s.isSocket()],
  ["a character device", (s) => s.isCharacterDevice()],
  ["a block device", (s) => s.isBlockDevice()]
]

/**
 * Reads the text of a config file. Anything but a regular file is refused before it is opened: reading
 * a named pipe or a device would block until a writer comes, or never end.
 *
 * @since 0.2.0
 * @category reading
 */
export const readConfigText = (absolute: string): Effect.Effect<string, ConfigError> =>
  Effect.gen(function*() {
    const stat = yield* Effect.tryPromise({ try: () => fs.stat(absolute), catch: (e) => readError(absolute, e) })
    if (stat.isDirectory()) {
      const candidate = NodePath.join(absolute, "agent.json")
      const hasCandidate = yield* Effect.promise(() => fs.stat(candidate).then((s) => s.isFile(), () => false))
      return yield* ConfigError.single("", `${absolute} is a directory, not a config file`, {
        source: absolute,
        hint: hasCandidate ? `pass the file inside it: ${candidate}` : "pass the path to an agent.json file, not to a directory"
      })
    }
    if (!stat.isFile()) {
      const kind = KINDS.find(([, is]) => is(stat))?.[0] ?? "not a regular file"
      return yield* ConfigError.single("", `${absolute} is ${kind}, not a regular config file`, {
        source: absolute,
        hint: "pass the path to an agent.json file; to use generated JSON, write it to a file first"
      })
    }
    return yield* Effect.tryPromise({ try: () => fs.readFile(absolute, "utf8"), catch: (e) => readError(absolute, e) })
  })
