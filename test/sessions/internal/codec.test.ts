/**
 * `copyState`: a state read from or written to a store shares nothing mutable with it. JSON-like data is
 * copied directly; anything else goes through `structuredClone`, as it always did.
 */
import { assert, describe, it } from "@effect/vitest"
import { copyState } from "../../../src/sessions/internal/codec.js"

describe("copyState", () => {
  it("copies JSON-like data deeply, equal and sharing nothing", () => {
    const state = { turns: [{ input: "a", tags: ["x", "y"], n: 1.5, ok: true, none: null }], summary: "s", nested: { deep: { v: -0 } } }
    const copy = copyState(state) as typeof state
    assert.deepStrictEqual(copy, structuredClone(state))
    assert.notStrictEqual(copy, state)
    assert.notStrictEqual(copy.turns, state.turns)
    assert.notStrictEqual(copy.turns[0], state.turns[0])
    assert.notStrictEqual(copy.turns[0]!.tags, state.turns[0]!.tags)
    assert.isTrue(Object.is(copy.nested.deep.v, -0))
  })

  it("an object without a prototype comes back as a plain object, as structuredClone makes it", () => {
    const state = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 })
    const copy = copyState(state)
    assert.strictEqual(Object.getPrototypeOf(copy), Object.prototype)
    assert.deepStrictEqual({ ...copy }, { a: 1 })
  })

  it("anything else is copied by structuredClone: dates, maps, cycles, sparse arrays, a __proto__ key", () => {
    const when = new Date(0)
    const dated = copyState({ when }) as { when: Date }
    assert.instanceOf(dated.when, Date)
    assert.notStrictEqual(dated.when, when)
    const mapped = copyState({ m: new Map([["k", 1]]) }) as { m: Map<string, number> }
    assert.strictEqual(mapped.m.get("k"), 1)
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic["self"] = cyclic
    const copied = copyState(cyclic) as Record<string, unknown>
    assert.strictEqual(copied["self"], copied)
    // eslint-disable-next-line no-sparse-arrays
    const sparse = copyState({ xs: [1, , 3] }) as { xs: Array<number> }
    assert.isFalse(1 in sparse.xs)
    const proto = copyState(JSON.parse(`{"__proto__": {"x": 1}}`) as Record<string, unknown>)
    assert.isTrue(Object.hasOwn(proto, "__proto__"))
  })

  it("a function fails as it does with structuredClone", () => {
    assert.throws(() => copyState({ f: () => 1 }))
  })
})
