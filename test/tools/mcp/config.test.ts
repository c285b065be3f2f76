import { assert, describe, it } from "@effect/vitest"
import Ajv from "ajv"
import * as fs from "node:fs"
import * as path from "node:path"
import * as ConfigLoader from "../../../src/config/ConfigLoader.js"
import * as Registry from "../../../src/config/Registry.js"
import { cli, useCli } from "../../support/cli.js"
import { SERVER } from "./support.js"

const { dir, out, err } = useCli("oa-mcp-cli-")

const withMcp = (config: unknown) => ({ agents: [{ id: "a", tools: [{ id: "files", type: "mcp", config }] }] })
const stdioConfig = { server: { command: process.execPath, args: [SERVER] } }

describe("the mcp tool type in the registry, the JSON Schema and the CLI", () => {
  it("is a builtin tool type with its config keys", () => {
    const row = Registry.list().find((r) => r.seam === "tool" && r.name === "mcp")
    assert.isDefined(row)
    assert.match(row!.description, /MCP server/)
    assert.deepStrictEqual(row!.configKeys.map((k) => [k.name, k.required]), [
      ["server", true],
      ["tools", false],
      ["connection_mode", false],
      ["idle_timeout_ms", false],
      ["timeout_ms", false]
    ])
  })

  it("the JSON Schema accepts stdio and HTTP servers and refuses what does not fit", () => {
    const validate = new Ajv.default({ strict: true, allErrors: true }).compile(ConfigLoader.jsonSchema())
    const ok = [
      stdioConfig,
      { server: { command: "npx", args: ["-y", "srv"], env: { A: "1" }, cwd: ".", env_passthrough: ["HOME"], init_timeout_ms: 5000 } },
      { server: { url: "http://127.0.0.1:3000/mcp", headers: { Authorization: "Bearer x" } }, tools: ["a"], connection_mode: "session" },
      { server: { url: "https://example.com/mcp" }, connection_mode: "pooled", idle_timeout_ms: 1000, timeout_ms: 100 }
    ]
    for (const config of ok) assert.isTrue(validate(withMcp(config)), JSON.stringify(validate.errors))
    const bad = [
      undefined,
      {},
      { server: {} },
      { server: { command: "x", url: "http://h/mcp" } },
      { server: { url: "ftp://h" } },
      { server: { command: "x" }, connection_mode: "always" },
      { server: { command: "x" }, tool: ["a"] }
    ]
    for (const config of bad) assert.isFalse(validate(withMcp(config)), JSON.stringify(config))
  })

  it("`openagents schema` and the committed schema include mcp; `list-plugins` lists it with its keys", async () => {
    assert.strictEqual(await cli("schema"), 0)
    const printed = JSON.parse(out.join(""))
    assert.deepStrictEqual(printed, JSON.parse(fs.readFileSync("schema/agent.schema.json", "utf8")))
    assert.include(JSON.stringify(printed.$defs.ToolRef), "\"const\":\"mcp\"")
    out.length = 0
    assert.strictEqual(await cli("list-plugins"), 0)
    assert.match(out.join(""), /mcp\s+The tools of an MCP server .*\[config: server, tools, connection_mode, idle_timeout_ms, timeout_ms\]/)
  })

  it("`openagents validate` checks the mcp config without starting the server", async () => {
    const file = (name: string, config: unknown) => {
      const p = path.join(dir(), name)
      fs.writeFileSync(p, JSON.stringify(config))
      return p
    }
    // a command that does not exist is no config error: validate does not start servers
    assert.strictEqual(await cli("validate", file("ok.json", withMcp({ server: { command: "oa-no-such-server" } }))), 0)
    assert.strictEqual(await cli("validate", file("bad.json", withMcp({ server: { command: "x" }, connection_mod: "session" }))), 2)
    assert.match(err.join(""), /agents\[0\]\.tools\[0\]\.config\.connection_mod: .*did you mean 'connection_mode'/)
    err.length = 0
    assert.strictEqual(await cli("validate", file("none.json", withMcp({ tools: ["a"] }))), 2)
    assert.match(err.join(""), /agents\[0\]\.tools\[0\]\.config\.server: required key is missing/)
    err.length = 0
    const both = withMcp({ server: { command: "x", url: "http://127.0.0.1:1/mcp" } })
    assert.strictEqual(await cli("validate", file("both.json", both)), 2)
    assert.match(err.join(""), /agents\[0\]\.tools\[0\]\.config\.server: takes `command` .* or `url` .*, not both/)
    err.length = 0
    const mixed = withMcp({ server: { url: "http://127.0.0.1:1/mcp", args: ["x"] } })
    assert.strictEqual(await cli("validate", file("mixed.json", mixed)), 2)
    assert.match(err.join(""), /`args` apply to a `command` server, not to a `url` one/)
  })
})
