import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import * as Builtin from "../../src/tools/builtin/index.js"
import type * as Tool from "../../src/tools/Tool.js"
import { context } from "./fixtures.js"

const expected: Record<string, { readonly properties: ReadonlyArray<string>; readonly required: ReadonlyArray<string> }> = {
  calc: { properties: ["expression"], required: ["expression"] },
  current_time: { properties: ["timezone"], required: [] },
  json_parse: { properties: ["text", "path"], required: ["text"] },
  text_transform: { properties: ["text", "operation"], required: ["text", "operation"] }
}

describe("builtin registry", () => {
  it("has the four builtin types", () => {
    assert.deepStrictEqual([...Builtin.builtins.keys()], ["calc", "current_time", "json_parse", "text_transform"])
    for (const [type, builtin] of Builtin.builtins) {
      assert.isAbove(builtin.description.length, 80, type)
      const tool = builtin.make({})
      assert.strictEqual(tool.name, type)
      assert.strictEqual(tool.description, builtin.description)
      assert.isTrue(tool.durableIdempotent)
    }
  })

  for (const [type, shape] of Object.entries(expected)) {
    it(`${type}: its JSON Schema is an object with described properties and the required fields`, () => {
      const schema = Builtin.make(type, type).jsonSchema
      assert.strictEqual(schema["type"], "object")
      assert.isUndefined(schema["$schema"])
      assert.isUndefined(schema["$ref"])
      assert.strictEqual(schema["additionalProperties"], false)
      const properties = schema["properties"] as Record<string, Record<string, unknown>>
      assert.deepStrictEqual(Object.keys(properties), shape.properties)
      assert.deepStrictEqual(schema["required"], shape.required)
      for (const [name, property] of Object.entries(properties)) {
        assert.strictEqual(property["type"], "string", `${type}.${name}`)
        assert.isString(property["description"], `${type}.${name} has no description`)
        assert.isAbove((property["description"] as string).length, 10)
      }
    })
  }

  it("text_transform's JSON Schema lists the operations", () => {
    const schema = Builtin.make("text_transform", "t").jsonSchema
    const operation = (schema["properties"] as Record<string, Record<string, unknown>>)["operation"]!
    assert.deepStrictEqual(operation["enum"], ["upper", "lower", "title", "reverse", "trim", "length", "word_count", "slug"])
  })

  it.effect("make(type, id, config) names the tool by its id", () =>
    Effect.gen(function*() {
      const tool = Builtin.make("calc", "math_eval", {})
      assert.strictEqual(tool.name, "math_eval")
      assert.deepStrictEqual(yield* tool.handler({ expression: "6*7" }, context), { expression: "6*7", result: 42 })
      assert.strictEqual(Builtin.make("json_parse", "parse-json").name, "parse-json")
    }))

  it("rejects an id that is not a valid tool name", () => {
    assert.throws(() => Builtin.make("calc", "my calc", {}), /Invalid tool name 'my calc'/)
  })

  it("an unknown type throws with a suggestion", () => {
    assert.throws(
      () => Builtin.make("calculator", "c", {}),
      "Unknown builtin tool type 'calculator'. Builtin types: [calc, current_time, json_parse, text_transform]"
    )
    assert.throws(
      () => Builtin.make("json-parse", "j", {}),
      "Unknown builtin tool type 'json-parse'. Did you mean 'json_parse'? Builtin types: [calc, current_time, json_parse, text_transform]"
    )
  })

  it("an unknown config key throws naming the key", () => {
    assert.throws(
      () => Builtin.make("calc", "calc", { precision: 2 }),
      "Unknown config key 'precision' for builtin tool 'calc'. Allowed keys: [timeout_ms]"
    )
    assert.throws(
      () => Builtin.make("current_time", "now", { timezone: "UTC" }),
      "Unknown config key 'timezone' for builtin tool 'current_time'. Did you mean 'default_timezone'? Allowed keys: [timeout_ms, default_timezone]"
    )
    assert.throws(() => Builtin.builtins.get("json_parse")!.make({ timeoutMs: 5 }), /Unknown config key 'timeoutMs'.*Did you mean 'timeout_ms'/)
    // prototype keys are not config keys
    assert.throws(() => Builtin.make("text_transform", "t", JSON.parse("{\"constructor\": 1}")), /Unknown config key 'constructor'/)
  })

  it("a config value of the wrong type throws naming the key", () => {
    for (const value of [0, -5, 1.5, "100"]) {
      assert.throws(
        () => Builtin.make("calc", "calc", { timeout_ms: value }),
        "Invalid config key 'timeout_ms' for builtin tool 'calc': must be a positive integer"
      )
    }
    assert.throws(
      () => Builtin.make("current_time", "now", { default_timezone: "Atlantis/Capital" }),
      "Invalid config key 'default_timezone' for builtin tool 'current_time': 'Atlantis/Capital' is not a valid IANA timezone (e.g. 'UTC', 'Europe/Paris')"
    )
    assert.throws(() => Builtin.make("current_time", "now", { default_timezone: 1 }), /'default_timezone'.*must be a string/)
    assert.throws(() => Builtin.make("calc", "calc", [] as unknown as Record<string, unknown>), /expected an object/)
  })

  it.effect("config values reach the tool", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.UTC(2026, 5, 1, 12, 0, 0))
      const tool: Tool.Tool = Builtin.make("current_time", "paris_time", { default_timezone: "Europe/Paris", timeout_ms: 2000 })
      assert.strictEqual(tool.timeoutMs, 2000)
      const result = (yield* tool.handler({}, context)) as { timezone: string; local: string }
      assert.strictEqual(result.timezone, "Europe/Paris")
      assert.strictEqual(result.local, "2026-06-01 14:00:00")
      assert.isUndefined(Builtin.make("calc", "calc").timeoutMs)
      assert.isUndefined(Builtin.make("calc", "calc", { timeout_ms: undefined }).timeoutMs)
    }))

  it("configKeys lists what each type accepts", () => {
    assert.deepStrictEqual(Builtin.configKeys("calc"), ["timeout_ms"])
    assert.deepStrictEqual(Builtin.configKeys("current_time"), ["timeout_ms", "default_timezone"])
    assert.isUndefined(Builtin.configKeys("nope"))
  })

  it("re-exports the builtin modules", () => {
    assert.strictEqual(Builtin.Calc.make().name, "calc")
    assert.strictEqual(Builtin.CurrentTime.make().name, "current_time")
    assert.strictEqual(Builtin.JsonParse.make().name, "json_parse")
    assert.strictEqual(Builtin.TextTransform.make().name, "text_transform")
  })
})
