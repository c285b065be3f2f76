import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Tool from "../../src/tools/Tool.js"
import * as Toolkit from "../../src/tools/Toolkit.js"

const tool = (name: string) =>
  Tool.make(name, { description: `The ${name} tool`, parameters: Schema.Struct({}), handler: () => Effect.void })

describe("Toolkit", () => {
  it("holds the tools by name and their specs in the order given", () => {
    const kit = Toolkit.make(tool("zeta"), tool("alpha"), tool("mid"))
    assert.deepStrictEqual([...kit.tools.keys()], ["zeta", "alpha", "mid"])
    assert.deepStrictEqual(kit.specs.map((s) => s.name), ["zeta", "alpha", "mid"])
    assert.strictEqual(kit.tools.get("alpha")?.description, "The alpha tool")
    assert.deepStrictEqual(kit.specs[0], Tool.spec(kit.tools.get("zeta")!))
  })

  it("rejects two tools with one name", () => {
    assert.throws(() => Toolkit.make(tool("a"), tool("b"), tool("a")), "Duplicate tool name 'a' in toolkit")
  })

  it("empty has no tools", () => {
    assert.strictEqual(Toolkit.empty.tools.size, 0)
    assert.deepStrictEqual(Toolkit.empty.specs, [])
  })

  it.effect("layer provides the toolkit", () =>
    Effect.gen(function*() {
      const kit = yield* Toolkit.Toolkit
      assert.deepStrictEqual([...kit.tools.keys()], ["one", "two"])
    }).pipe(Effect.provide(Toolkit.layer(tool("one"), tool("two")))))
})
