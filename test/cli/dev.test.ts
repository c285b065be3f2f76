/**
 * `openagents dev`: the config file is watched; a saved change reloads the agents and says which
 * changed, a broken edit is reported and the previous config goes on answering, a fixed one reloads.
 */
import { afterEach, assert, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const BIN = path.resolve("bin/openagents.js")

const agent = (id: string, text: string) => ({ id, llm: { script: [{ text }] } })

const children: Array<ReturnType<typeof spawn>> = []
// a test that fails mid-way leaves no dev process behind
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL")
})

/** `openagents dev FILE`: its output so far, its exit, and `until` (waits for output to match, 30 s at most). */
const dev = (file: string) => {
  const child = spawn(process.execPath, [BIN, "dev", file, "--poll-ms", "50"], { stdio: ["pipe", "pipe", "pipe"] })
  children.push(child)
  let out = ""
  let err = ""
  child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d))
  child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d))
  const exit = new Promise<number | null>((resolve) => child.on("close", resolve))
  const until = async (read: () => string, re: RegExp) => {
    const deadline = Date.now() + 30_000
    while (!re.test(read())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(re)}\nstdout: ${out}\nstderr: ${err}`)
      await new Promise((r) => setTimeout(r, 20))
    }
  }
  return { child, exit, until, stdout: () => out, stderr: () => err }
}

describe("openagents dev", () => {
  it("reloads on a change, reports a bad edit without exiting, answers with the config in force", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "oa-dev-"))
    const file = path.join(dir, "agent.json")
    const save = (config: unknown) => fs.writeFileSync(file, typeof config === "string" ? config : JSON.stringify(config))
    save({ agents: [agent("a", "first")] })

    const { child, exit, until, stdout, stderr } = dev(file)

    await until(stderr, /\[dev\] watching agent\.json/)
    child.stdin.write("hi\n")
    await until(stdout, /^first\n$/)

    // a change to the agent: reloaded, and the next turn gets the new script
    save({ agents: [agent("a", "second"), agent("b", "other")] })
    await until(stderr, /\[dev\] reloaded agent\.json: changed a; added b/)
    child.stdin.write("/reset\nhi\n")
    await until(stdout, /\nsecond\n$/)

    // a broken edit: reported with the problem, the process goes on with the config in force
    save(`{"agents": [{"id": "a", "llm": {"script": [{"text": "third"}]}`)
    await until(stderr, /\[dev\] not reloaded, still running the previous config:\n.*(JSON|json)/)
    save({ agents: [{ id: "a", pattern: { type: "nope" } }] })
    await until(stderr, /agents\[0\]\.pattern/)
    child.stdin.write("/reset\nhi\n")
    await until(stdout, /\nsecond\n.*\nsecond\n$/s)

    // fixed: reloaded again
    save({ agents: [agent("a", "third")] })
    await until(stderr, /\[dev\] reloaded agent\.json: changed a; removed b/)
    child.stdin.write("/reset\nhi\n")
    await until(stdout, /\nthird\n$/)
    child.stdin.end()
    assert.strictEqual(await exit, 0, stderr())
    assert.notInclude(stdout() + stderr(), "\u001b[")
  })

  it("a config that cannot start is reported, and dev waits for a fix instead of exiting", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "oa-dev-"))
    const file = path.join(dir, "agent.json")
    fs.writeFileSync(file, `{"agents": [`)
    const { child, exit, until, stdout, stderr } = dev(file)
    await until(stderr, /Invalid config .*agent\.json[\s\S]*\[dev\] waiting for agent\.json to change/)
    fs.writeFileSync(file, JSON.stringify({ agents: [agent("a", "fixed")] }))
    await until(stderr, /\[dev\] watching agent\.json/)
    child.stdin.end("hi\n")
    assert.strictEqual(await exit, 0, stderr())
    assert.strictEqual(stdout(), "fixed\n")
  })
})
