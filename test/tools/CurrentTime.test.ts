import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import * as CurrentTime from "../../src/tools/builtin/CurrentTime.js"
import { context } from "./fixtures.js"

// Saturday 2026-11-21 13:03:05.250 UTC (no daylight saving time in Europe or the US on that date)
const instant = Date.UTC(2026, 10, 21, 13, 3, 5, 250)

const tool = CurrentTime.make()
const run = (timezone?: string) =>
  tool.handler(timezone === undefined ? {} : { timezone }, context) as Effect.Effect<
    CurrentTime.Result,
    CurrentTime.CurrentTimeError
  >

describe("current_time", () => {
  it.effect("reads the time from the TestClock, in UTC by default", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(instant)
      const result = yield* run()
      assert.deepStrictEqual(result, {
        timezone: "UTC",
        iso: "2026-11-21T13:03:05.250Z",
        local: "2026-11-21 13:03:05",
        weekday: "Saturday",
        utcOffset: "+00:00",
        epochMs: instant
      })
    }))

  it.effect("follows the TestClock when it moves", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(instant)
      yield* TestClock.adjust("90 minutes")
      const result = yield* run("UTC")
      assert.strictEqual(result.epochMs, instant + 90 * 60_000)
      assert.strictEqual(result.iso, "2026-11-21T14:33:05.250Z")
      assert.strictEqual(result.local, "2026-11-21 14:33:05")
    }))

  it.effect("the epoch itself under an untouched TestClock", () =>
    Effect.gen(function*() {
      const result = yield* run()
      assert.strictEqual(result.epochMs, 0)
      assert.strictEqual(result.iso, "1970-01-01T00:00:00.000Z")
      assert.strictEqual(result.local, "1970-01-01 00:00:00")
      assert.strictEqual(result.weekday, "Thursday")
    }))

  const zones: ReadonlyArray<readonly [string, string, string, string, string]> = [
    // requested, reported name, local, weekday, offset
    ["Europe/Paris", "Europe/Paris", "2026-11-21 14:03:05", "Saturday", "+01:00"],
    ["America/New_York", "America/New_York", "2026-11-21 08:03:05", "Saturday", "-05:00"],
    ["Asia/Tokyo", "Asia/Tokyo", "2026-11-21 22:03:05", "Saturday", "+09:00"],
    ["Asia/Kathmandu", "Asia/Kathmandu", "2026-11-21 18:48:05", "Saturday", "+05:45"],
    ["Pacific/Kiritimati", "Pacific/Kiritimati", "2026-11-22 03:03:05", "Sunday", "+14:00"],
    ["Pacific/Pago_Pago", "Pacific/Pago_Pago", "2026-11-21 02:03:05", "Saturday", "-11:00"],
    ["europe/paris", "Europe/Paris", "2026-11-21 14:03:05", "Saturday", "+01:00"],
    ["utc", "UTC", "2026-11-21 13:03:05", "Saturday", "+00:00"]
  ]
  for (const [requested, name, local, weekday, utcOffset] of zones) {
    it.effect(`formats the local time in ${requested}`, () =>
      Effect.gen(function*() {
        yield* TestClock.setTime(instant)
        const result = yield* run(requested)
        assert.deepStrictEqual(result, {
          timezone: name,
          iso: "2026-11-21T13:03:05.250Z",
          local,
          weekday,
          utcOffset,
          epochMs: instant
        })
      }))
  }

  it.effect("applies daylight saving time", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.UTC(2026, 6, 14, 10, 0, 0))
      const paris = yield* run("Europe/Paris")
      assert.strictEqual(paris.local, "2026-07-14 12:00:00")
      assert.strictEqual(paris.utcOffset, "+02:00")
      const newYork = yield* run("America/New_York")
      assert.strictEqual(newYork.local, "2026-07-14 06:00:00")
      assert.strictEqual(newYork.utcOffset, "-04:00")
    }))

  it.effect("midnight is 00, never 24", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.UTC(2026, 0, 1, 23, 0, 0))
      const result = yield* run("Europe/Paris")
      assert.strictEqual(result.local, "2026-01-02 00:00:00")
      assert.strictEqual(result.weekday, "Friday")
    }))

  for (const timezone of ["Mars/Olympus_Mons", "Europe/Pariss", "", "   ", "GMT+25"]) {
    it.effect(`fails on the invalid timezone ${JSON.stringify(timezone)}`, () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(run(timezone))
        assert.instanceOf(error, CurrentTime.CurrentTimeError)
        assert.strictEqual(error.timezone, timezone)
        assert.strictEqual(
          error.message,
          `Unknown timezone '${timezone}': use an IANA timezone name such as 'UTC', 'Europe/Paris' or 'America/New_York'`
        )
        assert.strictEqual(error.retryable, false)
        assert.include(error.hint, "IANA")
      }))
  }

  it.effect("a configured default timezone applies when the model gives none", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(instant)
      const tokyo = CurrentTime.make({ name: "clock", defaultTimezone: "Asia/Tokyo" })
      assert.strictEqual(tokyo.name, "clock")
      assert.include(tokyo.description, "Asia/Tokyo")
      const result = (yield* tokyo.handler({}, context)) as CurrentTime.Result
      assert.strictEqual(result.timezone, "Asia/Tokyo")
      assert.strictEqual(result.local, "2026-11-21 22:03:05")
      const utc = (yield* tokyo.handler({ timezone: "UTC" }, context)) as CurrentTime.Result
      assert.strictEqual(utc.local, "2026-11-21 13:03:05")
    }))

  it("rejects an invalid default timezone when the tool is made", () => {
    assert.throws(() => CurrentTime.make({ defaultTimezone: "Nowhere/Land" }), /Invalid default timezone 'Nowhere\/Land'/)
    assert.isTrue(CurrentTime.isValidTimezone("America/Sao_Paulo"))
    assert.isFalse(CurrentTime.isValidTimezone("Nowhere/Land"))
  })
})
