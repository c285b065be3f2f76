import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import * as Either from "effect/Either"
import * as Registry from "../../src/config/Registry.js"
import type { ConfigError } from "../../src/kernel/Errors.js"
import * as Builtin from "../../src/tools/builtin/index.js"
import type * as Tool from "../../src/tools/Tool.js"
import { context } from "./fixtures.js"

const expected: Record<string, { readonly properties: ReadonlyArray<string>; readonly required: ReadonlyArray<string> }> = {
  calc: { properties: ["expression"], required: ["expression"] },
  current_time: { properties: ["timezone"], required: [] },
  json_parse: { properties: ["text", "path"], required: ["text"] },
  text_transform: { properties: ["text", "operation"], required: ["text", "operation"] }
}

const where = "agents[0].tools[0]"
const build = (type: string, id: string, config?: unknown) => Registry.build("tool", type, config, { dir: ".", where, id })
const make = (type: string, id: string, config?: unknown): Tool.Tool => Either.getOrThrow(build(type, id, config)) as Tool.Tool
const problems = (type: string, id: string, config?: unknown): ReadonlyArray<string> => {
  const result = build(type, id, config)
  if (Either.isRight(result)) return assert.fail(`expected ${type} ${JSON.stringify(config)} to be refused`)
  const error: ConfigError = result.left
  return error.issues.map((i) => `${i.path}: ${i.message}`)
}
const modules = { calc: Builtin.Calc, current_time: Builtin.CurrentTime, json_parse: Builtin.JsonParse, text_transform: Builtin.TextTransform }

describe("builtin tools, built through the registry", () => {
  it("has the four pure builtin types first (the others are tested in test/tools/builtin/)", () => {
    assert.deepStrictEqual(Registry.typeNames("tool").slice(0, 4), ["calc", "current_time", "json_parse", "text_transform"])
    for (const type of ["calc", "current_time", "json_parse", "text_transform"] as const) {
      const tool = make(type, type)
      assert.isAbove(tool.description.length, 80, type)
      assert.strictEqual(tool.name, type)
      assert.strictEqual(tool.description, modules[type].description)
      assert.isTrue(tool.durableIdempotent)
    }
  })

  for (const [type, shape] of Object.entries(expected)) {
    it(`${type}: its JSON Schema is an object with described properties and the required fields`, () => {
      const schema = make(type, type).jsonSchema
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
    const schema = make("text_transform", "t").jsonSchema
    const operation = (schema["properties"] as Record<string, Record<string, unknown>>)["operation"]!
    assert.deepStrictEqual(operation["enum"], ["upper", "lower", "title", "reverse", "trim", "length", "word_count", "slug"])
  })

  it.effect("make(type, id, config) names the tool by its id", () =>
    Effect.gen(function*() {
      const tool = make("calc", "math_eval", {})
      assert.strictEqual(tool.name, "math_eval")
      assert.deepStrictEqual(yield* tool.handler({ expression: "6*7" }, context), { expression: "6*7", result: 42 })
      assert.strictEqual(make("json_parse", "parse-json").name, "parse-json")
    }))

  it("rejects an id that is not a valid tool name, at the tool's path", () => {
    assert.deepStrictEqual(problems("calc", "my calc", {}).length, 1)
    assert.match(problems("calc", "my calc", {})[0]!, /^agents\[0\]\.tools\[0\]: Invalid tool name 'my calc'/)
  })

  it("an unknown type is refused with the builtin types", () => {
    const result = build("calculator", "c", {})
    assert.isTrue(Either.isLeft(result))
    const error = (result as Either.Left<ConfigError, Tool.Tool>).left
    assert.strictEqual(error.issues[0]!.path, "agents[0].tools[0].type")
    assert.strictEqual(error.issues[0]!.message, "unknown tool type 'calculator'")
    assert.strictEqual(error.hint, `builtin tool types: ${Registry.typeNames("tool").join(", ")}`)
  })

  it("the config is decoded with the type's own Schema: unknown keys and wrong values, each at its JSON path", () => {
    assert.deepStrictEqual(problems("calc", "calc", { precision: 2 }), ["agents[0].tools[0].config.precision: unknown key"])
    assert.deepStrictEqual(problems("current_time", "now", { timezone: "UTC" }), [
      "agents[0].tools[0].config.timezone: unknown key (did you mean 'default_timezone'?)"
    ])
    assert.deepStrictEqual(problems("json_parse", "j", { timeoutMs: 5 }), [
      "agents[0].tools[0].config.timeoutMs: unknown key (did you mean 'timeout_ms'?)"
    ])
    // prototype keys are not config keys
    assert.deepStrictEqual(problems("text_transform", "t", JSON.parse("{\"constructor\": 1}")), [
      "agents[0].tools[0].config.constructor: unknown key"
    ])
    for (const value of [0, -5, 1.5, "100"]) {
      assert.strictEqual(problems("calc", "calc", { timeout_ms: value }).length, 1)
      assert.match(problems("calc", "calc", { timeout_ms: value })[0]!, /^agents\[0\]\.tools\[0\]\.config\.timeout_ms: /)
    }
    assert.match(problems("current_time", "now", { default_timezone: "Atlantis/Capital" })[0]!, /config\.default_timezone: .*IANA timezone/)
    assert.match(problems("calc", "calc", [])[0]!, /^agents\[0\]\.tools\[0\]\.config: /)
  })

  it.effect("config values reach the tool", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.UTC(2026, 5, 1, 12, 0, 0))
      const tool: Tool.Tool = make("current_time", "paris_time", { default_timezone: "Europe/Paris", timeout_ms: 2000 })
      assert.strictEqual(tool.timeoutMs, 2000)
      const result = (yield* tool.handler({}, context)) as { timezone: string; local: string }
      assert.strictEqual(result.timezone, "Europe/Paris")
      assert.strictEqual(result.local, "2026-06-01 14:00:00")
      assert.isUndefined(make("calc", "calc").timeoutMs)
      assert.isUndefined(make("calc", "calc", { timeout_ms: undefined }).timeoutMs)
    }))

  it("configKeys lists what each type accepts", () => {
    assert.deepStrictEqual(Registry.configKeys(Registry.builtins.tool.calc.config).map((k) => k.name), ["timeout_ms"])
    assert.deepStrictEqual(Registry.configKeys(Registry.builtins.tool.current_time.config).map((k) => k.name), [
      "timeout_ms",
      "default_timezone"
    ])
    assert.isUndefined(Registry.get("tool", "nope"))
  })

  it("re-exports the builtin modules", () => {
    assert.strictEqual(Builtin.Calc.make().name, "calc")
    assert.strictEqual(Builtin.CurrentTime.make().name, "current_time")
    assert.strictEqual(Builtin.JsonParse.make().name, "json_parse")
    assert.strictEqual(Builtin.TextTransform.make().name, "text_transform")
  })
})
