import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as RandomTools from "../../../src/tools/builtin/RandomTools.js"
import { call, refusal, success } from "./support.js"

describe("random tools", () => {
  it.effect("random_int draws whole numbers in [min, max], both included", () =>
    Effect.gen(function*() {
      const result = success(yield* call(RandomTools.makeInt(), { min: 1, max: 3, count: 300 }))
      assert.strictEqual(result.values.length, 300)
      assert.deepStrictEqual([...new Set(result.values)].sort(), [1, 2, 3])
      assert.strictEqual(success(yield* call(RandomTools.makeInt(), { min: 7, max: 7 })).value, 7)
    }))

  it.effect("random_choice picks from the list, unique on request", () =>
    Effect.gen(function*() {
      const unique = success(yield* call(RandomTools.makeChoice(), { choices: ["a", "b", "c"], count: 3, unique: true }))
      assert.deepStrictEqual([...unique.picked].sort(), ["a", "b", "c"])
      assert.include(["a", "b"], success(yield* call(RandomTools.makeChoice(), { choices: ["a", "b"] })).choice)
    }))

  it.effect("random_string uses the character set", () =>
    Effect.gen(function*() {
      assert.match(success(yield* call(RandomTools.makeString(), {})).value, /^[A-Za-z0-9]{16}$/)
      assert.match(success(yield* call(RandomTools.makeString(), { length: 40, charset: "hex" })).value, /^[0-9a-f]{40}$/)
    }))

  it.effect("uuid makes version 4 UUIDs", () =>
    Effect.gen(function*() {
      const result = success(yield* call(RandomTools.makeUuid(), { count: 5 }))
      assert.strictEqual(new Set(result.uuids).size, 5)
      for (const u of result.uuids) assert.match(u, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    }))

  it.effect("refuses counts, lengths and ranges out of bounds, naming the argument", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [ReturnType<typeof RandomTools.makeInt> | ReturnType<typeof RandomTools.makeChoice> | ReturnType<typeof RandomTools.makeString> | ReturnType<typeof RandomTools.makeUuid>, unknown, RegExp]> = [
        [RandomTools.makeInt(), { count: 1_000_000 }, /^random_int: argument 'count': must be a whole number from 1 to 1000/],
        [RandomTools.makeInt(), { count: 0 }, /argument 'count'/],
        [RandomTools.makeInt(), { count: 2.5 }, /argument 'count'/],
        [RandomTools.makeInt(), { min: 10, max: 1 }, /argument 'min': 10 is greater than max 1/],
        [RandomTools.makeInt(), { min: 0.5 }, /argument 'min': must be a whole number/],
        [RandomTools.makeInt(), { max: 1e300 }, /argument 'max'/],
        [RandomTools.makeInt(), { min: "0" }, /Expected number/],
        [RandomTools.makeChoice(), { choices: [] }, /argument 'choices': is empty/],
        [RandomTools.makeChoice(), { choices: ["a"], count: 2, unique: true }, /2 unique picks from 1 items is impossible/],
        [RandomTools.makeChoice(), { choices: "abc" }, /Expected ReadonlyArray/],
        [RandomTools.makeString(), { length: 1e9 }, /^random_string: argument 'length'/],
        [RandomTools.makeString(), { charset: "emoji" }, /charset/],
        [RandomTools.makeUuid(), { version: 1 }, /version/],
        [RandomTools.makeUuid(), { count: -1 }, /argument 'count'/]
      ]
      for (const [tool, args, expect] of cases) assert.match(refusal(yield* call(tool, args)), expect, JSON.stringify(args))
    }))
})
