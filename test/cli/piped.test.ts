/**
 * The bin as a user's shell runs it, with stdout and stderr piped: no ANSI codes, logs only on stderr,
 * a closed stdout ends quietly, input from stdin or a file, did-you-mean, a fast --version.
 */
import { assert, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const BIN = path.resolve("bin/openagents.js")
const ESC = "\u001b["

interface Ran {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

const run = (
  args: ReadonlyArray<string>,
  options: { readonly stdin?: string; readonly env?: Record<string, string>; readonly closeStdoutAfterFirstChunk?: boolean } = {}
) =>
  new Promise<Ran>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, FORCE_COLOR: "1", ...options.env }
    })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d
      // What `| head -1` does: read a little, then close the pipe while the writer goes on
      if (options.closeStdoutAfterFirstChunk) child.stdout.destroy()
    })
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
    if (options.stdin !== undefined) child.stdin.end(options.stdin)
    else child.stdin.end()
  })

const tmp = (name: string, content: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "oa-piped-"))
  const file = path.join(dir, name)
  fs.writeFileSync(file, content)
  return file
}

describe("openagents with piped stdout and stderr", () => {
  it("help has no ANSI codes in a pipe, even with FORCE_COLOR, and none under NO_COLOR", async () => {
    for (const args of [["--help"], ["run", "--help"], ["rnu"], ["run", "examples/assistant.json", "--format", "jsn", "--input", "x"]]) {
      const r = await run(args, { env: { NO_COLOR: "1" } })
      assert.notInclude(r.stdout + r.stderr, ESC, args.join(" "))
      assert.isAbove((r.stdout + r.stderr).length, 0)
    }
    const help = await run(["run", "--help"])
    assert.strictEqual(help.code, 0)
    assert.include(help.stdout, "--input-file")
    assert.notInclude(help.stdout, ESC)
    assert.include(help.stdout, "EXAMPLES\n\n  $ openagents run agent.json --input")
    const nested = await run(["sessions", "list", "--help"])
    assert.include(nested.stdout, "$ openagents sessions list agent.json --format json")
    // the usage line names the program and the whole command, as the user types it
    assert.match(help.stdout, /^\$ openagents run \[/m)
    assert.match(nested.stdout, /^\$ openagents sessions list \[--format/m)
  })

  it("a closed stdout (`| head -1`) ends the process quietly with exit 0", async () => {
    const config = tmp("big.json", JSON.stringify({ agents: [{ id: "a", llm: { script: [{ text: "line of text\n".repeat(100_000) }] } }] }))
    const r = await run(["run", config, "--input", "x"], { closeStdoutAfterFirstChunk: true })
    assert.strictEqual(r.code, 0, r.stderr)
    assert.strictEqual(r.stderr, "")
    assert.match(r.stdout, /^line/)
  })

  it("the input comes from stdin when it is piped, or from --input-file", async () => {
    const piped = await run(["run", "examples/assistant.json"], { stdin: "hello from a pipe\n" })
    assert.strictEqual(piped.code, 0, piped.stderr)
    assert.strictEqual(piped.stdout, "Echo: hello from a pipe (history=0)\n")

    const file = tmp("input.txt", "hello from a file\n")
    const fromFile = await run(["run", "examples/assistant.json", "--input-file", file])
    assert.strictEqual(fromFile.code, 0, fromFile.stderr)
    assert.strictEqual(fromFile.stdout, "Echo: hello from a file (history=0)\n")

    const dash = await run(["run", "examples/assistant.json", "--input-file", "-"], { stdin: "dash" })
    assert.strictEqual(dash.stdout, "Echo: dash (history=0)\n")

    const missing = await run(["run", "examples/assistant.json", "--input-file", file + ".missing"])
    assert.strictEqual(missing.code, 2)
    assert.include(missing.stderr, "not found")

    const none = await run(["run", "examples/assistant.json"], { stdin: "" })
    assert.strictEqual(none.code, 2)
    assert.include(none.stderr, "no input: pass --input TEXT, --input-file PATH, or pipe the message on stdin")

    const both = await run(["run", "examples/assistant.json", "--input", "a", "--input-file", file])
    assert.strictEqual(both.code, 2)
    assert.include(both.stderr, "not both")
  })

  it("did-you-mean for a mistyped command and a mistyped flag, exit 2", async () => {
    const command = await run(["rnu", "examples/assistant.json"])
    assert.strictEqual(command.code, 2)
    assert.include(command.stderr, "unknown command 'rnu'. Did you mean 'run'?")
    const nested = await run(["sessions", "lst", "examples/assistant.json"])
    assert.strictEqual(nested.code, 2)
    assert.include(nested.stderr, "unknown command 'lst'. Did you mean 'list'?")
    const flag = await run(["run", "examples/assistant.json", "--inptu", "hi"])
    assert.strictEqual(flag.code, 2)
    assert.include(flag.stderr, "unknown flag '--inptu'. Did you mean '--input'?")
    // A flag's value that looks like a flag is the value, not a mistake
    const value = await run(["run", "examples/assistant.json", "--input", "--inptu"])
    assert.strictEqual(value.code, 0, value.stderr)
    assert.strictEqual(value.stdout, "Echo: --inptu (history=0)\n")
  })

  it("--max-cost-usd on a model without a price warns on stderr; stdout has the answer only", async () => {
    const r = await run(["run", "examples/assistant.json", "--input", "hi", "--max-cost-usd", "0.5"])
    assert.strictEqual(r.code, 0, r.stderr)
    assert.strictEqual(r.stdout, "Echo: hi (history=0)\n")
    assert.match(r.stderr, /warning: --max-cost-usd 0.5 cannot be enforced: model 'mock' has no price/)
    assert.include(r.stderr, "llm.pricing")
  })

  it("a store's WARN log goes to stderr, so `--format json` stays JSON", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "oa-piped-"))
    const config = path.join(dir, "agent.json")
    fs.writeFileSync(config, JSON.stringify({ agents: [{ id: "a" }], session: { type: "jsonl_file", config: { root_dir: "./sessions" } } }))
    const first = await run(["run", config, "--input", "hi", "--session", "s1"])
    assert.strictEqual(first.code, 0, first.stderr)
    // A torn line, as a crash mid-write leaves it: the store skips it with a warning
    const files = fs.readdirSync(path.join(dir, "sessions"), { recursive: true }).map(String).filter((f) => f.endsWith(".jsonl"))
    assert.isAbove(files.length, 0)
    for (const f of files) fs.appendFileSync(path.join(dir, "sessions", f), "{\"torn\":")
    const r = await run(["run", config, "--input", "again", "--session", "s1", "--format", "json"])
    assert.strictEqual(r.code, 0, r.stderr)
    assert.strictEqual(JSON.parse(r.stdout).stopReason, "completed")
    assert.match(r.stderr, /WARN|Warning/i)
  })

  it("--version answers without loading the runtime; `version` names node too", async () => {
    const pkg = JSON.parse(fs.readFileSync("package.json", "utf8")) as { version: string }
    const fast = await run(["--version"])
    assert.strictEqual(fast.code, 0)
    assert.strictEqual(fast.stdout, pkg.version + "\n")
    const long = await run(["version"])
    assert.strictEqual(long.code, 0, long.stderr)
    assert.strictEqual(long.stdout, `openagents ${pkg.version} (node ${process.version}, ${process.platform}-${process.arch})\n`)
  })
})
