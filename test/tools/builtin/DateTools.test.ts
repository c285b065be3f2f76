import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as DateTools from "../../../src/tools/builtin/DateTools.js"
import { call, refusal, success } from "./support.js"

describe("date_parse and date_diff", () => {
  const parse = DateTools.makeParse()
  const diff = DateTools.makeDiff()

  it.effect("date_parse reads ISO 8601, RFC 2822 and Unix timestamps", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(success(yield* call(parse, { date: "2026-01-01" })), {
        iso: "2026-01-01T00:00:00.000Z",
        epochMs: Date.UTC(2026, 0, 1),
        year: 2026,
        month: 1,
        day: 1,
        weekday: "Thursday",
        dayOfYear: 1,
        isoWeek: 1
      })
      assert.strictEqual(success(yield* call(parse, { date: "2026-03-01T12:00:00+01:00" })).iso, "2026-03-01T11:00:00.000Z")
      assert.strictEqual(success(yield* call(parse, { date: "2026-03-01 12:00" })).iso, "2026-03-01T12:00:00.000Z")
      assert.strictEqual(success(yield* call(parse, { date: "Tue, 1 Jul 2025 10:00:00 +0200" })).iso, "2025-07-01T08:00:00.000Z")
      assert.strictEqual(success(yield* call(parse, { date: "1700000000" })).iso, "2023-11-14T22:13:20.000Z")
      assert.strictEqual(success(yield* call(parse, { date: "1700000000000" })).iso, "2023-11-14T22:13:20.000Z")
      assert.strictEqual(success(yield* call(parse, { date: "2027-01-01" })).isoWeek, 53)
      assert.strictEqual(success(yield* call(parse, { date: "2024-12-30" })).isoWeek, 1)
    }))

  it.effect("date_diff gives date2 - date1 in the unit", () =>
    Effect.gen(function*() {
      assert.strictEqual(success(yield* call(diff, { date1: "2026-01-01", date2: "2026-03-01" })).difference, 59)
      assert.strictEqual(success(yield* call(diff, { date1: "2026-01-02", date2: "2026-01-01", unit: "hours" })).difference, -24)
      assert.strictEqual(success(yield* call(diff, { date1: "2026-01-01T00:00:00Z", date2: "2026-01-01T00:01:30Z", unit: "seconds" })).difference, 90)
    }))

  it.effect("refuses what is not a date, naming the argument", () =>
    Effect.gen(function*() {
      for (const date of ["yesterday", "2026-13-45", "2026-02-30T25:00", "", "1e400", "Mon Jan 01 2026 10:00", "x".repeat(500)]) {
        assert.match(refusal(yield* call(parse, { date })), /^date_parse: argument 'date': .* is not a date: use ISO 8601/, date)
      }
      assert.match(refusal(yield* call(diff, { date1: "2026-01-01", date2: "soon" })), /^date_diff: argument 'date2'/)
      assert.match(refusal(yield* call(diff, { date1: "2026-01-01", date2: "2026-01-02", unit: "fortnights" })), /unit/)
      assert.match(refusal(yield* call(parse, { date: 20260101 })), /Expected string/)
    }))
})
