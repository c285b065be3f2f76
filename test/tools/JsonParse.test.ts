import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as JsonParse from "../../src/tools/builtin/JsonParse.js"
import { context } from "./fixtures.js"

const tool = JsonParse.make()
const run = (text: string, path?: string) =>
  tool.handler(path === undefined ? { text } : { text, path }, context) as Effect.Effect<
    JsonParse.Result,
    JsonParse.JsonParseError
  >

const doc = JSON.stringify({
  user: { name: "Ada", tags: ["math", "engines"], address: null },
  items: [{ id: 1, price: 9.5 }, { id: 2, price: 12 }],
  "display name": "Analytical",
  "a.b": true,
  empty: {}
})

describe("json_parse", () => {
  it.effect("parses every kind of JSON value", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* run("{\"a\": [1, 2.5, \"x\", true, null]}"), {
        value: { a: [1, 2.5, "x", true, null] }
      })
      assert.deepStrictEqual(yield* run("42"), { value: 42 })
      assert.deepStrictEqual(yield* run("\"text\""), { value: "text" })
      assert.deepStrictEqual(yield* run("null"), { value: null })
      assert.deepStrictEqual(yield* run("  [ ]  "), { value: [] })
    }))

  const selections: ReadonlyArray<readonly [string, unknown]> = [
    ["user.name", "Ada"],
    ["user.tags[1]", "engines"],
    ["user.tags.0", "math"],
    ["user.address", null],
    ["items[0].id", 1],
    ["items[1].price", 12],
    ["items[1]", { id: 2, price: 12 }],
    ["[\"display name\"]", "Analytical"],
    ["['a.b']", true],
    ["$.user.name", "Ada"],
    ["$", JSON.parse(doc)],
    ["", JSON.parse(doc)],
    ["empty", {}],
    [" user . name ".replaceAll(" ", ""), "Ada"]
  ]
  for (const [path, expected] of selections) {
    it.effect(`selects ${JSON.stringify(path)}`, () =>
      Effect.gen(function*() {
        assert.deepStrictEqual(yield* run(doc, path), { value: expected })
      }))
  }

  it.effect("selects inside a top-level array", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* run("[[1, 2], [3, 4]]", "[1][0]"), { value: 3 })
    }))

  it.effect("invalid JSON fails with the parser's message", () =>
    Effect.gen(function*() {
      for (const text of ["{bad", "", "[1, 2,]", "{\"a\": 1} trailing", "undefined", "{'a': 1}"]) {
        const error = yield* Effect.flip(run(text))
        assert.instanceOf(error, JsonParse.JsonParseError)
        assert.strictEqual(error.reason, "InvalidJson")
        let parserMessage = ""
        try {
          JSON.parse(text)
        } catch (e) {
          parserMessage = (e as Error).message
        }
        assert.strictEqual(error.message, `Invalid JSON: ${parserMessage}`)
        assert.strictEqual(error.retryable, false)
      }
    }))

  const missing: ReadonlyArray<readonly [string, string]> = [
    ["user.age", "Path 'user.age' not found: user has no key \"age\" (keys: \"name\", \"tags\", \"address\")"],
    ["items[5].id", "Path 'items[5].id' not found: items has 2 items, no index 5"],
    ["user.tags[2]", "Path 'user.tags[2]' not found: user.tags has 2 items, no index 2"],
    ["items.first", "Path 'items.first' not found: items is an array, so 'first' must be an index"],
    ["user.name.first", "Path 'user.name.first' not found: user.name is a string, not an object or array"],
    ["user.address.city", "Path 'user.address.city' not found: user.address is null, not an object or array"],
    ["empty.x", "Path 'empty.x' not found: empty has no key \"x\" (keys: none)"],
    ["constructor", "Path 'constructor' not found: (root) has no key \"constructor\" (keys: \"user\", \"items\", \"display name\", \"a.b\", \"empty\")"],
    ["user.__proto__", "Path 'user.__proto__' not found: user has no key \"__proto__\" (keys: \"name\", \"tags\", \"address\")"]
  ]
  for (const [path, message] of missing) {
    it.effect(`a missing path fails naming it: ${path}`, () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(run(doc, path))
        assert.strictEqual(error.reason, "PathNotFound")
        assert.strictEqual(error.path, path)
        assert.strictEqual(error.message, message)
      }))
  }

  const malformed: ReadonlyArray<readonly [string, string]> = [
    ["a..b", "Invalid path 'a..b': expected a property name at position 3"],
    ["a.", "Invalid path 'a.': expected a property name at position 3"],
    ["a[x]", "Invalid path 'a[x]': '[x]' at position 2 is not an array index; quote keys as [\"x\"]"],
    ["a[-1]", "Invalid path 'a[-1]': '[-1]' at position 2 is not an array index; quote keys as [\"-1\"]"],
    ["a[1", "Invalid path 'a[1': missing ']' for '[' at position 2"],
    ["a[\"x", "Invalid path 'a[\"x': unterminated \"...\"] at position 2"],
    ["a[0]b", "Invalid path 'a[0]b': unexpected 'b' at position 5"]
  ]
  for (const [path, message] of malformed) {
    it.effect(`a malformed path fails: ${path}`, () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(run(doc, path))
        assert.strictEqual(error.reason, "InvalidPath")
        assert.strictEqual(error.path, path)
        assert.strictEqual(error.message, message)
      }))
  }

  it("parsePath reads dot and bracket notation", () => {
    assert.deepStrictEqual(JsonParse.parsePath("a.b[0].c"), Either.right(["a", "b", 0, "c"]))
    assert.deepStrictEqual(JsonParse.parsePath("[2]['x y'][\"z\"]"), Either.right([2, "x y", "z"]))
    assert.deepStrictEqual(JsonParse.parsePath("$.a"), Either.right(["a"]))
  })

  it.effect("5,000-deep input is a clear TooDeep error, never a success the model cannot read", () =>
    Effect.gen(function*() {
      for (const text of ["[".repeat(5000) + "]".repeat(5000), "{\"a\":".repeat(5000) + "1" + "}".repeat(5000)]) {
        const error = yield* Effect.flip(run(text))
        assert.instanceOf(error, JsonParse.JsonParseError)
        assert.strictEqual(error.reason, "TooDeep")
        assert.include(error.message, `nested more than ${JsonParse.MAX_DEPTH} levels deep (at position`)
      }
      // at the limit the value comes back whole and serializes (brackets in strings do not count)
      const atLimit = "[".repeat(JsonParse.MAX_DEPTH) + "\"[[[[\"" + "]".repeat(JsonParse.MAX_DEPTH)
      const { value } = yield* run(atLimit)
      assert.strictEqual(JSON.stringify(value), atLimit)
    }))
})
