import { assert, describe, it } from "@effect/vitest"
import * as Schema from "effect/Schema"
import * as Builtins from "../../src/config/BuiltinTypes.js"

describe("BuiltinTypes", () => {
  it("lists the builtin names of every seam", () => {
    assert.deepStrictEqual(Builtins.typeNames("memory"), ["window_buffer", "buffer"])
    assert.deepStrictEqual(Builtins.typeNames("pattern"), ["react"])
    assert.deepStrictEqual(Builtins.typeNames("tool"), ["calc", "current_time", "json_parse", "text_transform"])
    assert.deepStrictEqual(Builtins.typeNames("tool_executor"), ["default"])
    assert.deepStrictEqual(Builtins.typeNames("context_assembler"), ["passthrough"])
    assert.deepStrictEqual(Builtins.typeNames("session"), ["in_memory", "jsonl_file", "sqlite"])
    assert.deepStrictEqual(Builtins.typeNames("events"), ["async"])
    assert.deepStrictEqual(Builtins.typeNames("skills"), ["none"])
    assert.deepStrictEqual(Builtins.typeNames("runtime"), ["default"])
    assert.deepStrictEqual(Builtins.providerNames, ["mock", "anthropic", "openai", "openai_compatible"])
  })

  it("gives every entry a one-line description and its config keys", () => {
    const rows = Builtins.list()
    assert.strictEqual(rows.length, 15)
    for (const row of rows) {
      assert.isAbove(row.description.length, 0)
      assert.notInclude(row.description, "\n")
    }
    const sqlite = rows.find((r) => r.seam === "session" && r.name === "sqlite")!
    assert.deepStrictEqual(sqlite.configKeys.map((k) => [k.name, k.required]), [
      ["db_path", true],
      ["busy_timeout_ms", false],
      ["lock_timeout_ms", false]
    ])
    const window = rows.find((r) => r.name === "window_buffer")!
    assert.deepStrictEqual(window.configKeys.map((k) => k.name), ["window_size", "state_key"])
    assert.include(window.configKeys[0]!.description ?? "", "default 20")
  })

  it("looks builtins up by seam and name", () => {
    assert.isDefined(Builtins.get("tool", "calc"))
    assert.isUndefined(Builtins.get("tool", "toString"))
    assert.isUndefined(Builtins.get("pattern", "calc"))
  })

  it("decodes builtin config with defaults", () => {
    assert.deepStrictEqual(Schema.decodeUnknownSync(Builtins.WindowBufferConfig)({}), { window_size: 20 })
  })
})
