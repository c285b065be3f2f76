/**
 * Experience retrieval: with 1,000 stored experiences the relevant one ranks first for its task, in
 * memory and in SQLite (FTS5, bm25); scope separates agents; confidence and recency break ties.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as ExperienceStore from "../../src/memory/ExperienceStore.js"
import * as SqliteExperienceStore from "../../src/memory/SqliteExperienceStore.js"
import { corpus, NEEDLE_RULE, PROBE } from "../support/experiences.js"

const NOW = 1_800_000_000_000

const check = (store: ExperienceStore.Service) =>
  Effect.gen(function*() {
    const all = corpus(1000, NOW)
    yield* Effect.forEach(all, store.add, { discard: true })
    assert.lengthOf(yield* store.list(), 1000)
    const found = yield* store.search({ scope: "agent:a", query: PROBE, limit: 5, nowMs: NOW })
    assert.isAbove(found.length, 0)
    assert.strictEqual(found[0]!.rule, NEEDLE_RULE)
    // another agent's scope never sees it
    const other = yield* store.search({ scope: "agent:other", query: PROBE, limit: 5, nowMs: NOW })
    assert.isFalse(other.some((e) => e.experienceId === "exp-needle"))
    // no shared word, nothing found
    assert.lengthOf(yield* store.search({ scope: "agent:a", query: "zebra xylophone", limit: 5, nowMs: NOW }), 0)
    // equally relevant: the more confident first; a year without an edit costs more than 0.2 of confidence
    const twin = (id: string, confidence: number, ageDays: number) =>
      new ExperienceStore.Experience({
        experienceId: id,
        scope: "agent:t",
        condition: "When filing the expense report",
        rule: "attach receipts",
        evidence: [],
        source: "feedback",
        confidence,
        createdAtMs: NOW - ageDays * 86_400_000,
        updatedAtMs: NOW - ageDays * 86_400_000
      })
    yield* store.add(twin("low", 0.6, 0))
    yield* store.add(twin("high", 0.8, 0))
    yield* store.add(twin("old", 0.8, 400))
    const twins = yield* store.search({ scope: "agent:t", query: "file the expense report", limit: 3, nowMs: NOW })
    assert.deepStrictEqual(twins.map((e) => e.experienceId), ["high", "low", "old"])
    // edits are searched, deletions are gone
    yield* store.update("exp-needle", { rule: "Export to CSV first" }, NOW)
    assert.strictEqual((yield* store.search({ scope: "agent:a", query: PROBE, limit: 1, nowMs: NOW }))[0]!.rule, "Export to CSV first")
    assert.isTrue(yield* store.remove("exp-needle"))
    assert.notStrictEqual((yield* store.search({ scope: "agent:a", query: PROBE, limit: 1, nowMs: NOW }))[0]?.experienceId, "exp-needle")
  })

describe("experience retrieval", () => {
  it.effect("in memory: the relevant one of 1,000 ranks first", () => Effect.flatMap(ExperienceStore.makeInMemory, check))

  it.scoped("SQLite (FTS5, bm25): the relevant one of 1,000 ranks first, and it persists", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "experiences-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
      const dbPath = path.join(dir, "x.db")
      yield* Effect.scoped(Effect.flatMap(SqliteExperienceStore.make({ dbPath }), check))
      const reopened = yield* SqliteExperienceStore.make({ dbPath })
      assert.lengthOf(yield* reopened.list({ scope: "agent:t" }), 3)
    }))
})
