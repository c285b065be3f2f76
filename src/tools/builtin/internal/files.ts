/**
 * File helpers of the file tools: opening without following a final symlink, capped reads, and the
 * append ledger that makes an append happen once per tool call.
 */
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as fsp from "node:fs/promises"
import * as path from "node:path"
import * as Effect from "effect/Effect"
import { type BuiltinToolError, quote, refuse } from "../BuiltinToolError.js"
import { errnoCode, RESERVED } from "./sandbox.js"

const { O_APPEND, O_CREAT, O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_TRUNC, O_WRONLY } = fs.constants

/** An fs call as an Effect whose failure is a tool error naming the path and the errno code. */
export const io = <A>(toolName: string, argument: string, shown: string, what: string, f: () => Promise<A>) =>
  Effect.tryPromise({
    try: f,
    catch: (e): BuiltinToolError => {
      const code = errnoCode(e)
      const reason = code === "ENOENT"
        ? "it does not exist"
        : code === "EISDIR"
        ? "it is a directory"
        : code === "ELOOP"
        ? "it is a symlink (refused: it could lead outside the root)"
        : code === "ENOTDIR"
        ? "a part of it is not a directory"
        : code === "EACCES" || code === "EPERM"
        ? "permission denied"
        : code ?? (e instanceof Error ? e.message : String(e))
      return refuse(toolName, argument, `cannot ${what} ${quote(shown)}: ${reason}`)
    }
  })

/** Reads at most `max` bytes of a regular file (never through a final symlink, never blocking on a FIFO). */
export const readCapped = (toolName: string, argument: string, shown: string, real: string, max: number) =>
  Effect.acquireUseRelease(
    io(toolName, argument, shown, "read", () => fsp.open(real, O_RDONLY | O_NOFOLLOW | O_NONBLOCK)),
    (handle) =>
      Effect.gen(function*() {
        const stat = yield* io(toolName, argument, shown, "read", () => handle.stat())
        if (stat.isDirectory()) {
          return yield* refuse(toolName, argument, `cannot read ${quote(shown)}: it is a directory (use list_files)`)
        }
        if (!stat.isFile()) return yield* refuse(toolName, argument, `cannot read ${quote(shown)}: it is not a regular file`)
        const length = Math.min(stat.size, max)
        const buffer = Buffer.alloc(length)
        let read = 0
        while (read < length) {
          const { bytesRead } = yield* io(toolName, argument, shown, "read", () => handle.read(buffer, read, length - read, read))
          if (bytesRead === 0) break
          read += bytesRead
        }
        return { bytes: buffer.subarray(0, read), size: stat.size, truncated: stat.size > read }
      }),
    (handle) => Effect.promise(() => handle.close())
  )

/** Writes (`w`) or appends (`a`) bytes, never through a final symlink; creates the missing parent folders. */
export const writeBytes = (
  toolName: string,
  argument: string,
  shown: string,
  real: string,
  bytes: Uint8Array,
  mode: "w" | "a"
) =>
  Effect.gen(function*() {
    yield* io(toolName, argument, shown, "create the folders of", () => fsp.mkdir(path.dirname(real), { recursive: true }))
    const flags = O_WRONLY | O_CREAT | O_NOFOLLOW | (mode === "a" ? O_APPEND : O_TRUNC)
    yield* Effect.acquireUseRelease(
      io(toolName, argument, shown, "write", () => fsp.open(real, flags, 0o644)),
      (handle) => io(toolName, argument, shown, "write", () => handle.writeFile(bytes)),
      (handle) => Effect.promise(() => handle.close())
    )
  })

/** One record of the append ledger: an append about to happen, at `offset` of `file`. */
interface LedgerEntry {
  readonly run: string
  readonly call: string
  readonly file: string
  readonly offset: number
  readonly bytes: number
  readonly sha256: string
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")

/** The ledger file of a root. */
export const ledgerPath = (rootReal: string) => path.join(rootReal, RESERVED, "append-ledger.jsonl")

const findEntry = (ledger: string, run: string, call: string) =>
  Effect.map(
    Effect.either(Effect.tryPromise(() => fsp.readFile(ledger, "utf8"))),
    (text): { readonly found: LedgerEntry | undefined; readonly torn: boolean } => {
      if (text._tag === "Left") return { found: undefined, torn: false }
      let found: LedgerEntry | undefined
      for (const line of text.right.split("\n")) {
        if (line === "") continue
        try {
          const entry = JSON.parse(line) as LedgerEntry
          if (entry.run === run && entry.call === call) found = entry
        } catch {
          // a torn last line (a crash while recording): that append never started
        }
      }
      return { found, torn: text.right.length > 0 && !text.right.endsWith("\n") }
    }
  )

/** True when the bytes at `entry.offset` of the file are the ones the entry recorded. */
const applied = (real: string, entry: LedgerEntry) =>
  Effect.map(
    Effect.either(Effect.tryPromise(async () => {
      const handle = await fsp.open(real, O_RDONLY | O_NOFOLLOW | O_NONBLOCK)
      try {
        const buffer = Buffer.alloc(entry.bytes)
        const { bytesRead } = await handle.read(buffer, 0, entry.bytes, entry.offset)
        return bytesRead === entry.bytes && sha256(buffer) === entry.sha256
      } finally {
        await handle.close()
      }
    })),
    (r) => r._tag === "Right" && r.right
  )

/**
 * Appends once per (run, call): the intent (file, offset, digest) is recorded in the ledger first, then
 * the bytes appended. Called again for the same call (a durable run resumed after a crash), it finds
 * the intent and, when the file holds those bytes at that offset, does not append them again.
 * Exactly once as long as nothing else appends to the file between the crash and the resume.
 */
export const appendOnce = (
  toolName: string,
  argument: string,
  shown: string,
  real: string,
  relative: string,
  rootReal: string,
  bytes: Uint8Array,
  key: { readonly run: string; readonly call: string }
): Effect.Effect<{ readonly replayed: boolean }, BuiltinToolError> =>
  Effect.gen(function*() {
    const ledger = ledgerPath(rootReal)
    const { found: previous, torn } = yield* findEntry(ledger, key.run, key.call)
    const digest = sha256(bytes)
    if (previous && previous.file === relative && previous.sha256 === digest && (yield* applied(real, previous))) {
      return { replayed: true }
    }
    const offset = yield* Effect.map(
      Effect.either(Effect.tryPromise(() => fsp.lstat(real))),
      (r) => (r._tag === "Right" ? r.right.size : 0)
    )
    const entry: LedgerEntry = { run: key.run, call: key.call, file: relative, offset, bytes: bytes.length, sha256: digest }
    yield* io(toolName, argument, shown, "record the append of", async () => {
      await fsp.mkdir(path.dirname(ledger), { recursive: true })
      // after a torn line, start a new one
      await fsp.appendFile(ledger, (torn ? "\n" : "") + JSON.stringify(entry) + "\n")
    })
    yield* writeBytes(toolName, argument, shown, real, bytes, "a")
    return { replayed: false }
  })
