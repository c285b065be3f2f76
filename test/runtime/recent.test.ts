import { assert, describe, it } from "@effect/vitest"
import { RecentIds } from "../../src/runtime/internal/recent.js"

describe("RecentIds (the runtime's memory of recently ended and early-cancelled runs)", () => {
  it("remembers the last `capacity` ids and forgets the oldest first", () => {
    const recent = new RecentIds(3)
    for (const id of ["a", "b", "c"]) recent.add(id)
    assert.deepStrictEqual(["a", "b", "c"].map((id) => recent.has(id)), [true, true, true])
    recent.add("d")
    assert.isFalse(recent.has("a"))
    assert.deepStrictEqual(["b", "c", "d"].map((id) => recent.has(id)), [true, true, true])
    recent.add("e")
    recent.add("f")
    assert.deepStrictEqual(["b", "c", "d", "e", "f"].map((id) => recent.has(id)), [false, false, true, true, true])
  })

  it("adding an id it holds takes no slot; delete forgets it and says whether it was there", () => {
    const recent = new RecentIds(2)
    recent.add("a")
    recent.add("a")
    recent.add("b")
    assert.isTrue(recent.has("a"))
    assert.isTrue(recent.delete("a"))
    assert.isFalse(recent.delete("a"))
    assert.isFalse(recent.has("a"))
    assert.isTrue(recent.has("b"))
  })

  it("stays bounded over many ids", () => {
    const recent = new RecentIds(1024)
    for (let i = 0; i < 100_000; i++) recent.add(`run-${i}`)
    assert.isTrue(recent.has("run-99999"))
    assert.isTrue(recent.has("run-98976"))
    assert.isFalse(recent.has("run-98975"))
  })
})
