/**
 * `openagents chat` as a user meets it: in a real pseudo-terminal (util-linux `script`) with a prompt,
 * slash commands and Ctrl-C, and with stdin and stdout piped, where it is a plain line filter.
 */
import { assert, describe, it } from "@effect/vitest"
import { execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const BIN = path.resolve("bin/openagents.js")
const ESC = "\u001b["

const hasScript = (() => {
  try {
    execFileSync("script", ["-qfc", "true", "/dev/null"], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
})()

const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`

/** A config whose mock answers "one", then takes 20 s to answer "two" (to be cancelled), then "three". */
const config = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "oa-chat-"))
  const file = path.join(dir, "agent.json")
  fs.writeFileSync(
    file,
    JSON.stringify({
      agents: [{
        id: "a",
        tools: [{ id: "calc", type: "calc" }, { id: "text_transform", type: "text_transform" }],
        llm: { script: [{ text: "one" }, { delay_ms: 20_000, text: "two" }, { text: "three" }] }
      }]
    })
  )
  return file
}

interface Session {
  readonly output: () => string
  readonly stderr: () => string
  readonly send: (text: string) => void
  readonly signal: (name: NodeJS.Signals) => void
  readonly end: () => void
  /**
   * Waits until `re` matches the output after `from` (or stderr), else fails; resolves with the
   * position after the match, for the next wait.
   */
  readonly until: (re: RegExp, from?: number, timeoutMs?: number) => Promise<number>
  readonly exit: Promise<number | null>
}

const start = (command: string, args: ReadonlyArray<string>, env: Record<string, string> = {}): Session => {
  const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, ...env } })
  let output = ""
  let stderr = ""
  child.stdout.setEncoding("utf8").on("data", (d: string) => (output += d))
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
  const exit = new Promise<number | null>((resolve) => child.on("close", resolve))
  return {
    output: () => output,
    stderr: () => stderr,
    send: (text) => void child.stdin.write(text),
    signal: (name) => void child.kill(name),
    end: () => void child.stdin.end(),
    exit,
    until: async (re, from = 0, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs
      while (Date.now() < deadline) {
        const m = re.exec(output.slice(from))
        if (m) return from + m.index + m[0].length
        if (re.test(stderr)) return output.length
        await new Promise((r) => setTimeout(r, 20))
      }
      throw new Error(`timed out waiting for ${String(re)}\n--- output ---\n${JSON.stringify(output)}\n--- stderr ---\n${stderr}`)
    }
  }
}

/** The prompt as readline draws it on a terminal, in colour. */
const PROMPT = /\u001b\[1m>\u001b\[0m \S*$/

describe.skipIf(!hasScript)("openagents chat in a pseudo-terminal", () => {
  it("prompt, /tools, a streamed answer, Ctrl-C cancels the slow run and the REPL goes on, /reset, /context, Ctrl-C twice leaves", async () => {
    const command = [process.execPath, BIN, "chat", config()].map(quote).join(" ")
    const s = start("script", ["-qfc", command, "/dev/null"], { NO_COLOR: "" })
    let seen = await s.until(/session cli-chat-[0-9a-f]{8}; \/help for commands/)
    seen = await s.until(PROMPT, 0)

    s.send("/tools\r")
    seen = await s.until(/ {2}calc\r\n {2}text_transform\r\n/, seen)
    s.send("hi\r")
    seen = await s.until(/one\r\n/, seen)

    // the second answer takes 20 s: the status line shows the model call, Ctrl-C cancels it
    s.send("go slow\r")
    seen = await s.until(/model mock \(step 1\) \d+\.\ds/, seen)
    s.send("\u0003")
    seen = await s.until(/\(cancelled\)/, seen)
    await s.until(PROMPT, seen)

    s.send("/reset\r")
    seen = await s.until(/new session cli-chat-[0-9a-f]{8}/, seen)
    s.send("hi again\r")
    seen = await s.until(/one\r\n/, seen)
    s.send("/context\r")
    seen = await s.until(/2 messages\r\n {2}user: hi again\r\n {2}assistant: one/, seen)

    // at the prompt, a first Ctrl-C says how to leave, a second one leaves
    s.send("\u0003")
    seen = await s.until(/Ctrl-C again or \/exit to leave/, seen)
    s.send("\u0003")
    assert.strictEqual(await s.exit, 0, s.output())
    assert.notInclude(s.output(), "two", "the cancelled answer never arrived")
  })

  it("/help lists the commands, a mistyped command gets a did-you-mean, /exit leaves with exit 0", async () => {
    const command = [process.execPath, BIN, "chat", config()].map(quote).join(" ")
    const s = start("script", ["-qfc", command, "/dev/null"], { NO_COLOR: "" })
    let seen = await s.until(PROMPT)
    s.send("/help\r")
    seen = await s.until(/\/context .*\r\n.*\/reset .*\r\n.*\/exit/, seen)
    s.send("/tols\r")
    seen = await s.until(/unknown command '\/tols'\. Did you mean '\/tools'\?/, seen)
    s.send("/exit\r")
    assert.strictEqual(await s.exit, 0, s.output())
  })
})

describe("openagents chat with stdin and stdout piped", () => {
  it("one answer per line, slash commands, no prompt and no ANSI codes; the end of stdin leaves", async () => {
    const s = start(process.execPath, [BIN, "chat", config()], { FORCE_COLOR: "1" })
    s.send("hi\n/tools\n/context\n/reset\n/tool calc {\"expression\": \"6*7\"}\n")
    s.end()
    assert.strictEqual(await s.exit, 0, s.stderr())
    const lines = s.output().trimEnd().split("\n")
    assert.strictEqual(lines[0], "one")
    assert.deepStrictEqual(lines.slice(1, 3), ["  calc", "  text_transform"])
    assert.match(lines[3]!, /^session cli-chat-[0-9a-f]{8}, agent a: 2 messages$/)
    assert.match(lines[6]!, /^new session cli-chat-[0-9a-f]{8}$/)
    // a line with words after a slash word is a message: the mock's tool syntax reaches the model
    assert.strictEqual(lines[7], "one")
    assert.notInclude(s.output() + s.stderr(), ESC)
    assert.strictEqual(s.stderr(), "")
  })

  it("SIGINT during a run cancels it and the next line is answered; --session continues a session", async () => {
    const file = config()
    const s = start(process.execPath, [BIN, "chat", file, "--session", "s1"])
    s.send("hi\n")
    await s.until(/^one\n/)
    s.send("go slow\n")
    // the run is in flight once its session holds the user's message; give it a moment to start
    await new Promise((r) => setTimeout(r, 1500))
    s.signal("SIGINT")
    await s.until(/\(cancelled\)/)
    s.send("/context\n")
    s.end()
    assert.strictEqual(await s.exit, 0, s.stderr())
    assert.match(s.output(), /^one\nsession s1, agent a: \d+ messages/)
    assert.notInclude(s.output(), "two")
    assert.notInclude(s.output() + s.stderr(), ESC)
  })

  it("a bad config is exit 2 with its problems; an unknown agent is exit 2", async () => {
    const bad = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "oa-chat-")), "bad.json")
    fs.writeFileSync(bad, JSON.stringify({ agents: [{ id: "a", pattern: { type: "nope" } }] }))
    const s = start(process.execPath, [BIN, "chat", bad])
    s.end()
    assert.strictEqual(await s.exit, 2)
    assert.include(s.stderr(), "agents[0].pattern")
    const t = start(process.execPath, [BIN, "chat", config(), "--agent", "zz"])
    t.end()
    assert.strictEqual(await t.exit, 2)
    assert.include(t.stderr(), "no agent 'zz'")
  })
})
