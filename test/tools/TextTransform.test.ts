import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as TextTransform from "../../src/tools/builtin/TextTransform.js"
import { context } from "./fixtures.js"

const tool = TextTransform.make()
const run = (text: string, operation: TextTransform.Operation) =>
  tool.handler({ text, operation }, context) as Effect.Effect<TextTransform.Result>

const cases: ReadonlyArray<readonly [TextTransform.Operation, string, string | number]> = [
  ["upper", "Hello, wörld!", "HELLO, WÖRLD!"],
  ["lower", "HeLLo, WÖRLD!", "hello, wörld!"],
  ["title", "the QUICK brown fox", "The Quick Brown Fox"],
  ["title", "they're état-major 3d", "They're État-Major 3d"],
  ["reverse", "stressed", "desserts"],
  ["reverse", "añb 👍🏽!", "!👍🏽 bña"],
  ["reverse", "e\u0301a", "ae\u0301"],
  ["trim", " \t padded text \n ", "padded text"],
  ["length", "hello", 5],
  ["length", "👍🏽 é", 3],
  ["length", "", 0],
  ["word_count", "The quick brown fox.", 4],
  ["word_count", "  one,two;  three  ", 3],
  ["word_count", "don't stop", 2],
  ["word_count", "   ", 0],
  ["slug", "Hello, World!", "hello-world"],
  ["slug", "  Crème Brûlée: The Recipe (2nd ed.)  ", "creme-brulee-the-recipe-2nd-ed"],
  ["slug", "They're here", "theyre-here"],
  ["slug", "!!!", ""]
]

describe("text_transform", () => {
  for (const [operation, text, expected] of cases) {
    it.effect(`${operation} ${JSON.stringify(text)} -> ${JSON.stringify(expected)}`, () =>
      Effect.gen(function*() {
        assert.deepStrictEqual(yield* run(text, operation), { operation, result: expected })
      }))
  }

  it("covers every operation", () => {
    const covered = new Set(cases.map(([operation]) => operation))
    assert.deepStrictEqual([...covered].sort(), [...TextTransform.Operation.literals].sort())
  })

  it("an unknown operation or a missing text is a validation failure naming the field", () => {
    const unknown = tool.decode({ text: "x", operation: "shout" })
    assert.isTrue(Either.isLeft(unknown))
    if (Either.isLeft(unknown)) {
      assert.include(unknown.left, "[\"operation\"]")
      assert.include(unknown.left, "\"shout\"")
    }
    const missing = tool.decode({ operation: "upper" })
    assert.isTrue(Either.isLeft(missing))
    if (Either.isLeft(missing)) assert.include(missing.left, "[\"text\"]")
    const notText = tool.decode({ text: 42, operation: "upper" })
    assert.isTrue(Either.isLeft(notText))
    if (Either.isLeft(notText)) assert.include(notText.left, "[\"text\"]")
  })
})
