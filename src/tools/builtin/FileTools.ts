/**
 * The file builtins `read_file`, `write_file` and `delete_file`, confined to a root folder: a path with
 * `..`, an absolute path outside the root, or one that a symlink leads out of the root is refused with
 * an error naming the path and the root; reads and writes are capped in bytes.
 *
 * @since 0.2.0
 */
import * as fsp from "node:fs/promises"
import * as path from "node:path"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Tool from "../Tool.js"
import { quote, refuse } from "./BuiltinToolError.js"
import { appendOnce, io, readCapped, writeBytes } from "./internal/files.js"
import { realRoot, resolve, type Root } from "./internal/sandbox.js"

/**
 * Options shared by the file tools.
 *
 * @since 0.2.0
 * @category models
 */
export interface FileOptions {
  /** The folder the tool is confined to (absolute, or relative to the working directory). */
  readonly root: string
  /** The tool's name as the model sees it. */
  readonly name?: string
  readonly timeoutMs?: number
}

/**
 * Default cap of `read_file`: 1 MiB.
 *
 * @since 0.2.0
 * @category constants
 */
export const DEFAULT_MAX_READ_BYTES = 1_048_576

/**
 * Default cap of `write_file`: 1 MiB per call.
 *
 * @since 0.2.0
 * @category constants
 */
export const DEFAULT_MAX_WRITE_BYTES = 1_048_576

const rootOf = (options: FileOptions): Root => ({ root: path.resolve(options.root) })
const timeout = (options: { readonly timeoutMs?: number }) =>
  options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}

const PathParam = Schema.String.annotations({
  description: "Path of the file, relative to the tool's root folder (absolute paths must lie inside the root)."
})

/**
 * Parameters of `read_file`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const ReadParameters = Schema.Struct({ path: PathParam })

/**
 * Makes the `read_file` tool: reads a UTF-8 text file under the root, at most `maxReadBytes` of it
 * (`truncated` says when there was more).
 *
 * @since 0.2.0
 * @category constructors
 */
export const makeRead = (options: FileOptions & { readonly maxReadBytes?: number }): Tool.Tool<typeof ReadParameters.Type> => {
  const root = rootOf(options)
  const name = options.name ?? "read_file"
  const max = options.maxReadBytes ?? DEFAULT_MAX_READ_BYTES
  return Tool.make(name, {
    // calls on one path (or under it) run in order: the default conflict keys are the path arguments
    concurrencySafe: true,
    description: `Reads a text file under the folder the tool is confined to. Returns its content (the first ${max} ` +
      "bytes at most; `truncated` is true when the file is longer) and its size in bytes.",
    parameters: ReadParameters,
    ...timeout(options),
    handler: ({ path: requested }) =>
      Effect.gen(function*() {
        const target = yield* resolve(name, "path", root, requested)
        const read = yield* readCapped(name, "path", requested, target.real, max)
        return {
          path: target.relative,
          content: new TextDecoder("utf-8").decode(read.bytes),
          size: read.size,
          truncated: read.truncated
        }
      })
  })
}

/**
 * Parameters of `write_file`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const WriteParameters = Schema.Struct({
  path: PathParam,
  content: Schema.String.annotations({ description: "The text to write (UTF-8)." }),
  mode: Schema.optional(Schema.Literal("w", "a").annotations({
    description: "\"w\" replaces the file (the default), \"a\" appends to it. Missing folders are created."
  }))
})

/**
 * Makes the `write_file` tool. Appends are recorded in a ledger under `<root>/.openagents/` before
 * they happen, so a durable run resumed after a crash does not append the same call's text twice: with
 * that (the default, `exactlyOnceAppends`), the tool is idempotent per call and declares so; without
 * it, it declares itself not idempotent and a resume leaves the call to a human.
 *
 * @since 0.2.0
 * @category constructors
 */
export const makeWrite = (
  options: FileOptions & { readonly maxWriteBytes?: number; readonly exactlyOnceAppends?: boolean }
): Tool.Tool<typeof WriteParameters.Type> => {
  const root = rootOf(options)
  const name = options.name ?? "write_file"
  const max = options.maxWriteBytes ?? DEFAULT_MAX_WRITE_BYTES
  const once = options.exactlyOnceAppends ?? true
  // appends of one tool instance go one at a time, so a recorded offset is the one the bytes land at
  const lock = Effect.unsafeMakeSemaphore(1)
  return Tool.make(name, {
    // calls on one path (or under it) run in order: the default conflict keys are the path arguments
    concurrencySafe: true,
    description: "Writes a text file under the folder the tool is confined to: mode \"w\" replaces it, \"a\" appends. " +
      `Creates missing folders. At most ${max} bytes per call.`,
    parameters: WriteParameters,
    durableIdempotent: once,
    ...timeout(options),
    handler: ({ content, mode = "w", path: requested }, context) =>
      Effect.gen(function*() {
        const bytes = new TextEncoder().encode(content)
        if (bytes.length > max) {
          return yield* refuse(name, "content", `is ${bytes.length} bytes, more than the ${max} bytes a call may write`)
        }
        const target = yield* resolve(name, "path", root, requested)
        if (mode === "a" && once) {
          const rootReal = yield* realRoot(name, root)
          const { replayed } = yield* lock.withPermits(1)(
            appendOnce(name, "path", requested, target.real, target.relative, rootReal, bytes, {
              run: context.runId,
              call: context.callId
            })
          )
          return { path: target.relative, bytes_written: bytes.length, mode, ...(replayed ? { replayed } : {}) }
        }
        yield* lock.withPermits(1)(writeBytes(name, "path", requested, target.real, bytes, mode))
        return { path: target.relative, bytes_written: bytes.length, mode }
      })
  })
}

/**
 * Parameters of `delete_file`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const DeleteParameters = Schema.Struct({
  path: PathParam,
  recursive: Schema.optional(Schema.Boolean.annotations({
    description: "Required (true) to delete a folder that is not empty, with everything in it."
  }))
})

/**
 * Makes the `delete_file` tool: deletes a file, a symlink (not its target) or a folder (a non-empty one
 * with `recursive: true`) under the root; never the root itself. Not idempotent.
 *
 * @since 0.2.0
 * @category constructors
 */
export const makeDelete = (options: FileOptions): Tool.Tool<typeof DeleteParameters.Type> => {
  const root = rootOf(options)
  const name = options.name ?? "delete_file"
  return Tool.make(name, {
    // calls on one path (or under it) run in order: the default conflict keys are the path arguments
    concurrencySafe: true,
    description: "Deletes a file or a folder under the folder the tool is confined to (a folder that is not empty " +
      "only with recursive: true).",
    parameters: DeleteParameters,
    durableIdempotent: false,
    ...timeout(options),
    handler: ({ path: requested, recursive }) =>
      Effect.gen(function*() {
        const target = yield* resolve(name, "path", root, requested, { followLast: false })
        if (target.relative === ".") return yield* refuse(name, "path", `${quote(requested)} is the root itself: it is never deleted`)
        const stat = yield* io(name, "path", requested, "delete", () => fsp.lstat(target.real))
        if (stat.isDirectory()) {
          const entries = yield* io(name, "path", requested, "delete", () => fsp.readdir(target.real))
          if (entries.length > 0 && recursive !== true) {
            return yield* refuse(name, "recursive", `${quote(requested)} is a folder that is not empty: pass recursive: true to delete it`)
          }
          yield* io(name, "path", requested, "delete", () => fsp.rm(target.real, { recursive: true }))
          return { path: target.relative, deleted: "folder" as const }
        }
        yield* io(name, "path", requested, "delete", () => fsp.unlink(target.real))
        return { path: target.relative, deleted: stat.isSymbolicLink() ? "symlink" as const : "file" as const }
      })
  })
}
