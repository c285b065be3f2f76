/**
 * The bin in a real pseudo-terminal (util-linux `script`): the live status line and the tool lines on a
 * terminal, none of it under NO_COLOR or in a pipe.
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

/** Runs the bin under `script`, whose output is everything the terminal received. */
const inPty = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const command = [process.execPath, BIN, ...args].map(quote).join(" ")
    const child = spawn("script", ["-qfc", command, "/dev/null"], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...env }
    })
    let output = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => (output += d))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, output }))
  })

const config = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "oa-tty-"))
  const file = path.join(dir, "agent.json")
  fs.writeFileSync(
    file,
    JSON.stringify({
      agents: [{
        id: "a",
        tools: [{ id: "calc", type: "calc" }],
        llm: {
          script: [
            { delay_ms: 500, tool_calls: [{ name: "calc", arguments: { expression: "6*7" } }] },
            { delay_ms: 300, text: "The answer is 42." }
          ]
        }
      }]
    })
  )
  return file
}

describe.skipIf(!hasScript)("openagents run in a pseudo-terminal", () => {
  it("shows the model call with its elapsed time, the tool running, a line per tool call, then clears", async () => {
    const { code, output } = await inPty(["run", config(), "--input", "hi"], { NO_COLOR: "" })
    assert.strictEqual(code, 0, output)
    assert.match(output, /model mock \(step 1\) 0\.\ds/)
    assert.include(output, "tool calc")
    assert.match(output, /✓\u001b\[0m calc .*"result":42/)
    assert.include(output, "model mock (step 2)")
    assert.include(output, "\r\u001b[2K")
    // the answer is on a line of its own, not mixed with a status line
    assert.match(output, /\r\u001b\[2KThe answer is 42\.\r?\n/)
  })

  it("nothing of it under NO_COLOR: the terminal gets the answer only", async () => {
    const { code, output } = await inPty(["run", config(), "--input", "hi"], { NO_COLOR: "1" })
    assert.strictEqual(code, 0, output)
    assert.notInclude(output, "\u001b")
    assert.strictEqual(output.replace(/\r/g, ""), "The answer is 42.\n")
  })

  it("nothing of it when stdout is a pipe", async () => {
    const child = spawn(process.execPath, [BIN, "run", config(), "--input", "hi"], { stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve))
    assert.strictEqual(code, 0, stderr)
    assert.strictEqual(stdout, "The answer is 42.\n")
    assert.strictEqual(stderr, "")
  })
})
