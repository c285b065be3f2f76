/**
 * Approvals across processes through the CLI: real child processes (the bin, through tsx). A run whose
 * tool call needs approval stops with `awaiting_approval` (exit 4) when nobody can be asked; the process
 * exits; another process approves (with edited arguments) or rejects, and the run goes on under its own
 * run id to its end, the tool running exactly once (it appends a line to a file per execution).
 */
import { assert, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const BIN = path.resolve("bin/openagents.js")
const toolModule = fileURLToPath(new URL("../support/durable-child.ts", import.meta.url))

interface Ran {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** The bin with stdin, stdout and stderr piped: no terminal to ask on. */
const openagents = (...args: ReadonlyArray<string>) =>
  new Promise<Ran>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
    child.stdin.end()
  })

const backends = [
  { name: "jsonl_file", session: { type: "jsonl_file", config: { root_dir: "./sessions" } } },
  { name: "sqlite", session: { type: "sqlite", config: { db_path: "./data/sessions.db" } } }
] as const

/** A config whose `write_note` (appends `<callId> <text>` to notes.txt) needs approval; `text` is editable. */
const setup = (session: Record<string, unknown>) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "oa-approvals-"))
  const notes = path.join(dir, "notes.txt")
  const config = path.join(dir, "agent.json")
  fs.writeFileSync(
    config,
    JSON.stringify({
      agents: [{
        id: "a",
        llm: { provider: "mock" },
        tools: [{
          id: "write_note",
          impl: `${path.relative(dir, toolModule).split(path.sep).join("/")}#writeNoteTool`,
          config: { notes },
          approval_mode: "always",
          editable_params: ["text"]
        }]
      }],
      session
    })
  )
  const lines = () => (fs.existsSync(notes) ? fs.readFileSync(notes, "utf8").trim().split("\n").filter((l) => l !== "") : [])
  return { config, lines, dir }
}

const input = `/tool write_note {"text": "hello"}`

for (const backend of backends) {
  describe(`approvals across processes (${backend.name})`, () => {
    it("stop with awaiting_approval (exit 4), list, approve with edited arguments in a new process: the run completes, the tool ran once", async () => {
      const { config, lines } = setup(backend.session)
      const stopped = await openagents("run", config, "--input", input, "--session", "s1", "--format", "json")
      assert.strictEqual(stopped.code, 4, stopped.stderr)
      const first = JSON.parse(stopped.stdout)
      assert.strictEqual(first.stopReason, "awaiting_approval")
      assert.strictEqual(first.pendingApprovals.length, 1)
      const { callId, runId } = first.pendingApprovals[0]
      assert.strictEqual(runId, first.runId)
      assert.deepStrictEqual(first.pendingApprovals[0].arguments, { text: "hello" })
      assert.deepStrictEqual(first.pendingApprovals[0].editableParams, ["text"])
      assert.include(stopped.stderr, `openagents approve CONFIG --session s1 --call ${callId}`)
      assert.deepStrictEqual(lines(), [])

      const listed = await openagents("approvals", "list", config, "--format", "json")
      assert.strictEqual(listed.code, 0, listed.stderr)
      const pending = JSON.parse(listed.stdout)
      assert.deepStrictEqual(pending.map((p: any) => [p.sessionId, p.runId, p.callId, p.tool]), [["s1", runId, callId, "write_note"]])
      const text = await openagents("approvals", "list", config, "--session", "s1")
      assert.include(text.stdout, `call ${callId}  write_note {"text":"hello"}  (editable: text)`)

      // an edit outside editable_params is refused; the call stays pending
      const refused = await openagents("approve", config, "--session", "s1", "--call", callId, "--arguments", `{"other": 1}`)
      assert.strictEqual(refused.code, 2)
      assert.include(refused.stderr, "'other'")
      assert.include(refused.stderr, "cannot be edited")
      assert.deepStrictEqual(lines(), [])

      const approved = await openagents(
        "approve", config, "--session", "s1", "--call", callId, "--arguments", `{"text": "edited"}`, "--format", "json"
      )
      assert.strictEqual(approved.code, 0, approved.stderr)
      const result = JSON.parse(approved.stdout)
      assert.strictEqual(result.runId, runId)
      assert.strictEqual(result.stopReason, "completed")
      assert.include(result.finalOutput, "edited")
      assert.deepStrictEqual(lines(), [`${callId} edited`])

      const after = await openagents("approvals", "list", config, "--format", "json")
      assert.deepStrictEqual(JSON.parse(after.stdout), [])
      const again = await openagents("approve", config, "--session", "s1", "--call", callId)
      assert.strictEqual(again.code, 2)
      assert.deepStrictEqual(lines(), [`${callId} edited`])
    }, 180_000)

    it("reject in a new process: the model is told, the run completes, the tool never ran", async () => {
      const { config, lines } = setup(backend.session)
      const stopped = await openagents("run", config, "--input", input, "--session", "s2", "--no-wait-approval")
      assert.strictEqual(stopped.code, 4, stopped.stderr)
      assert.include(stopped.stderr, "awaiting_approval")
      const listed = JSON.parse((await openagents("approvals", "list", config, "--session", "s2", "--format", "json")).stdout)
      const { callId, runId } = listed[0]
      const rejected = await openagents("reject", config, "--session", "s2", "--call", callId, "--reason", "not today", "--format", "json")
      assert.strictEqual(rejected.code, 0, rejected.stderr)
      const result = JSON.parse(rejected.stdout)
      assert.strictEqual(result.runId, runId)
      assert.strictEqual(result.stopReason, "completed")
      assert.include(result.finalOutput, "rejected by the approver: not today")
      assert.deepStrictEqual(lines(), [])
    }, 180_000)
  })
}
