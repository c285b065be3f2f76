import { assert, describe, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as MarkdownMemory from "../../src/memory/MarkdownMemory.js"

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "oa-mdmem-"))
const turn = { runId: "r1", input: "hi", output: "hello", stopReason: "completed" }

describe("MarkdownMemory", () => {
  it.effect("append writes the documented format: a # header once, then ### id · time, **Rule:**, **Why:**", () =>
    Effect.gen(function*() {
      const dir = path.join(tempDir(), "nested", "memory")
      yield* TestClock.setTime(Date.UTC(2026, 10, 30, 12, 0, 0))
      const a = yield* MarkdownMemory.append(dir, { rule: "Answer in French.\nAlways.", reason: "The user asked for it." })
      const b = yield* MarkdownMemory.append(dir, { rule: "Use metric units." })
      assert.strictEqual(a.section, "user_feedback")
      assert.strictEqual(a.file, path.join(dir, "user_feedback.md"))
      assert.match(a.id, /^[0-9a-f]{8}$/)
      assert.strictEqual(
        fs.readFileSync(a.file, "utf8"),
        `# user_feedback\n\n` +
          `### ${a.id} · 2026-11-30T12:00:00.000Z\n**Rule:** Answer in French. Always.\n**Why:** The user asked for it.\n\n` +
          `### ${b.id} · 2026-11-30T12:00:00.000Z\n**Rule:** Use metric units.\n\n`
      )
      const entries = yield* MarkdownMemory.listEntries(dir)
      assert.deepStrictEqual(entries.map((e) => [e.id, e.rule, e.reason]), [
        [a.id, "Answer in French. Always.", "The user asked for it."],
        [b.id, "Use metric units.", undefined]
      ])
    }))

  it.effect("append refuses a category that is no section name, and an empty rule", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const bad = yield* Effect.flip(MarkdownMemory.append(dir, { category: "../etc/passwd", rule: "x" }))
      assert.strictEqual(bad._tag, "MarkdownMemoryError")
      assert.include(bad.message, "not a valid memory section name")
      const empty = yield* Effect.flip(MarkdownMemory.append(dir, { rule: "  " }))
      assert.include(empty.message, "must not be empty")
      assert.deepStrictEqual(fs.readdirSync(dir), [])
    }))

  it.effect("inject: one system message, files in order (MEMORY.md, sections, others), newest entries within the limit", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      for (let i = 0; i < 30; i++) yield* MarkdownMemory.append(dir, { rule: `Rule number ${i} is about something.` })
      yield* MarkdownMemory.append(dir, { category: "user_goals", rule: "Ship the port." })
      fs.writeFileSync(path.join(dir, "MEMORY.md"), "# Index\n\nThe user is Ada.\n")
      fs.writeFileSync(path.join(dir, "notes.md"), "Free notes about the project.\n")
      const memory = MarkdownMemory.make({ memoryDir: dir, maxCharsPerSection: 400 })
      const messages = yield* memory.inject({})
      assert.strictEqual(messages.length, 1)
      const text = messages[0]!._tag === "system" ? messages[0]!.content : ""
      assert.isTrue(text.startsWith(`# Memory\n\nWhat you were asked to remember (markdown files in ${dir}):`))
      const order = ["## MEMORY", "The user is Ada.", "## user_goals", "Ship the port.", "## user_feedback", "## notes", "Free notes"]
        .map((s) => text.indexOf(s))
      assert.isTrue(order.every((p) => p >= 0), JSON.stringify(order))
      assert.deepStrictEqual(order, [...order].sort((x, y) => x - y))
      assert.include(text, "Rule number 29 is")
      assert.notInclude(text, "Rule number 0 is", "the oldest entries are over the limit")
      const feedback = text.slice(text.indexOf("## user_feedback"), text.indexOf("## notes"))
      assert.isAtMost(feedback.length, 400 + 40)
    }))

  it.effect("inject of a folder that does not exist yet is nothing", () =>
    Effect.gen(function*() {
      const memory = MarkdownMemory.make({ memoryDir: path.join(tempDir(), "absent") })
      assert.deepStrictEqual(yield* memory.inject({}), [])
    }))

  it.effect("writeback drains _pending_memory_writes into the files (the Python SDK's queue)", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const memory = MarkdownMemory.make({ memoryDir: dir })
      const state = yield* memory.writeback({
        other: 1,
        [MarkdownMemory.PENDING_KEY]: [
          { category: "decisions", rule: "Use Effect.", reason: "Typed errors." },
          { rule: "Be terse." },
          "not an entry"
        ]
      }, turn)
      assert.deepStrictEqual(state, { other: 1 })
      assert.deepStrictEqual((yield* MarkdownMemory.listEntries(dir, "decisions")).map((e) => e.rule), ["Use Effect."])
      assert.deepStrictEqual((yield* MarkdownMemory.listEntries(dir)).map((e) => e.rule), ["Be terse."])
      const untouched = { x: 1 }
      assert.strictEqual(yield* memory.writeback(untouched, turn), untouched)
    }))

  it("resolveDir expands ~", () => {
    assert.strictEqual(MarkdownMemory.resolveDir("~/m"), path.join(os.homedir(), "m"))
    assert.strictEqual(MarkdownMemory.resolveDir("/a/b"), "/a/b")
  })
})
