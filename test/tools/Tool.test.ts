import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as Tool from "../../src/tools/Tool.js"
import { context } from "./fixtures.js"

const add = Tool.make("add", {
  description: "Adds two numbers",
  parameters: Schema.Struct({
    a: Schema.Number.annotations({ description: "first addend" }),
    b: Schema.Number,
    note: Schema.optional(Schema.String)
  }),
  handler: ({ a, b }) => Effect.succeed(a + b)
})

describe("Tool.make", () => {
  it.effect("builds a tool whose handler runs on decoded parameters", () =>
    Effect.gen(function*() {
      assert.strictEqual(add.name, "add")
      assert.strictEqual(add.description, "Adds two numbers")
      assert.isTrue(add.durableIdempotent)
      assert.isUndefined(add.timeoutMs)
      const params = add.decode({ a: 1, b: 2 })
      assert.deepStrictEqual(params, Either.right({ a: 1, b: 2 }))
      if (Either.isRight(params)) assert.strictEqual(yield* add.handler(params.right, context), 3)
    }))

  it("derives the JSON Schema from the parameter schema, without $schema", () => {
    assert.deepStrictEqual(add.jsonSchema, {
      type: "object",
      required: ["a", "b"],
      properties: {
        a: { type: "number", description: "first addend" },
        b: { type: "number" },
        note: { type: "string" }
      },
      additionalProperties: false
    })
  })

  it("decode reports every problem with the field path, and rejects excess properties", () => {
    const result = add.decode({ a: "1", c: true })
    assert.isTrue(Either.isLeft(result))
    if (Either.isLeft(result)) {
      assert.include(result.left, "[\"a\"]")
      assert.include(result.left, "Expected number, actual \"1\"")
      assert.include(result.left, "[\"b\"]")
      assert.include(result.left, "is missing")
      assert.include(result.left, "[\"c\"]")
      assert.include(result.left, "is unexpected")
    }
  })

  it("keeps timeoutMs and durableIdempotent", () => {
    const tool = Tool.make("write", {
      description: "Writes",
      parameters: Schema.Struct({}),
      timeoutMs: 1234,
      durableIdempotent: false,
      handler: () => Effect.void
    })
    assert.strictEqual(tool.timeoutMs, 1234)
    assert.isFalse(tool.durableIdempotent)
  })

  it("rejects names a provider would reject", () => {
    const make = (name: string) => () =>
      Tool.make(name, { description: "x", parameters: Schema.Struct({}), handler: () => Effect.void })
    for (const name of ["", "has space", "dot.name", "é", "x".repeat(65)]) {
      assert.throws(make(name), `Invalid tool name '${name}': use 1-64 letters, digits, '_' or '-'`)
    }
    for (const name of ["a", "snake_case", "kebab-case", "Camel9", "x".repeat(64)]) {
      assert.strictEqual(make(name)().name, name)
    }
  })

  it("spec is the tool as the model sees it", () => {
    assert.deepStrictEqual(Tool.spec(add), { name: "add", description: "Adds two numbers", parameters: add.jsonSchema })
  })

  // JSONSchema.make would keep a top-level $ref for a schema with an identifier; providers need type: object
  it("a parameter schema with an identifier still gives a root of type object", () => {
    class Params extends Schema.Class<Params>("Params")({ q: Schema.String }) {}
    const tool = Tool.make("search", { description: "x", parameters: Params, handler: () => Effect.void })
    assert.strictEqual(tool.jsonSchema["type"], "object")
    assert.deepStrictEqual(tool.jsonSchema["required"], ["q"])
  })
})

describe("Tool.fromJsonSchema", () => {
  const tool = Tool.fromJsonSchema("lookup", {
    description: "Looks a key up",
    jsonSchema: {
      type: "object",
      properties: { key: { type: "string" }, limit: { type: "integer", minimum: 1 } },
      required: ["key"],
      additionalProperties: false
    },
    handler: (params: { key: string }) => Effect.succeed(params.key.toUpperCase())
  })

  it.effect("validates with Ajv and passes valid arguments through", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(tool.decode({ key: "k", limit: 2 }), Either.right({ key: "k", limit: 2 }))
      assert.strictEqual(yield* tool.handler({ key: "k" }, context), "K")
      assert.strictEqual(tool.jsonSchema["type"], "object")
    }))

  it("reports every problem with its JSON pointer", () => {
    const result = tool.decode({ limit: 0, extra: 1 })
    assert.isTrue(Either.isLeft(result))
    if (Either.isLeft(result)) {
      assert.include(result.left, "(root) must have required property 'key'")
      assert.include(result.left, "/limit must be >= 1")
      assert.include(result.left, "(root) must NOT have additional properties")
    }
  })

  it("rejects an invalid name and an invalid schema when the tool is made", () => {
    assert.throws(
      () => Tool.fromJsonSchema("bad name", { description: "x", jsonSchema: {}, handler: () => Effect.void }),
      /Invalid tool name/
    )
    assert.throws(() =>
      Tool.fromJsonSchema("bad_schema", {
        description: "x",
        jsonSchema: { type: "not-a-type" },
        handler: () => Effect.void
      })
    )
  })
})
