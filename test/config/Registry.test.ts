import { afterAll, assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Plugins from "../../src/config/Plugins.js"
import * as Builtins from "../../src/config/Registry.js"
import { dropSchemas, freshSchema, pgUrl } from "../support/sessions-postgres.js"

// the postgres session store is built on a schema of its own, dropped after the file
afterAll(() => Effect.runPromise(dropSchemas))

describe("Registry", () => {
  it("lists the builtin names of every seam", () => {
    assert.deepStrictEqual(Builtins.typeNames("memory"), ["window_buffer", "buffer", "experiences", "chain", "markdown_memory"])
    assert.deepStrictEqual(Builtins.typeNames("pattern"), ["react", "plan_execute", "reflexion", "router"])
    assert.deepStrictEqual(Builtins.typeNames("tool"), [
      "calc",
      "current_time",
      "json_parse",
      "text_transform",
      "read_file",
      "write_file",
      "list_files",
      "delete_file",
      "grep_files",
      "http_request",
      "shell_exec",
      "get_env",
      "date_parse",
      "date_diff",
      "url_parse",
      "url_build",
      "query_param",
      "host_lookup",
      "uuid",
      "random_int",
      "random_choice",
      "random_string",
      "percentage",
      "min_max",
      "remember_preference",
      "mcp",
      "agent",
      "handoff"
    ])
    assert.deepStrictEqual(Builtins.typeNames("tool_executor"), ["default", "retry", "policy", "hooks"])
    assert.deepStrictEqual(Builtins.typeNames("context_assembler"), [
      "passthrough",
      "truncating",
      "sliding_window",
      "head_tail",
      "importance_weighted"
    ])
    assert.deepStrictEqual(Builtins.typeNames("session"), ["in_memory", "jsonl_file", "sqlite", "postgres"])
    assert.deepStrictEqual(Builtins.typeNames("events"), ["async", "file_logging"])
    assert.deepStrictEqual(Builtins.typeNames("skills"), ["none", "local"])
    assert.deepStrictEqual(Builtins.typeNames("runtime"), ["default"])
    assert.deepStrictEqual(Builtins.providerNames, ["mock", "anthropic", "openai", "openai_compatible"])
  })

  it("gives every entry a one-line description and its config keys", () => {
    const rows = Builtins.list()
    // one row for each builtin of each seam, none twice
    assert.strictEqual(rows.length, Builtins.seams.reduce((n, seam) => n + Builtins.typeNames(seam).length, 0))
    assert.strictEqual(new Set(rows.map((r) => `${r.seam}/${r.name}`)).size, rows.length)
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

  it("lists the tool executors with their config keys", () => {
    const rows = Builtins.list().filter((r) => r.seam === "tool_executor")
    assert.deepStrictEqual(rows.map((r) => r.name), ["default", "retry", "policy", "hooks"])
    const keys = (name: string) => rows.find((r) => r.name === name)!.configKeys.map((k) => k.name)
    assert.deepStrictEqual(keys("retry"), ["max_attempts", "initial_delay_ms", "backoff_multiplier", "max_delay_ms", "jitter", "retry_timeouts"])
    assert.includeMembers(keys("policy"), ["allow_tools", "deny_tools", "fs_roots", "path_args", "allow_hosts", "allow_private", "allow_commands", "evaluate"])
    assert.deepStrictEqual(keys("hooks"), ["before", "after"])
    for (const row of rows) for (const key of row.configKeys) assert.isDefined(key.description, `${row.name}.${key.name}`)
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
            // the builtins with required keys
            const required: Record<string, unknown> = {
              jsonl_file: { root_dir: "s" },
              sqlite: { db_path: "s.db" },
              postgres: { url: pgUrl, schema: freshSchema() },
              shell_exec: { root: ".", allowed_commands: ["echo"] },
              get_env: { allowed_keys: ["HOME"] },
              mcp: { server: { command: process.execPath, args: [path.resolve("test/fixtures/mcp/server.mjs")] } },
              chain: { memories: [{ type: "window_buffer" }] },
              markdown_memory: { memory_dir: "memory" },
              local: { root: "skills" },
              agent: { agent: "other" },
              handoff: { agent: "other" },
              router: { routes: [{ agent: "other", description: "does it all" }] },
              file_logging: { log_path: "events.jsonl" }
            }
            const config = required[type] ??
              (["read_file", "write_file", "list_files", "delete_file", "grep_files", "remember_preference"].includes(type)
                ? { root: "." }
                : undefined)
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
