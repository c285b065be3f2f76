/**
 * `openagents run` on a real terminal (util-linux `script`) asks about a call that needs approval on
 * stderr and reads the answer from stdin: here an edit of the editable argument, typed ahead.
 */
import { assert, describe, it } from "@effect/vitest"
import { execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const BIN = path.resolve("bin/openagents.js")

const hasScript = (() => {
  try {
    execFileSync("script", ["-qfc", "true", "/dev/null"], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
})()

const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`

describe.skipIf(!hasScript)("approvals on a terminal", () => {
  it("run asks, the answer edits the arguments, the call runs with them", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "oa-approvals-tty-"))
    const config = path.join(dir, "agent.json")
    fs.writeFileSync(
      config,
      JSON.stringify({
        agents: [{
          id: "a",
          llm: { provider: "mock" },
          tools: [{ id: "calc", type: "calc", approval_mode: "always", editable_params: ["expression"] }]
        }]
      })
    )
    const command = [process.execPath, BIN, "run", config, "--input", `/tool calc {"expression": "6*7"}`].map(quote).join(" ")
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const child = spawn("script", ["-qfc", command, "/dev/null"], { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env } })
      let output = ""
      child.stdout.setEncoding("utf8").on("data", (d: string) => (output += d))
      child.on("error", reject)
      child.on("close", (code) => resolve({ code, output }))
      // typed ahead: the answers are queued until their questions come
      child.stdin.write(`e\n{"expression": "2+3"}\n`)
      const end = setTimeout(() => child.stdin.end(), 120_000)
      child.on("close", () => clearTimeout(end))
    })
    assert.strictEqual(code, 0, output)
    assert.include(output, `? tool 'calc'`)
    assert.include(output, "editable: expression")
    assert.include(output, `Tool[calc] => {"expression":"2+3","result":5}`)
  }, 150_000)
})
