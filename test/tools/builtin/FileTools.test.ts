/**
 * The file tools on a real filesystem in a temp dir: what they do, and every hostile path refused (or
 * capped) with an error naming the tool, the argument, the path and the root, nothing written outside.
 */
import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Effect from "effect/Effect"
import * as FileSearch from "../../../src/tools/builtin/FileSearch.js"
import * as FileTools from "../../../src/tools/builtin/FileTools.js"
import type * as Tool from "../../../src/tools/Tool.js"
import { context } from "../fixtures.js"
import { fileHostile } from "./hostile.js"
import { call, fingerprint, makeSandbox, refusal, type Sandbox, success } from "./support.js"

let sb: Sandbox
beforeEach(() => {
  sb = makeSandbox()
})
afterEach(() => sb.cleanup())

const tools = (root: string): Record<string, Tool.Tool<any>> => ({
  read_file: FileTools.makeRead({ root, maxReadBytes: 1024 }),
  write_file: FileTools.makeWrite({ root, maxWriteBytes: 65_536 }),
  list_files: FileSearch.makeList({ root, maxEntries: 50 }),
  delete_file: FileTools.makeDelete({ root }),
  grep_files: FileSearch.makeGrep({ root, maxMatches: 3 })
})

describe("file tools", () => {
  it.effect("read_file reads a file under the root, by relative or absolute path", () =>
    Effect.gen(function*() {
      const { read_file } = tools(sb.root)
      assert.deepStrictEqual(success(yield* call(read_file!, { path: "notes.txt" })), {
        path: "notes.txt",
        content: "hello\nworld\n",
        size: 12,
        truncated: false
      })
      assert.strictEqual(success(yield* call(read_file!, { path: path.join(sb.root, "dir/a.txt") })).path, "dir/a.txt")
      assert.strictEqual(success(yield* call(read_file!, { path: "./dir//sub/b.md" })).path, "dir/sub/b.md")
    }))

  it.effect("names that start with '..' are names, not traversal; a file used as a folder is refused", () =>
    Effect.gen(function*() {
      const { read_file, write_file } = tools(sb.root)
      success(yield* call(write_file!, { path: "..hidden/..config", content: "x" }))
      assert.strictEqual(success(yield* call(read_file!, { path: "..hidden/..config" })).content, "x")
      assert.match(refusal(yield* call(write_file!, { path: "notes.txt/inner.txt", content: "x" })), /"notes\.txt" is not a folder/)
    }))

  it.effect("read_file caps a big file and says so", () =>
    Effect.gen(function*() {
      fs.writeFileSync(path.join(sb.root, "big.txt"), "y".repeat(5000))
      const result = success(yield* call(tools(sb.root).read_file!, { path: "big.txt" }))
      assert.strictEqual(result.content.length, 1024)
      assert.strictEqual(result.size, 5000)
      assert.isTrue(result.truncated)
    }))

  it.effect("read_file refuses a FIFO without blocking on it", () =>
    Effect.gen(function*() {
      const { execFileSync } = yield* Effect.promise(() => import("node:child_process"))
      execFileSync("mkfifo", [path.join(sb.root, "pipe")])
      assert.match(refusal(yield* call(tools(sb.root).read_file!, { path: "pipe" })), /not a regular file/)
    }))

  it.effect("write_file writes, appends and creates folders; the result names the root-relative path", () =>
    Effect.gen(function*() {
      const { write_file } = tools(sb.root)
      assert.deepStrictEqual(success(yield* call(write_file!, { path: "out/new.txt", content: "one\n" })), {
        path: "out/new.txt",
        bytes_written: 4,
        mode: "w"
      })
      success(yield* call(write_file!, { path: "out/new.txt", content: "two\n", mode: "a" }, { ...context, callId: "c2" }))
      assert.strictEqual(fs.readFileSync(path.join(sb.root, "out/new.txt"), "utf8"), "one\ntwo\n")
      success(yield* call(write_file!, { path: "out/new.txt", content: "three\n" }))
      assert.strictEqual(fs.readFileSync(path.join(sb.root, "out/new.txt"), "utf8"), "three\n")
    }))

  it.effect("write_file in append mode appends a call's text once: the same call again is a no-op", () =>
    Effect.gen(function*() {
      const { write_file } = tools(sb.root)
      const ctx = { ...context, runId: "r1", callId: "call_1" }
      const first = success(yield* call(write_file!, { path: "log.txt", content: "line\n", mode: "a" }, ctx))
      const again = success(yield* call(write_file!, { path: "log.txt", content: "line\n", mode: "a" }, ctx))
      assert.isUndefined(first.replayed)
      assert.isTrue(again.replayed)
      // another call (or another run with the same call id) appends
      success(yield* call(write_file!, { path: "log.txt", content: "line\n", mode: "a" }, { ...ctx, callId: "call_2" }))
      success(yield* call(write_file!, { path: "log.txt", content: "line\n", mode: "a" }, { ...ctx, runId: "r2" }))
      assert.strictEqual(fs.readFileSync(path.join(sb.root, "log.txt"), "utf8"), "line\n".repeat(3))
      assert.isTrue(write_file!.durableIdempotent)
      assert.isFalse(FileTools.makeWrite({ root: sb.root, exactlyOnceAppends: false }).durableIdempotent)
    }))

  it.effect("a crash between recording an append and making it: the same call again appends once", () =>
    Effect.gen(function*() {
      const { write_file } = tools(sb.root)
      const ctx = { ...context, runId: "r1", callId: "call_9" }
      fs.writeFileSync(path.join(sb.root, "log.txt"), "before\n")
      success(yield* call(write_file!, { path: "log.txt", content: "line\n", mode: "a" }, ctx))
      // undo the append but keep its record: as if the process died between the two
      fs.writeFileSync(path.join(sb.root, "log.txt"), "before\n")
      const again = success(yield* call(write_file!, { path: "log.txt", content: "line\n", mode: "a" }, ctx))
      assert.isUndefined(again.replayed)
      assert.strictEqual(fs.readFileSync(path.join(sb.root, "log.txt"), "utf8"), "before\nline\n")
      // a torn last ledger line (a crash while recording) is ignored
      fs.appendFileSync(path.join(sb.root, ".openagents", "append-ledger.jsonl"), "{\"run\":\"r1\",\"ca")
      assert.isTrue(success(yield* call(write_file!, { path: "log.txt", content: "line\n", mode: "a" }, ctx)).replayed)
      // and the next record starts on a line of its own
      const other = { ...ctx, callId: "call_10" }
      success(yield* call(write_file!, { path: "log.txt", content: "more\n", mode: "a" }, other))
      assert.isTrue(success(yield* call(write_file!, { path: "log.txt", content: "more\n", mode: "a" }, other)).replayed)
      assert.strictEqual(fs.readFileSync(path.join(sb.root, "log.txt"), "utf8"), "before\nline\nmore\n")
    }))

  it.effect("write_file without exactly-once appends appends every time", () =>
    Effect.gen(function*() {
      const tool = FileTools.makeWrite({ root: sb.root, exactlyOnceAppends: false })
      success(yield* call(tool, { path: "log.txt", content: "x\n", mode: "a" }))
      success(yield* call(tool, { path: "log.txt", content: "x\n", mode: "a" }))
      assert.strictEqual(fs.readFileSync(path.join(sb.root, "log.txt"), "utf8"), "x\nx\n")
      assert.isFalse(fs.existsSync(path.join(sb.root, ".openagents")))
    }))

  it.effect("list_files lists by glob, recursively, without descending symlinks or showing .openagents", () =>
    Effect.gen(function*() {
      const { list_files, write_file } = tools(sb.root)
      success(yield* call(write_file!, { path: "x.txt", content: "x", mode: "a" }))
      const top = success(yield* call(list_files!, {}))
      // symlinks are listed as entries, never as folders to descend
      assert.deepStrictEqual(top.files, ["dangling", "dir/", "file-link", "link-out", "notes.txt", "x.txt"])
      assert.notInclude(top.files.join(","), ".openagents")
      const all = success(yield* call(list_files!, { pattern: "*.{txt,md}", recursive: true }))
      assert.deepStrictEqual(all.files, ["dir/a.txt", "dir/sub/b.md", "notes.txt", "x.txt"])
      assert.isFalse(all.truncated)
      const sub = success(yield* call(list_files!, { path: "dir", recursive: true }))
      assert.deepStrictEqual(sub.files, ["dir/a.txt", "dir/sub/", "dir/sub/b.md"])
    }))

  it.effect("list_files stops at max_entries", () =>
    Effect.gen(function*() {
      for (let i = 0; i < 120; i++) fs.writeFileSync(path.join(sb.root, "dir", `f${i}.log`), "")
      const result = success(yield* call(tools(sb.root).list_files!, { path: "dir", pattern: "*.log" }))
      assert.strictEqual(result.count, 50)
      assert.isTrue(result.truncated)
    }))

  it.effect("delete_file deletes files, symlinks (not their targets) and folders with recursive", () =>
    Effect.gen(function*() {
      const { delete_file } = tools(sb.root)
      assert.deepStrictEqual(success(yield* call(delete_file!, { path: "notes.txt" })), { path: "notes.txt", deleted: "file" })
      assert.deepStrictEqual(success(yield* call(delete_file!, { path: "link-out" })), { path: "link-out", deleted: "symlink" })
      assert.isTrue(fs.existsSync(sb.secret))
      assert.deepStrictEqual(success(yield* call(delete_file!, { path: "dir", recursive: true })), { path: "dir", deleted: "folder" })
      assert.isFalse(fs.existsSync(path.join(sb.root, "dir")))
      assert.isFalse(delete_file!.durableIdempotent)
    }))

  it.effect("grep_files finds lines, case-insensitively on request, skips symlinks and caps matches", () =>
    Effect.gen(function*() {
      const { grep_files } = tools(sb.root)
      const found = success(yield* call(grep_files!, { pattern: "needle" }))
      assert.deepStrictEqual(found.matches, [{ file: "dir/a.txt", line: 2, text: "needle one" }])
      const nocase = success(yield* call(grep_files!, { pattern: "needle", case_sensitive: false }))
      assert.deepStrictEqual(nocase.matches.map((m: { file: string }) => m.file), ["dir/a.txt", "dir/sub/b.md"])
      assert.strictEqual(success(yield* call(grep_files!, { pattern: "SECRET" })).count, 0)
      fs.writeFileSync(path.join(sb.root, "many.txt"), "hit\n".repeat(100))
      const capped = success(yield* call(grep_files!, { pattern: "hit", path: "many.txt" }))
      assert.strictEqual(capped.count, 3)
      assert.isTrue(capped.truncated)
    }))

  it("the nested-quantifier check lets ordinary patterns through", () => {
    for (const ok of ["needle", "(foo|bar)+", "a+b*c?", "^\\d{4}-\\d{2}$", "(ab){2}", "[(+)]*", "\\(a+\\)+"]) {
      assert.isFalse(FileSearch.hasNestedQuantifier(ok), ok)
    }
    for (const bad of ["(a+)+", "(a*)*", "((a)+)+", "(.*a){3,}", "(?:x+)*"]) assert.isTrue(FileSearch.hasNestedQuantifier(bad), bad)
  })

  it.effect("a missing root is an error naming it", () =>
    Effect.gen(function*() {
      const tool = FileTools.makeRead({ root: path.join(sb.base, "nope") })
      assert.match(refusal(yield* call(tool, { path: "a" })), /read_file: the configured root ".*nope" cannot be used \(ENOENT\)/)
    }))

  it.effect("hostile arguments: each refused with a clear error, nothing written outside the root", () =>
    Effect.gen(function*() {
      const before = fingerprint(sb.outside)
      const baseBefore = fs.readdirSync(sb.base).sort()
      const byName = tools(sb.root)
      const cases = fileHostile(sb)
      assert.isAtLeast(cases.length, 60)
      for (const c of cases) {
        const message = refusal(yield* call(byName[c.tool]!, c.args))
        assert.match(message, c.expect, `${c.tool} ${c.label}`)
        // the tool's own refusals name the tool and the argument
        if (!/Expected|is missing|is unexpected|mode/.test(message)) assert.match(message, new RegExp(`^${c.tool}: argument '`), c.label)
        if (/outside the root|symlink/.test(message)) assert.include(message, `the root is "${sb.root}"`, c.label)
      }
      assert.deepStrictEqual(fingerprint(sb.outside), before)
      assert.deepStrictEqual(fs.readdirSync(sb.base).sort(), baseBefore)
      assert.isTrue(fs.existsSync(path.join(sb.root, "dir", "a.txt")), "the refused recursive delete left the folder")
    }))
})
