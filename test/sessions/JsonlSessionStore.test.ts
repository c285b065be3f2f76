import { assert, describe, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import { SessionArtifact, SessionMessage } from "../../src/kernel/Session.js"
import * as JsonlSessionStore from "../../src/sessions/JsonlSessionStore.js"
import {
  advanceUntil,
  captureWarnings,
  journalEntry,
  numberedMessage,
  openStore,
  sampleCheckpoint,
  sampleMessages,
  tempDir
} from "../support/sessions-fixtures.js"

const open = (rootDir: string, options: Partial<JsonlSessionStore.Options> = {}) =>
  openStore(JsonlSessionStore.layer({ rootDir, ...options }))

const promise = <A>(f: () => Promise<A>) => Effect.promise(f)

const onlyFile = (rootDir: string) =>
  promise(async () => {
    const names = (await fs.readdir(rootDir)).filter((n) => n.endsWith(".jsonl"))
    assert.strictEqual(names.length, 1, `expected one session file, found ${names.join(", ")}`)
    return path.join(rootDir, names[0]!)
  })

const lines = (file: string) => promise(async () => (await fs.readFile(file, "utf8")).split("\n"))

const encodeMessages = Schema.encodeSync(Schema.Array(SessionMessage))

/** The pid of a process that has exited (and been reaped). */
const deadPid = (): number => {
  const result = spawnSync(process.execPath, ["-e", ""])
  return result.pid
}

describe("JsonlSessionStore", () => {
  it.scoped("session files stay inside rootDir, one per id, and list back the exact ids", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const rootDir = path.join(dir, "nested", "sessions")
      const store = yield* open(rootDir)
      const ids = [
        "../../etc/passwd",
        "a/b/c",
        "..",
        ".",
        ".hidden",
        " spaced  id ",
        "日本語 🎉",
        "UPPER",
        "upper",
        "x".repeat(1000),
        "日".repeat(300),
        "lone \ud800 surrogate",
        "tab\tnew\nline",
        "~tilde~",
        "%41"
      ]
      for (const id of ids) yield* store.appendMessages(id, [numberedMessage(id, 0)])

      assert.deepStrictEqual(yield* promise(() => fs.readdir(dir)), ["nested"])
      assert.deepStrictEqual(yield* promise(() => fs.readdir(path.join(dir, "nested"))), ["sessions"])
      const names = yield* promise(() => fs.readdir(rootDir))
      assert.strictEqual(names.length, ids.length)
      for (const name of names) {
        assert.match(name, /^[a-z0-9_%~A-F-]+\.jsonl$/)
        assert.isAtMost(Buffer.byteLength(name), 200)
        assert.isFalse(name.startsWith("."))
      }
      assert.deepStrictEqual([...(yield* store.listSessions)], [...ids].sort())
      for (const id of ids) {
        assert.deepStrictEqual((yield* store.loadMessages(id)).map((m) => m.runId), [id])
      }
      // files that the store did not name are not sessions
      yield* promise(() => fs.writeFile(path.join(rootDir, "Not-Ours.jsonl"), "{}\n"))
      yield* promise(() => fs.writeFile(path.join(rootDir, "notes.txt"), "hello"))
      assert.strictEqual((yield* store.listSessions).length, ids.length)
    }))

  it.scoped("a file is a header then one JSON record per line, and writes only append", () =>
    Effect.gen(function*() {
      const rootDir = path.join(yield* tempDir, "s")
      const store = yield* open(rootDir)
      yield* store.appendMessages("s", sampleMessages("run-1", 2))
      yield* store.setState("s", { a: 1 })
      const file = yield* onlyFile(rootDir)
      const before = yield* promise(() => fs.readFile(file))
      yield* store.setState("s", { b: 2 })
      yield* store.saveArtifact("s", new SessionArtifact({ name: "a", payload: 1 }))
      yield* store.saveCheckpoint("s", sampleCheckpoint("c1", "x"))
      yield* store.saveCheckpoint("s", sampleCheckpoint("c1", "y"))
      yield* store.appendJournal("s", [journalEntry("run-1", 0)])
      const after = yield* promise(() => fs.readFile(file))
      assert.isTrue(after.subarray(0, before.length).equals(before), "earlier bytes were rewritten")

      const all = yield* lines(file)
      assert.strictEqual(all.at(-1), "", "the file ends with a newline")
      const records = all.slice(0, -1).map((line) => JSON.parse(line) as { t: string; data?: unknown; id?: string })
      assert.deepStrictEqual(records.map((r) => r.t), [
        "session",
        "message",
        "message",
        "state",
        "state",
        "artifact",
        "checkpoint",
        "checkpoint",
        "journal"
      ])
      assert.strictEqual(records[0]!.id, "s")
      assert.deepStrictEqual(records[1]!.data, encodeMessages(sampleMessages("run-1", 2))[0])
      assert.deepStrictEqual(yield* store.getState("s"), { b: 2 })
    }))

  it.scoped("a torn last line is skipped and reported once, and the next append starts on a fresh line", () =>
    Effect.gen(function*() {
      const rootDir = path.join(yield* tempDir, "s")
      const messages = sampleMessages("run-1", 3)
      yield* Effect.scoped(
        Effect.gen(function*() {
          const store = yield* open(rootDir)
          yield* store.appendMessages("s", messages.slice(0, 2))
          yield* store.appendJournal("s", [journalEntry("run-1", 0)])
          yield* store.setState("s", { step: 1 })
        })
      )
      const file = yield* onlyFile(rootDir)
      // a crash in the middle of a write: half a record, no newline
      yield* promise(() => fs.appendFile(file, "{\"t\":\"message\",\"data\":{\"runId\":\"torn\",\"agentId\":\"a"))

      const warnings = captureWarnings()
      yield* Effect.gen(function*() {
        const store = yield* open(rootDir)
        assert.deepStrictEqual(encodeMessages(yield* store.loadMessages("s")), encodeMessages(messages.slice(0, 2)))
        assert.deepStrictEqual(yield* store.getState("s"), { step: 1 })
        assert.strictEqual(warnings.lines.length, 1)
        assert.include(warnings.lines[0]!, file)
        assert.include(warnings.lines[0]!, "line 6")
        assert.include(warnings.lines[0]!, "torn")
        // reported once, however often the file is read
        yield* store.loadMessages("s")
        yield* store.loadJournal("s", "run-1")
        assert.strictEqual(warnings.lines.length, 1)

        yield* store.appendMessages("s", messages.slice(2))
        yield* store.appendJournal("s", [journalEntry("run-1", 1)])
        assert.deepStrictEqual(encodeMessages(yield* store.loadMessages("s")), encodeMessages(messages))
        assert.deepStrictEqual((yield* store.loadJournal("s", "run-1")).map((e) => e.seq), [0, 1])
        assert.strictEqual(warnings.lines.length, 1)
      }).pipe(Effect.provide(warnings.layer))

      // the fragment sits alone on its line; every other line is a whole record
      const all = yield* lines(file)
      assert.strictEqual(all[5], "{\"t\":\"message\",\"data\":{\"runId\":\"torn\",\"agentId\":\"a")
      for (const [i, line] of all.entries()) {
        if (i !== 5 && line !== "") JSON.parse(line)
      }

      // a fresh reader sees the same, and reports the fragment (now a corrupt line) once
      const again = captureWarnings()
      yield* Effect.gen(function*() {
        const store = yield* open(rootDir)
        assert.deepStrictEqual(encodeMessages(yield* store.loadMessages("s")), encodeMessages(messages))
        yield* store.loadMessages("s")
        assert.strictEqual(again.lines.length, 1)
        assert.include(again.lines[0]!, "line 6")
      }).pipe(Effect.provide(again.layer))
    }))

  it.scoped("corrupt lines in the middle are skipped and reported, never fatal", () =>
    Effect.gen(function*() {
      const rootDir = path.join(yield* tempDir, "s")
      const warnings = captureWarnings()
      yield* Effect.gen(function*() {
        const store = yield* open(rootDir)
        yield* store.appendMessages("s", [numberedMessage("r", 0)])
        const file = yield* onlyFile(rootDir)
        yield* promise(() =>
          fs.appendFile(
            file,
            [
              "garbage that is not JSON",
              "{\"t\":\"message\",\"data\":{\"runId\":1}}",
              "{\"t\":\"from-the-future\",\"data\":{}}",
              "[1,2,3]",
              "",
              "{\"t\":\"state\",\"data\":[\"not\",\"an\",\"object\"]}",
              ""
            ].join("\n")
          )
        )
        yield* store.appendMessages("s", [numberedMessage("r", 1)])
        yield* store.setState("s", { ok: true })
        assert.deepStrictEqual((yield* store.loadMessages("s")).map((m) => m.timestampMs), [0, 1])
        assert.deepStrictEqual(yield* store.getState("s"), { ok: true })
        assert.strictEqual(warnings.lines.length, 5)
        for (const [i, line] of [3, 4, 5, 6, 8].entries()) assert.include(warnings.lines[i]!, `line ${line}:`)
        assert.include(warnings.lines[0]!, "corrupt")
        assert.include(warnings.lines[2]!, "unknown record type")
      }).pipe(Effect.provide(warnings.layer))
    }))

  it.scoped("a reader sees what another store instance (another process) appended, replaced or deleted", () =>
    Effect.gen(function*() {
      const rootDir = path.join(yield* tempDir, "s")
      const a = yield* open(rootDir)
      const b = yield* open(rootDir)
      yield* a.appendMessages("s", [numberedMessage("a", 0)])
      assert.strictEqual((yield* a.loadMessages("s")).length, 1)
      yield* b.appendMessages("s", [numberedMessage("b", 1)])
      yield* b.setState("s", { by: "b" })
      yield* b.saveCheckpoint("s", sampleCheckpoint("c1", "b"))
      assert.deepStrictEqual((yield* a.loadMessages("s")).map((m) => m.runId), ["a", "b"])
      assert.deepStrictEqual(yield* a.getState("s"), { by: "b" })
      assert.strictEqual(Option.getOrThrow(yield* a.loadCheckpoint("s", "c1")).state["tag"], "b")

      // deleted and written again with more than before: a cached replay must not be extended
      yield* b.deleteSession("s")
      assert.deepStrictEqual(yield* a.loadMessages("s"), [])
      yield* a.appendMessages("s", [numberedMessage("a", 2)])
      assert.strictEqual((yield* a.loadMessages("s")).length, 1)
      yield* b.deleteSession("s")
      yield* b.appendMessages("s", Array.from({ length: 5 }, (_, i) => numberedMessage("b2", i)))
      assert.deepStrictEqual((yield* a.loadMessages("s")).map((m) => m.runId), ["b2", "b2", "b2", "b2", "b2"])
      assert.deepStrictEqual(yield* a.getState("s"), {})
      assert.deepStrictEqual(yield* a.listCheckpoints("s"), [])
    }))

  it.scoped("storage per journal entry and per checkpoint stays constant", () =>
    Effect.gen(function*() {
      const rootDir = path.join(yield* tempDir, "s")
      const store = yield* open(rootDir)
      const payload = { text: "x".repeat(500) }
      const bytesPerEntry = (sessionId: string, count: number) =>
        Effect.gen(function*() {
          yield* store.appendJournal(sessionId, [journalEntry("run", 0, payload)])
          const file = path.join(rootDir, `${sessionId}.jsonl`)
          const base = (yield* promise(() => fs.stat(file))).size
          for (let seq = 1; seq <= count; seq++) yield* store.appendJournal(sessionId, [journalEntry("run", seq, payload)])
          return ((yield* promise(() => fs.stat(file))).size - base) / count
        })
      const ten = yield* bytesPerEntry("ten", 10)
      const hundred = yield* bytesPerEntry("hundred", 100)
      assert.isBelow(Math.abs(hundred - ten) / ten, 0.01, `${ten} vs ${hundred} bytes per entry`)

      // a checkpoint record holds its own state only, never the earlier checkpoints
      for (let i = 0; i < 20; i++) yield* store.saveCheckpoint("cp", sampleCheckpoint(`c${i % 10}`, "same"))
      const sizes = (yield* lines(path.join(rootDir, "cp.jsonl")))
        .filter((line) => line.startsWith("{\"t\":\"checkpoint\""))
        .map((line) => line.length)
      assert.strictEqual(sizes.length, 20)
      assert.isAtMost(Math.max(...sizes) - Math.min(...sizes), 2)
    }))

  describe("acquire", () => {
    it.scoped("holds a lock file with the owner's pid, removed on release", () =>
      Effect.gen(function*() {
        const rootDir = path.join(yield* tempDir, "s")
        const store = yield* open(rootDir)
        const scope = yield* Scope.make()
        yield* Scope.extend(store.acquire("a/b"), scope)
        const lockFile = path.join(rootDir, "a%2Fb.lock")
        const owner = JSON.parse(yield* promise(() => fs.readFile(lockFile, "utf8"))) as { pid: number; host: string }
        assert.strictEqual(owner.pid, process.pid)
        assert.strictEqual(owner.host, os.hostname())
        yield* Scope.close(scope, Exit.void)
        yield* promise(() => fs.access(lockFile).then(() => assert.fail("lock file left behind"), () => undefined))
      }))

    it.scoped("takes over a lock whose process is dead", () =>
      Effect.gen(function*() {
        const rootDir = path.join(yield* tempDir, "s")
        const store = yield* open(rootDir)
        const lockFile = path.join(rootDir, "s.lock")
        const dead = { pid: deadPid(), host: os.hostname(), token: "dead-token", acquiredAtMs: 0 }
        yield* promise(() => fs.writeFile(lockFile, JSON.stringify(dead)))
        const warnings = captureWarnings()
        yield* store.acquire("s").pipe(Effect.provide(warnings.layer))
        const owner = JSON.parse(yield* promise(() => fs.readFile(lockFile, "utf8"))) as { pid: number }
        assert.strictEqual(owner.pid, process.pid)
        assert.isTrue(warnings.lines.some((line) => line.includes(`pid ${dead.pid}`) && line.includes("Took over")))
        // no takeover marker is left behind
        assert.deepStrictEqual((yield* promise(() => fs.readdir(rootDir))).sort(), ["s.lock"])
      }))

    it.scoped("never takes over a lock written on another host", () =>
      Effect.gen(function*() {
        const rootDir = path.join(yield* tempDir, "s")
        const store = yield* open(rootDir, { lockTimeoutMs: 500 })
        const lockFile = path.join(rootDir, "s.lock")
        const remote = { pid: deadPid(), host: `${os.hostname()}-elsewhere`, token: "t", acquiredAtMs: 0 }
        yield* promise(() => fs.writeFile(lockFile, JSON.stringify(remote)))
        const waiter = yield* Effect.fork(Effect.scoped(store.acquire("s")))
        yield* advanceUntil(Effect.map(waiter.poll, Option.isSome), { step: 50 })
        const error = yield* Effect.flip(Fiber.join(waiter))
        assert.strictEqual(error._tag, "SessionBusy")
        assert.deepStrictEqual(JSON.parse(yield* promise(() => fs.readFile(lockFile, "utf8"))), remote)
      }))

    it.scoped("takes over a lock file left empty by a crash, after a grace period", () =>
      Effect.gen(function*() {
        const rootDir = path.join(yield* tempDir, "s")
        const store = yield* open(rootDir)
        const lockFile = path.join(rootDir, "s.lock")
        yield* promise(() => fs.writeFile(lockFile, ""))
        const waiter = yield* Effect.fork(store.acquire("s"))
        yield* advanceUntil(Effect.map(waiter.poll, Option.isSome), { step: 50 })
        yield* Fiber.join(waiter)
        const owner = JSON.parse(yield* promise(() => fs.readFile(lockFile, "utf8"))) as { pid: number }
        assert.strictEqual(owner.pid, process.pid)
      }))

    it.scoped("release removes only a lock it owns", () =>
      Effect.gen(function*() {
        const rootDir = path.join(yield* tempDir, "s")
        const store = yield* open(rootDir)
        const lockFile = path.join(rootDir, "s.lock")
        const scope = yield* Scope.make()
        yield* Scope.extend(store.acquire("s"), scope)
        // someone else took it over meanwhile (e.g. this process was presumed dead)
        const other = { pid: process.pid, host: os.hostname(), token: "someone-else", acquiredAtMs: 1 }
        yield* promise(() => fs.writeFile(lockFile, JSON.stringify(other)))
        yield* Scope.close(scope, Exit.void)
        assert.deepStrictEqual(JSON.parse(yield* promise(() => fs.readFile(lockFile, "utf8"))), other)
      }))
  })

  describe("errors", () => {
    it.scoped("a rootDir that cannot be created fails the layer with SessionStoreError", () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        yield* promise(() => fs.writeFile(path.join(dir, "file"), "x"))
        const error = yield* Effect.flip(open(path.join(dir, "file", "sessions")))
        assert.strictEqual(error._tag, "SessionStoreError")
        assert.strictEqual(error.operation, "open")
        assert.isString(error.hint)
      }))

    it.scoped("an unreadable or unwritable session file fails the operation with SessionStoreError", () =>
      Effect.gen(function*() {
        const rootDir = path.join(yield* tempDir, "s")
        const store = yield* open(rootDir)
        // a directory where the session file should be
        yield* promise(() => fs.mkdir(path.join(rootDir, "s.jsonl")))
        const write = yield* Effect.flip(store.appendMessages("s", [numberedMessage("r", 0)]))
        assert.strictEqual(write.operation, "appendMessages")
        assert.strictEqual(write.sessionId, "s")
        assert.include(write.message, "s.jsonl")
        assert.isString(write.hint)
        const read = yield* Effect.flip(store.loadMessages("s"))
        assert.strictEqual(read.operation, "loadMessages")
      }))
  })
})
