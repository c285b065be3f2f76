/**
 * Experience retrieval: the time of one search (scope + relevance to a task, top 5) among N stored
 * experiences, in memory (BM25 computed in JS) and in SQLite (FTS5 ranked by bm25, then confidence and
 * recency), as ratios against a baseline measured in the same run: a plain scan keeping the experiences
 * of the scope that share a word with the task (no ranking).
 *
 *   npm run bench:experiences          (N="1000,10000" by default; QUERIES=200)
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect } from "effect"
import * as ExperienceStore from "../src/memory/ExperienceStore.js"
import * as SqliteExperienceStore from "../src/memory/SqliteExperienceStore.js"
import { corpus, NEEDLE_RULE, PROBE } from "../test/support/experiences.js"
import { fmt, header, median, summary } from "./support.js"

const SIZES = (process.env["N"] ?? "1000,10000").split(",").map((s) => Number(s.trim()))
const QUERIES = Number(process.env["QUERIES"] ?? 200)
const NOW = 1_800_000_000_000

const time = (search: () => Promise<unknown>) => async (): Promise<number> => {
  const runs: Array<number> = []
  for (let i = 0; i < QUERIES; i++) {
    const t = performance.now()
    await search()
    runs.push((performance.now() - t) * 1000)
  }
  return median(runs)
}

const main = Effect.gen(function*() {
  header(`experience retrieval: median µs per search of ${QUERIES}, top 5`)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-experiences-"))
  yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
  for (const n of SIZES) {
    const all = corpus(n, NOW)
    const query = { scope: "agent:a", query: PROBE, limit: 5, nowMs: NOW }
    const memory = yield* ExperienceStore.makeInMemory
    const sqlite = yield* SqliteExperienceStore.make({ dbPath: path.join(dir, `x-${n}.db`) })
    for (const store of [memory, sqlite]) yield* Effect.forEach(all, store.add, { discard: true })
    const probeWords = new Set(ExperienceStore.words(PROBE))
    const baseline = yield* Effect.promise(time(async () =>
      all.filter((e) => e.scope === "agent:a" && ExperienceStore.words(`${e.condition} ${e.rule}`).some((w) => probeWords.has(w)))
    ))
    const inMemory = yield* Effect.promise(time(() => Effect.runPromise(memory.search(query))))
    const inSqlite = yield* Effect.promise(time(() => Effect.runPromise(sqlite.search(query))))
    const firstOk = [memory, sqlite].every((s) => Effect.runSync(Effect.orDie(s.search(query)))[0]?.rule === NEEDLE_RULE)
    console.log(
      `N=${n}: baseline scan ${fmt(baseline, 1)} µs; in-memory ${fmt(inMemory, 1)} µs (x${fmt(inMemory / baseline)}); ` +
        `sqlite fts5 ${fmt(inSqlite, 1)} µs (x${fmt(inSqlite / baseline)}); relevant one first: ${firstOk}`
    )
    summary(`experiences N=${n} in_memory_ratio=${fmt(inMemory / baseline)} sqlite_ratio=${fmt(inSqlite / baseline)} first=${firstOk}`)
  }
})

Effect.runPromise(Effect.scoped(main)).catch((e) => {
  console.error(e)
  process.exit(1)
})
