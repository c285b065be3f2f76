import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Plugins from "../../src/config/Plugins.js"
import * as Builtins from "../../src/config/Registry.js"

describe("Registry", () => {
  it("lists the builtin names of every seam", () => {
    assert.deepStrictEqual(Builtins.typeNames("memory"), ["window_buffer", "buffer", "chain", "markdown_memory"])
    assert.deepStrictEqual(Builtins.typeNames("pattern"), ["react"])
    assert.deepStrictEqual(Builtins.typeNames("tool"), ["calc", "current_time", "json_parse", "text_transform"])
    assert.deepStrictEqual(Builtins.typeNames("tool_executor"), ["default"])
    assert.deepStrictEqual(Builtins.typeNames("context_assembler"), [
      "passthrough",
      "truncating",
      "sliding_window",
      "head_tail",
      "importance_weighted"
    ])
    assert.deepStrictEqual(Builtins.typeNames("session"), ["in_memory", "jsonl_file", "sqlite"])
    assert.deepStrictEqual(Builtins.typeNames("events"), ["async"])
    assert.deepStrictEqual(Builtins.typeNames("skills"), ["none", "local"])
    assert.deepStrictEqual(Builtins.typeNames("runtime"), ["default"])
    assert.deepStrictEqual(Builtins.providerNames, ["mock", "anthropic", "openai", "openai_compatible"])
  })

  it("gives every entry a one-line description and its config keys", () => {
    const rows = Builtins.list()
    assert.strictEqual(rows.length, 22)
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

  it.effect("builds every builtin of every seam from an empty config (the runtime has nothing to build)", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "oa-registry-"))
      try {
        for (const seam of Builtins.seams) {
          for (const type of Builtins.typeNames(seam)) {
            const config = type === "jsonl_file"
              ? { root_dir: "s" }
              : type === "sqlite"
              ? { db_path: "s.db" }
              : type === "chain"
              ? { memories: [{ type: "window_buffer" }] }
              : type === "markdown_memory"
              ? { memory_dir: "memory" }
              : type === "local"
              ? { root: "skills" }
              : undefined
            if (type === "local") fs.mkdirSync(path.join(dir, "skills"))
            const built = Builtins.build(seam, type, config, { dir, where: seam, id: "t" })
            assert.isTrue(Either.isRight(built), `${seam} ${type}`)
            const value = Either.getOrThrow(built)
            if (Layer.isLayer(value)) yield* Effect.scoped(Layer.build(value as Layer.Layer<unknown, unknown>))
          }
        }
        assert.isTrue(fs.existsSync(path.join(dir, "s")), "jsonl_file's root_dir is resolved against dir")
      } finally {
        fs.rmSync(dir, { recursive: true, force: true })
      }
    }))

  it("a config made in code, not by the loader, is still decoded by its type's Schema, problems at their paths", () => {
    const missing = Builtins.build("session", "jsonl_file", {}, { dir: ".", where: "session", id: "" })
    assert.deepStrictEqual(
      Either.getLeft(missing).pipe((o) => (o._tag === "Some" ? o.value.issues.map((i) => `${i.path}: ${i.message}`) : [])),
      ["session.config.root_dir: required key is missing"]
    )
    const bad = Builtins.build("memory", "window_buffer", { window_size: 0, window_sise: 1 }, { dir: ".", where: "agents[0].memory", id: "" })
    assert.deepStrictEqual(
      Either.getLeft(bad).pipe((o) => (o._tag === "Some" ? o.value.issues.map((i) => `${i.path}: ${i.message}`) : [])),
      [
        "agents[0].memory.config.window_sise: unknown key (did you mean 'window_size'?)",
        "agents[0].memory.config.window_size: must be a positive integer (got 0)"
      ]
    )
  })

  it.effect("Plugins.servicesLayer builds from the registry: a bad session config fails at its path", () =>
    Effect.gen(function*() {
      const config = { session: { type: "sqlite", config: { db_path: 5 } }, events: { type: "async", config: {} }, skills: { type: "none", config: {} } }
      const error = yield* Effect.flip(
        Effect.scoped(Layer.build(Plugins.servicesLayer(config as unknown as Parameters<typeof Plugins.servicesLayer>[0], ".")))
      )
      assert.strictEqual(error._tag, "ConfigError")
      assert.match(error.issues[0]!.path, /^session\.config\.db_path$/)
    }))
})
