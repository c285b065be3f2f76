/**
 * Every builtin tool is a row of the builtin table: it is listed by `openagents list-plugins` with its
 * config keys, its config is checked (required keys, unknown keys, wrong values at their JSON path), it
 * is built with `root` resolved against the config's folder, and it has a real name, description and
 * parameter schema for the model, and a truthful `durableIdempotent`.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Registry from "../../../src/config/Registry.js"
import type * as Tool from "../../../src/tools/Tool.js"
import { cli, useCli } from "../../support/cli.js"

/** Each new builtin: a config that builds it, its config keys, and whether it is idempotent. */
const NEW: Record<string, { readonly config: unknown; readonly keys: ReadonlyArray<string>; readonly idempotent: boolean }> = {
  read_file: { config: { root: "r" }, keys: ["root", "max_read_bytes", "timeout_ms"], idempotent: true },
  write_file: { config: { root: "r" }, keys: ["root", "max_write_bytes", "exactly_once_appends", "timeout_ms"], idempotent: true },
  list_files: { config: { root: "r" }, keys: ["root", "max_entries", "timeout_ms"], idempotent: true },
  delete_file: { config: { root: "r" }, keys: ["root", "timeout_ms"], idempotent: false },
  grep_files: { config: { root: "r" }, keys: ["root", "max_matches", "max_read_bytes", "timeout_ms"], idempotent: true },
  http_request: {
    config: {},
    keys: ["allowed_hosts", "allow_private", "allowed_methods", "max_response_bytes", "max_request_bytes", "timeout_ms"],
    idempotent: false
  },
  shell_exec: {
    config: { root: "r", allowed_commands: ["ls"] },
    keys: ["root", "allowed_commands", "env_passthrough", "timeout_ms", "capture_bytes"],
    idempotent: false
  },
  get_env: { config: { allowed_keys: ["HOME"] }, keys: ["allowed_keys", "timeout_ms"], idempotent: true },
  date_parse: { config: {}, keys: ["timeout_ms"], idempotent: true },
  date_diff: { config: {}, keys: ["timeout_ms"], idempotent: true },
  url_parse: { config: {}, keys: ["timeout_ms"], idempotent: true },
  url_build: { config: {}, keys: ["timeout_ms"], idempotent: true },
  query_param: { config: {}, keys: ["timeout_ms"], idempotent: true },
  host_lookup: { config: {}, keys: ["timeout_ms"], idempotent: true },
  uuid: { config: {}, keys: ["timeout_ms"], idempotent: true },
  random_int: { config: {}, keys: ["timeout_ms"], idempotent: true },
  random_choice: { config: {}, keys: ["timeout_ms"], idempotent: true },
  random_string: { config: {}, keys: ["timeout_ms"], idempotent: true },
  percentage: { config: {}, keys: ["timeout_ms"], idempotent: true },
  min_max: { config: {}, keys: ["timeout_ms"], idempotent: true },
  remember_preference: { config: { root: "r" }, keys: ["root", "file", "timeout_ms"], idempotent: true }
}

const where = "agents[0].tools[2]"
const build = (type: string, config: unknown, id = type) => Registry.buildTool(type, config, { dir: "/cfg", where, id })
const problems = (type: string, config: unknown) => {
  const result = build(type, config)
  if (Either.isRight(result)) return assert.fail(`expected ${type} ${JSON.stringify(config)} to be refused`)
  return result.left.issues.map((i) => `${i.path}: ${i.message}`)
}

describe("the builtin tools in the registry", () => {
  const harness = useCli("oa-tools-registry-")

  it("every Python SDK builtin but execute_command and set_env (and the search tools) is a row", () => {
    for (const type of Object.keys(NEW)) assert.include(Registry.typeNames("tool"), type)
    for (const type of ["execute_command", "set_env"]) assert.notInclude(Registry.typeNames("tool"), type)
  })

  for (const [type, spec] of Object.entries(NEW)) {
    it(`${type}: built from config, named by its id, described, with a parameter schema and its config keys`, () => {
      const tool: Tool.Tool = Either.getOrThrow(build(type, spec.config, `my_${type}`))
      assert.strictEqual(tool.name, `my_${type}`)
      assert.isAbove(tool.description.length, 30)
      assert.strictEqual(tool.durableIdempotent, spec.idempotent)
      const schema = tool.jsonSchema
      assert.strictEqual(schema["type"], "object")
      assert.strictEqual(schema["additionalProperties"], false)
      assert.isUndefined(schema["$ref"])
      const properties = schema["properties"] as Record<string, { description?: string }>
      assert.isAbove(Object.keys(properties).length, 0)
      for (const [name, property] of Object.entries(properties)) assert.isString(property.description, `${type}.${name}`)
      assert.deepStrictEqual(Registry.configKeys(Registry.get("tool", type)!.config).map((k) => k.name), spec.keys)
    })
  }

  it("required keys, unknown keys and wrong values are config errors at their JSON path", () => {
    assert.deepStrictEqual(problems("read_file", {}), [`${where}.config.root: required key is missing`])
    assert.deepStrictEqual(problems("shell_exec", { root: "." }), [`${where}.config.allowed_commands: required key is missing`])
    assert.strictEqual(problems("shell_exec", { root: ".", allowed_commands: [] }).length, 1)
    assert.deepStrictEqual(problems("get_env", {}), [`${where}.config.allowed_keys: required key is missing`])
    assert.match(problems("write_file", { root: ".", max_write_byte: 5 })[0]!, /config\.max_write_byte: unknown key \(did you mean 'max_write_bytes'\?\)/)
    assert.match(problems("http_request", { allowed_methods: ["TRACE"] })[0]!, /config\.allowed_methods\[0\]/)
    assert.match(problems("http_request", { allow_private: "yes" })[0]!, /config\.allow_private/)
    assert.match(problems("list_files", { root: ".", max_entries: 0 })[0]!, /config\.max_entries/)
  })

  it("openagents list-plugins lists every builtin tool with its config keys", async () => {
    assert.strictEqual(await cli("list-plugins"), 0)
    const out = harness.out.join("")
    for (const type of Object.keys(NEW)) assert.match(out, new RegExp(`^  ${type}\\s`, "m"), type)
    assert.match(out, /shell_exec .*\[config: root, allowed_commands, env_passthrough, timeout_ms, capture_bytes\]/)
    harness.out.length = 0
    assert.strictEqual(await cli("list-plugins", "--format", "json"), 0)
    const json = JSON.parse(harness.out.join("")) as { plugins: ReadonlyArray<{ seam: string; name: string }> }
    const tools = json.plugins.filter((p) => p.seam === "tool").map((p) => p.name)
    for (const type of Object.keys(NEW)) assert.include(tools, type)
  })

  it("the refusal of a path names the root resolved against the config's folder", async () => {
    const tool: Tool.Tool = Either.getOrThrow(Registry.buildTool("read_file", { root: "data" }, { dir: "/cfg", where, id: "read_file" }))
    const { Effect } = await import("effect")
    const { call, refusal } = await import("./support.js")
    const message = refusal(await Effect.runPromise(call(tool, { path: "../x" })))
    assert.include(message, `the root is "${path.resolve("/cfg", "data")}"`)
  })

  it("openagents run: a file tool's root is the config's folder, and a refusal is the tool's result", async () => {
    const dir = harness.dir()
    fs.mkdirSync(path.join(dir, "data"))
    fs.writeFileSync(path.join(dir, "data", "a.txt"), "hi\n")
    const cfg = path.join(dir, "agent.json")
    fs.writeFileSync(cfg, JSON.stringify({ agents: [{ id: "a", tools: [{ id: "read_file", type: "read_file", config: { root: "data" } }] }] }))
    assert.strictEqual(await cli("run", cfg, "--input", `/tool read_file {"path": "a.txt"}`), 0)
    assert.include(harness.out.join(""), `Tool[read_file] => {"path":"a.txt","content":"hi\\n","size":3,"truncated":false}`)
    harness.out.length = 0
    assert.strictEqual(await cli("run", cfg, "--input", `/tool read_file {"path": "../agent.json"}`), 0)
    assert.include(harness.out.join(""), `'..' is not allowed: paths must stay inside the root (the root is \\"${path.join(dir, "data")}\\")`)
  })
})
