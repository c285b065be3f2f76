/**
 * A session store in append-only JSON Lines files: one file per session under a root directory.
 *
 * Every write appends whole lines with a single `O_APPEND` write, so processes sharing the directory
 * interleave whole lines and never rewrite each other's data; a read replays the file (incrementally: only
 * the bytes appended since the last read of the same file are parsed). A torn last line left by a crash,
 * or a corrupt line anywhere, is skipped and reported with `Effect.logWarning`, never fatal.
 * `acquire` takes an exclusive lock file next to the session file.
 *
 * @since 0.1.0
 */
import { randomUUID } from "node:crypto"
import * as fsp from "node:fs/promises"
import * as path from "node:path"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Schema from "effect/Schema"
import { SessionStoreError } from "../kernel/Errors.js"
import { causeMessage, copyState, errnoCode, fromJson, schemas, toJson } from "./internal/codec.js"
import { decodeSessionId, digest, encodeSessionId, isHashedName } from "./internal/filename.js"
import { emptySnapshot, Header, headerLine, type Problem, recordLine, replay, type Snapshot } from "./internal/jsonl.js"
import * as Fork from "./internal/fork.js"
import * as Lease from "./internal/lease.js"
import { SessionStore } from "./SessionStore.js"

/**
 * Options of the JSONL store.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Directory holding one `<encoded session id>.jsonl` file per session; created if missing. */
  readonly rootDir: string
  /** `fsync` every append (and the directory when a session file is created). Default `false`. */
  readonly fsync?: boolean | undefined
  /** How long `acquire` waits for a session locked by another process. Default 5000 ms. */
  readonly lockTimeoutMs?: number | undefined
}

const SESSION_EXT = ".jsonl"
const LOCK_EXT = ".lock"
/** Parsed sessions kept in memory; the least recently read are dropped first. */
const MAX_CACHED_SESSIONS = 64
/** A lock file that stays unreadable this long (its writer died between creating and writing it) is stale. */
const UNREADABLE_LOCK_GRACE_MS = 1000

interface CacheEntry {
  readonly dev: number
  readonly ino: number
  /** The file's first line, bytes and newline: tells a file from another one created at the same path. */
  readonly header: Buffer
  /** Bytes of complete lines already applied to `snapshot`. */
  readonly offset: number
  /** Number of the line starting at `offset`. */
  readonly line: number
  readonly snapshot: Snapshot
}

type LockState =
  | { readonly kind: "missing" }
  | { readonly kind: "owner"; readonly owner: Lease.LeaseOwner; readonly key: string }
  | { readonly kind: "unreadable"; readonly key: string }

const hintFor = (cause: unknown): string => {
  switch (errnoCode(cause)) {
    case "ENOSPC":
    case "EDQUOT":
      return "The disk holding root_dir is full: free some space."
    case "EACCES":
    case "EPERM":
    case "EROFS":
      return "Check write permissions on root_dir (and that its file system is not read-only)."
    case "EMFILE":
    case "ENFILE":
      return "Too many open files: raise the process's file descriptor limit."
    default:
      return "Check that root_dir exists and is writable, and that its disk has free space."
  }
}

const ignoreMissing = (cause: unknown): void => {
  if (errnoCode(cause) !== "ENOENT") throw cause
}

/** Reads from `position` to the end of what `length` says, however many reads it takes. */
const readRange = async (fh: fsp.FileHandle, position: number, length: number): Promise<Buffer> => {
  const buffer = Buffer.alloc(length)
  let got = 0
  while (got < length) {
    const { bytesRead } = await fh.read(buffer, got, length - got, position + got)
    if (bytesRead === 0) break
    got += bytesRead
  }
  return got === length ? buffer : buffer.subarray(0, got)
}

/** Writes the whole buffer; `write` on an `O_APPEND` handle always appends at the current end. */
const writeAll = async (fh: fsp.FileHandle, data: Buffer): Promise<void> => {
  let done = 0
  while (done < data.length) {
    const { bytesWritten } = await fh.write(data, done, data.length - done)
    done += bytesWritten
  }
}

/** Creates `file` exclusively (`O_CREAT | O_EXCL`) with `content`; false when it already exists. */
const createExclusive = async (file: string, content: string): Promise<boolean> => {
  let fh: fsp.FileHandle
  try {
    fh = await fsp.open(file, "wx")
  } catch (e) {
    if (errnoCode(e) === "EEXIST") return false
    throw e
  }
  try {
    await fh.writeFile(content, "utf8")
  } catch (e) {
    // never leave an empty lock behind
    await fh.close().catch(() => undefined)
    await fsp.unlink(file).catch(() => undefined)
    throw e
  }
  await fh.close()
  return true
}

const readLock = async (file: string): Promise<LockState> => {
  let fh: fsp.FileHandle
  try {
    fh = await fsp.open(file, "r")
  } catch (e) {
    if (errnoCode(e) === "ENOENT") return { kind: "missing" }
    throw e
  }
  try {
    const stat = await fh.stat()
    const text = (await readRange(fh, 0, Math.min(stat.size, 64 * 1024))).toString("utf8")
    const owner = fromJson(Lease.LeaseOwner, text)
    return Either.isRight(owner)
      ? { kind: "owner", owner: owner.right, key: `token:${owner.right.token}` }
      : { kind: "unreadable", key: `file:${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}` }
  } finally {
    await fh.close()
  }
}

/**
 * Builds a JSONL store on `rootDir` (created if missing).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<SessionStore["Type"], SessionStoreError> =>
  Effect.gen(function*() {
    const root = path.resolve(options.rootDir)
    const fsync = options.fsync ?? false
    const lockTimeoutMs = options.lockTimeoutMs ?? 5000

    yield* Effect.tryPromise({
      try: () => fsp.mkdir(root, { recursive: true }),
      catch: (cause) =>
        new SessionStoreError({
          operation: "open",
          message: `Cannot create the session directory ${root}: ${causeMessage(cause)}`,
          hint: hintFor(cause)
        })
    })

    const stem = (sessionId: string) => path.join(root, encodeSessionId(sessionId))
    const fileOf = (sessionId: string) => stem(sessionId) + SESSION_EXT
    const lockOf = (sessionId: string) => stem(sessionId) + LOCK_EXT

    const failWith = (sessionId: string, operation: string, file: string) => (cause: unknown) =>
      new SessionStoreError({
        sessionId,
        operation,
        message: `${operation} failed for session '${sessionId}' (${file}): ${causeMessage(cause)}`,
        hint: hintFor(cause)
      })

    // ---------------------------------------------------------------------------------------------------
    // reading: replay, cached per file and brought up to date from the bytes appended since
    // ---------------------------------------------------------------------------------------------------

    const cache = new Map<string, CacheEntry>()
    const locks = new Map<string, Effect.Semaphore>()
    const reported = new Map<string, Set<string>>()

    const lockFor = (file: string): Effect.Semaphore => {
      let semaphore = locks.get(file)
      if (!semaphore) {
        semaphore = Effect.unsafeMakeSemaphore(1)
        locks.set(file, semaphore)
      }
      return semaphore
    }

    const refresh = async (
      file: string
    ): Promise<{ snapshot: Snapshot; problems: ReadonlyArray<Problem>; ino: number }> => {
      let fh: fsp.FileHandle
      try {
        fh = await fsp.open(file, "r")
      } catch (e) {
        if (errnoCode(e) === "ENOENT") {
          cache.delete(file)
          return { snapshot: emptySnapshot(), problems: [], ino: 0 }
        }
        throw e
      }
      try {
        const stat = await fh.stat()
        let base: CacheEntry | undefined = cache.get(file)
        if (base && !(base.dev === stat.dev && base.ino === stat.ino && stat.size >= base.offset)) base = undefined
        if (base && !(await readRange(fh, 0, base.header.length)).equals(base.header)) base = undefined
        const start = base?.offset ?? 0
        const data = await readRange(fh, start, stat.size - start)
        // everything below is synchronous: the cached snapshot is never seen half-updated
        const snapshot = base?.snapshot ?? emptySnapshot()
        const startLine = base?.line ?? 1
        const result = replay(snapshot, data, start, startLine)
        let header = base?.header
        if (!header) {
          const nl = data.indexOf(0x0a)
          if (nl >= 0 && nl < result.consumed) header = Buffer.from(data.subarray(0, nl + 1))
        }
        cache.delete(file)
        if (header) {
          cache.set(file, {
            dev: stat.dev,
            ino: stat.ino,
            header,
            offset: start + result.consumed,
            line: startLine + result.lines,
            snapshot
          })
          if (cache.size > MAX_CACHED_SESSIONS) cache.delete(cache.keys().next().value!)
        }
        return { snapshot, problems: result.problems, ino: stat.ino }
      } finally {
        await fh.close()
      }
    }

    // keyed by inode too: a file deleted and written again may have another bad line at the same offset
    const report = (file: string, ino: number, problems: ReadonlyArray<Problem>) =>
      Effect.forEach(problems, (problem) => {
        let seen = reported.get(file)
        if (!seen) {
          seen = new Set()
          reported.set(file, seen)
        }
        const key = `${ino}:${problem.offset}`
        if (seen.has(key)) return Effect.void
        seen.add(key)
        const what = problem.torn ? "a torn last line" : "a corrupt line"
        return Effect.logWarning(`Skipped ${what} in ${file} at line ${problem.line}: ${problem.reason}`).pipe(
          Effect.annotateLogs({ file, line: problem.line })
        )
      }, { discard: true })

    /** Replays the session and projects what the caller needs while no other fiber can update the cache. */
    const read = <A>(sessionId: string, operation: string, project: (snapshot: Snapshot) => A) => {
      const file = fileOf(sessionId)
      return lockFor(file).withPermits(1)(
        Effect.uninterruptible(
          Effect.tryPromise({ try: () => refresh(file), catch: failWith(sessionId, operation, file) }).pipe(
            Effect.tap(({ ino, problems }) => report(file, ino, problems)),
            Effect.map(({ snapshot }) => project(snapshot))
          )
        )
      )
    }

    // ---------------------------------------------------------------------------------------------------
    // writing: whole lines, one O_APPEND write
    // ---------------------------------------------------------------------------------------------------

    const appendRaw = async (file: string, header: string, lines: ReadonlyArray<string>): Promise<void> => {
      const fh = await fsp.open(file, "a+")
      let created = false
      try {
        const { size } = await fh.stat()
        let prefix = ""
        if (size === 0) {
          created = true
          prefix = header + "\n"
        } else {
          // a torn last line (a crash mid-write) must not glue onto the line written now
          const last = await readRange(fh, size - 1, 1)
          if (last[0] !== 0x0a) prefix = "\n"
        }
        const body = lines.length > 0 ? lines.join("\n") + "\n" : ""
        if (prefix.length + body.length > 0) await writeAll(fh, Buffer.from(prefix + body, "utf8"))
        if (fsync) await fh.sync()
      } finally {
        await fh.close()
      }
      if (fsync && created) {
        // make the new directory entry durable too; not every platform can open a directory
        const dir = await fsp.open(root, "r").catch(() => undefined)
        if (dir) await dir.sync().catch(() => undefined).finally(() => dir.close())
      }
    }

    const append = (sessionId: string, operation: string, lines: ReadonlyArray<string>) =>
      Effect.gen(function*() {
        const file = fileOf(sessionId)
        const now = yield* Clock.currentTimeMillis
        const header = headerLine(sessionId, now, randomUUID())
        yield* Effect.uninterruptible(
          Effect.tryPromise({ try: () => appendRaw(file, header, lines), catch: failWith(sessionId, operation, file) })
        )
      })

    // ---------------------------------------------------------------------------------------------------
    // listing
    // ---------------------------------------------------------------------------------------------------

    const readHeaderId = async (file: string): Promise<string | undefined> => {
      let fh: fsp.FileHandle
      try {
        fh = await fsp.open(file, "r")
      } catch (e) {
        if (errnoCode(e) === "ENOENT") return undefined
        throw e
      }
      try {
        const chunks: Array<Buffer> = []
        let position = 0
        // ids are bounded only by what fits in a line; stop at the first newline or after 1 MiB
        while (position < 1024 * 1024) {
          const chunk = await readRange(fh, position, 64 * 1024)
          if (chunk.length === 0) break
          const nl = chunk.indexOf(0x0a)
          if (nl >= 0) {
            chunks.push(chunk.subarray(0, nl))
            const header = fromJson(Header, Buffer.concat(chunks).toString("utf8"))
            return Either.isRight(header) ? header.right.id : undefined
          }
          chunks.push(chunk)
          position += chunk.length
        }
        return undefined
      } finally {
        await fh.close()
      }
    }

    const listSessions = Effect.tryPromise({
      try: async () => {
        const names = await fsp.readdir(root)
        const ids: Array<string> = []
        for (const name of names) {
          if (!name.endsWith(SESSION_EXT)) continue
          const stemName = name.slice(0, -SESSION_EXT.length)
          const id = isHashedName(stemName)
            ? await readHeaderId(path.join(root, name))
            : decodeSessionId(stemName)
          // a file we would not have named this way is not one of ours
          if (id !== undefined && encodeSessionId(id) === stemName) ids.push(id)
        }
        return ids.sort()
      },
      catch: (cause) =>
        new SessionStoreError({
          operation: "listSessions",
          message: `listSessions failed (${root}): ${causeMessage(cause)}`,
          hint: hintFor(cause)
        })
    })

    // ---------------------------------------------------------------------------------------------------
    // locking
    // ---------------------------------------------------------------------------------------------------

    /**
     * Removes a stale lock. A marker file named after the stale lock's token is created exclusively first,
     * so of several processes finding the same stale lock only one removes it; the lock is removed only if
     * it still is the stale one (tokens are never reused, so a newer lock is never removed by mistake).
     */
    const takeOver = async (lockFile: string, key: string): Promise<boolean> => {
      const marker = `${lockFile}.takeover-${digest(key)}`
      const markerContent = JSON.stringify({ pid: process.pid, host: Lease.currentHost })
      if (!(await createExclusive(marker, markerContent))) return false
      try {
        const again = await readLock(lockFile)
        if (again.kind === "missing") return true
        if (again.key !== key) return false
        await fsp.unlink(lockFile).catch(ignoreMissing)
        return true
      } finally {
        await fsp.unlink(marker).catch(ignoreMissing)
      }
    }

    const attemptLock = async (
      lockFile: string,
      owner: Lease.LeaseOwner,
      now: number,
      unreadable: { key: string | undefined; since: number }
    ): Promise<{ readonly attempt: Lease.Attempt; readonly note?: string }> => {
      const content = JSON.stringify(owner)
      if (await createExclusive(lockFile, content)) return { attempt: Lease.acquired }
      const current = await readLock(lockFile)
      switch (current.kind) {
        case "missing":
          // released between our two calls: try once more at once
          return { attempt: (await createExclusive(lockFile, content)) ? Lease.acquired : Lease.held("another process") }
        case "owner": {
          if (!Lease.isStale(current.owner)) return { attempt: Lease.held(Lease.describeOwner(current.owner)) }
          const removed = await takeOver(lockFile, current.key)
          if (removed && (await createExclusive(lockFile, content))) {
            return {
              attempt: Lease.acquired,
              note: `Took over the lock of ${Lease.describeOwner(current.owner)}, a process that no longer exists (${lockFile})`
            }
          }
          return { attempt: Lease.held(`${Lease.describeOwner(current.owner)} (dead; being taken over)`) }
        }
        case "unreadable": {
          if (unreadable.key !== current.key) {
            unreadable.key = current.key
            unreadable.since = now
          }
          if (now - unreadable.since < UNREADABLE_LOCK_GRACE_MS) {
            return { attempt: Lease.held(`an unreadable lock file ${lockFile}`) }
          }
          const removed = await takeOver(lockFile, current.key)
          if (removed && (await createExclusive(lockFile, content))) {
            return { attempt: Lease.acquired, note: `Took over an unreadable lock file ${lockFile}` }
          }
          return { attempt: Lease.held(`an unreadable lock file ${lockFile}`) }
        }
      }
    }

    const releaseLock = (sessionId: string, lockFile: string, token: string) =>
      Effect.tryPromise(async () => {
        const current = await readLock(lockFile)
        // release only our own lock: after a takeover the file may belong to someone else
        if (current.kind === "owner" && current.owner.token === token) await fsp.unlink(lockFile).catch(ignoreMissing)
      }).pipe(
        Effect.catchAll((e) =>
          Effect.logWarning(`Could not release the lock of session '${sessionId}' (${lockFile}): ${causeMessage(e.error)}`)
        )
      )

    const acquire = (sessionId: string) =>
      Effect.gen(function*() {
        const lockFile = lockOf(sessionId)
        const owner = Lease.newOwner(yield* Clock.currentTimeMillis)
        const unreadable = { key: undefined as string | undefined, since: 0 }
        yield* Lease.hold({
          sessionId,
          lockTimeoutMs,
          where: lockFile,
          attempt: Effect.flatMap(Clock.currentTimeMillis, (now) =>
            Effect.tryPromise({
              try: () => attemptLock(lockFile, owner, now, unreadable),
              catch: failWith(sessionId, "acquire", lockFile)
            })).pipe(
              Effect.tap(({ note }) => note ? Effect.logWarning(note) : Effect.void),
              Effect.map(({ attempt }) => attempt)
            ),
          release: releaseLock(sessionId, lockFile, owner.token)
        })
      })

    // ---------------------------------------------------------------------------------------------------

    return SessionStore.of({
      appendMessages: Effect.fn("JsonlSessionStore.appendMessages")(function*(sessionId, messages) {
        const lines = yield* Effect.forEach(messages, (message) =>
          Effect.map(
            toJson(schemas.message, message, { sessionId, operation: "appendMessages" }),
            (json) => recordLine("message", json)
          ))
        yield* append(sessionId, "appendMessages", lines)
      }),
      loadMessages: (sessionId) => read(sessionId, "loadMessages", (s) => [...s.messages]),
      getState: (sessionId) => read(sessionId, "getState", (s) => copyState(s.state)),
      setState: Effect.fn("JsonlSessionStore.setState")(function*(sessionId, state) {
        const json = yield* toJson(schemas.state, state, { sessionId, operation: "setState" })
        yield* append(sessionId, "setState", [recordLine("state", json)])
      }),
      saveArtifact: Effect.fn("JsonlSessionStore.saveArtifact")(function*(sessionId, artifact) {
        const json = yield* toJson(schemas.artifact, artifact, { sessionId, operation: "saveArtifact" })
        yield* append(sessionId, "saveArtifact", [recordLine("artifact", json)])
      }),
      listArtifacts: (sessionId) => read(sessionId, "listArtifacts", (s) => [...s.artifacts]),
      saveCheckpoint: Effect.fn("JsonlSessionStore.saveCheckpoint")(function*(sessionId, checkpoint) {
        const json = yield* toJson(schemas.checkpoint, checkpoint, { sessionId, operation: "saveCheckpoint" })
        yield* append(sessionId, "saveCheckpoint", [recordLine("checkpoint", json)])
      }),
      loadCheckpoint: (sessionId, checkpointId) =>
        read(sessionId, "loadCheckpoint", (s) => Option.fromNullable(s.checkpoints.get(checkpointId))),
      listCheckpoints: (sessionId) => read(sessionId, "listCheckpoints", (s) => [...s.checkpoints.values()]),
      appendJournal: Effect.fn("JsonlSessionStore.appendJournal")(function*(sessionId, entries, checkpoint) {
        const lines = yield* Effect.forEach(entries, (entry) =>
          Effect.map(
            toJson(schemas.journal, entry, { sessionId, operation: "appendJournal" }),
            (json) => recordLine("journal", json)
          ))
        if (checkpoint) {
          // one append: a torn checkpoint line after the entries only means resuming from the one before
          const json = yield* toJson(schemas.checkpoint, checkpoint, { sessionId, operation: "appendJournal" })
          lines.push(recordLine("checkpoint", json))
        }
        yield* append(sessionId, "appendJournal", lines)
      }),
      // Array.prototype.sort is stable: entries with equal seq keep their append order
      loadJournal: (sessionId, runId) =>
        read(sessionId, "loadJournal", (s) => [...(s.journal.get(runId) ?? [])].sort((a, b) => a.seq - b.seq)),
      listJournaledRuns: (sessionId) => read(sessionId, "listJournaledRuns", (s) => [...s.journal.keys()]),
      savePendingApproval: Effect.fn("JsonlSessionStore.savePendingApproval")(function*(sessionId, approval) {
        const json = yield* toJson(schemas.approval, approval, { sessionId, operation: "savePendingApproval" })
        yield* append(sessionId, "savePendingApproval", [recordLine("approval", json)])
      }),
      listPendingApprovals: (sessionId) =>
        sessionId !== undefined
          ? read(sessionId, "listPendingApprovals", (s) => [...s.approvals.values()])
          : Effect.flatMap(listSessions, (ids) =>
            Effect.map(
              Effect.forEach(ids, (id) => read(id, "listPendingApprovals", (s) => [...s.approvals.values()])),
              (all) => all.flat()
            )),
      deletePendingApproval: (sessionId, runId, callId) =>
        read(sessionId, "deletePendingApproval", (s) => s.approvals.has(`${runId} ${callId}`)).pipe(
          Effect.flatMap((known) =>
            known
              ? append(sessionId, "deletePendingApproval", [recordLine("approval_deleted", JSON.stringify({ runId, callId }))])
              : Effect.void
          )
        ),
      listSessions,
      acquire,
      // read both, then one append: the target's file gets the whole copy or (torn by a crash) a prefix of it
      forkSession: Effect.fn("JsonlSessionStore.forkSession")(function*(sourceId, targetId, options) {
        const source = yield* read(sourceId, "forkSession", (s) => ({
          messages: [...s.messages],
          state: copyState(s.state),
          artifacts: [...s.artifacts],
          checkpoints: [...s.checkpoints.values()]
        }))
        const planned = yield* Fork.plan(sourceId, source, options?.atCheckpoint, fileOf(sourceId))
        const hasHistory = yield* read(
          targetId,
          "forkSession",
          (s) => s.messages.length > 0 || s.artifacts.length > 0 || s.checkpoints.size > 0
        )
        if (hasHistory) return yield* Effect.fail(Fork.targetNotEmpty(sourceId, targetId, fileOf(targetId)))
        const context = { sessionId: targetId, operation: "forkSession" }
        const line = <A, I>(kind: "message" | "artifact" | "checkpoint", schema: Schema.Schema<A, I>) => (value: A) =>
          Effect.map(toJson(schema, value, context), (json) => recordLine(kind, json))
        const lines = [
          recordLine("state", yield* toJson(schemas.state, planned.state, context)),
          ...yield* Effect.forEach(planned.messages, line("message", schemas.message)),
          ...yield* Effect.forEach(planned.artifacts, line("artifact", schemas.artifact)),
          ...yield* Effect.forEach(planned.checkpoints, line("checkpoint", schemas.checkpoint))
        ]
        yield* append(targetId, "forkSession", lines)
      }),
      deleteSession: (sessionId) => {
        const file = fileOf(sessionId)
        return lockFor(file).withPermits(1)(
          Effect.tryPromise({
            try: async () => {
              await fsp.unlink(file).catch(ignoreMissing)
              cache.delete(file)
              reported.delete(file)
            },
            catch: failWith(sessionId, "deleteSession", file)
          })
        )
      }
    })
  })

/**
 * The JSONL store as a Layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<SessionStore, SessionStoreError> =>
  Layer.effect(SessionStore, make(options))
