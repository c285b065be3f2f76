import { assert, describe, it } from "@effect/vitest"
import { vi } from "vitest"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Mcp from "../../../src/tools/mcp/Mcp.js"
import { stdio } from "./support.js"

// the SDK as if it were not installed
vi.mock("@modelcontextprotocol/sdk/client/index.js", () => {
  throw new Error("Cannot find package '@modelcontextprotocol/sdk' imported from openagents")
})

describe("the MCP SDK is an optional peer dependency", () => {
  it.scoped("its absence is a ConfigError naming the package to install", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Mcp.tools({ id: "files", server: stdio(), where: "agents[0].tools[0]" }))
      assert.strictEqual(error._tag, "ConfigError")
      assert.strictEqual(error.issues[0]!.path, "agents[0].tools[0].type")
      assert.match(error.message, /the mcp tool needs the @modelcontextprotocol\/sdk package/)
      assert.strictEqual(error.hint, "install it: npm install @modelcontextprotocol/sdk")
    }))

  it("is imported by nothing but a dynamic import (src/ names it only in `import type` otherwise)", () => {
    const files = fs.readdirSync("src", { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"))
    const offenders = files.flatMap((file) => {
      const text = fs.readFileSync(path.join("src", file), "utf8")
      return text.split("\n")
        .filter((line) => /from "@modelcontextprotocol\//.test(line) && !/^\s*import type /.test(line))
        .map((line) => `${file}: ${line.trim()}`)
    })
    assert.deepStrictEqual(offenders, [])
    const dynamic = files.filter((file) => /import\("@modelcontextprotocol\//.test(fs.readFileSync(path.join("src", file), "utf8")))
    assert.deepStrictEqual(dynamic, [path.join("tools", "mcp", "internal", "sdk.ts")])
  })
})
