import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as MathTools from "../../../src/tools/builtin/MathTools.js"
import { call, refusal, success } from "./support.js"

describe("percentage and min_max", () => {
  const pct = MathTools.makePercentage()
  const mm = MathTools.makeMinMax()

  it.effect("percentage computes of, increase, decrease, ratio and change", () =>
    Effect.gen(function*() {
      const r = (args: unknown) => Effect.map(call(pct, args), (e) => success(e).result)
      assert.strictEqual(yield* r({ value: 200, percent: 15 }), 30)
      assert.strictEqual(yield* r({ value: 200, percent: 10, operation: "increase" }), 220)
      assert.strictEqual(yield* r({ value: 200, percent: 25, operation: "decrease" }), 150)
      assert.strictEqual(yield* r({ value: 50, percent: 200, operation: "ratio" }), 25)
      assert.strictEqual(yield* r({ value: 80, percent: 100, operation: "change" }), 25)
    }))

  it.effect("min_max finds the extremes and where they are", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(success(yield* call(mm, { numbers: [3, -1, 7, -1] })), { min: -1, minIndex: 1 })
      assert.deepStrictEqual(success(yield* call(mm, { numbers: [3, -1, 7], action: "both" })), { min: -1, minIndex: 1, max: 7, maxIndex: 2 })
    }))

  it.effect("refuses empty lists, division by zero and wrong types", () =>
    Effect.gen(function*() {
      assert.match(refusal(yield* call(mm, { numbers: [] })), /^min_max: argument 'numbers': is empty/)
      assert.match(refusal(yield* call(mm, { numbers: [1, "2"] })), /Expected number/)
      assert.match(refusal(yield* call(pct, { value: 1, percent: 0, operation: "ratio" })), /^percentage: argument 'percent': is 0/)
      assert.match(refusal(yield* call(pct, { value: 0, percent: 5, operation: "change" })), /^percentage: argument 'value': is 0/)
      assert.match(refusal(yield* call(pct, { value: "10%", percent: 5 })), /Expected number/)
    }))
})
