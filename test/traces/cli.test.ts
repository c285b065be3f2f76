/**
 * `openagents traces list|show`, `feedback` and `experiences list|delete`, as real child processes on a
 * config whose sessions (and so traces and experiences) are in one SQLite file.
 */
import { assert, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const MAIN = path.resolve("src/cli/main.ts")

const openagents = (...args: ReadonlyArray<string>) =>
  new Promise<{ readonly code: number | null; readonly stdout: string; readonly stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

const RULE = "Say which expression you computed"

describe("CLI: traces, feedback, experiences", () => {
  it("records, shows, learns from feedback and forgets, across processes", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "oa-traces-cli-"))
    try {
      const config = path.join(dir, "agent.json")
      fs.writeFileSync(config, JSON.stringify({
        agents: [{ id: "calc-agent", instructions: "You compute.", memory: { type: "experiences" }, tools: [{ id: "calc", type: "calc" }] }],
        session: { type: "sqlite", config: { db_path: "agent.db" } }
      }))
      const first = await openagents("run", config, "--session", "s1", "--format", "json", "--input", `/tool calc {"expression": "6*7"}`)
      assert.strictEqual(first.code, 0, first.stderr)
      const runId = JSON.parse(first.stdout).runId as string
      assert.strictEqual(JSON.parse(first.stdout).traceId, runId)

      const listed = await openagents("traces", "list", config, "--agent", "calc-agent", "--format", "json")
      assert.strictEqual(listed.code, 0, listed.stderr)
      assert.deepStrictEqual(JSON.parse(listed.stdout).map((t: { traceId: string }) => t.traceId), [runId])
      const none = await openagents("traces", "list", config, "--session", "other")
      assert.strictEqual(none.code, 0)
      assert.include(none.stdout, "no traces")

      const shown = await openagents("traces", "show", config, runId, "--format", "json")
      assert.strictEqual(shown.code, 0, shown.stderr)
      const trace = JSON.parse(shown.stdout)
      assert.strictEqual(trace.traceId, runId)
      assert.deepStrictEqual(trace.steps.map((s: { type: string }) => s.type), ["llm_call", "tool_call", "llm_call", "conclusion"])
      assert.deepStrictEqual(Object.keys(trace.steps[1]).slice(0, 5), ["stepId", "type", "sequence", "parentIds", "data"])
      assert.deepStrictEqual(trace.steps[1].parentIds, [trace.steps[0].stepId])
      assert.strictEqual(trace.steps[1].data.tool, "calc")
      const tree = await openagents("traces", "show", config, runId)
      assert.strictEqual(tree.code, 0, tree.stderr)
      const lines = tree.stdout.split("\n")
      assert.match(lines.find((l) => l.includes("tool_call"))!, /^    #1 tool_call .* tool calc /)
      assert.match(lines.find((l) => l.includes("#0 llm_call"))!, /^  #0 llm_call .* \d+ tokens/)

      const llmStep = trace.steps[0].stepId as string
      const negative = await openagents("feedback", config, runId, llmStep, "--type", "negative", "--content", "too terse")
      assert.strictEqual(negative.code, 0, negative.stderr)
      assert.notInclude(negative.stdout, "experience")
      const correction = await openagents("feedback", config, runId, llmStep, "--type", "correction", "--content", RULE)
      assert.strictEqual(correction.code, 0, correction.stderr)
      const experienceId = /^experience (\S+)$/m.exec(correction.stdout)?.[1]
      assert.isString(experienceId, correction.stdout)

      const experiences = await openagents("experiences", "list", config, "--format", "json")
      assert.deepStrictEqual(JSON.parse(experiences.stdout).map((e: { experienceId: string }) => e.experienceId), [experienceId])
      const text = await openagents("experiences", "list", config)
      assert.include(text.stdout, `${experienceId}  agent:calc-agent  confidence 0.6`)

      // the next run of the agent on a similar task has the correction in its system prompt
      const second = await openagents("run", config, "--session", "s2", "--format", "json", "--input", `/tool calc {"expression": "6*8"}`)
      const secondId = JSON.parse(second.stdout).runId as string
      const secondTrace = JSON.parse((await openagents("traces", "show", config, secondId, "--format", "json")).stdout)
      const sent = secondTrace.steps.find((s: { type: string }) => s.type === "llm_call").data.messages
      assert.strictEqual(sent[0]._tag, "system")
      assert.include(sent[0].content, RULE)
      assert.strictEqual(secondTrace.steps[0].type, "memory_read")

      const deleted = await openagents("experiences", "delete", config, experienceId!)
      assert.strictEqual(deleted.code, 0, deleted.stderr)
      assert.include(deleted.stdout, `deleted experience ${experienceId}`)
      assert.deepStrictEqual(JSON.parse((await openagents("experiences", "list", config, "--format", "json")).stdout), [])
      const again = await openagents("experiences", "delete", config, experienceId!)
      assert.strictEqual(again.code, 2)

      const unknownTrace = await openagents("traces", "show", config, "no-such-trace")
      assert.strictEqual(unknownTrace.code, 2)
      assert.include(unknownTrace.stderr, "no trace 'no-such-trace'")
      const unknownStep = await openagents("feedback", config, runId, "no-such-step", "--type", "positive", "--content", "x")
      assert.strictEqual(unknownStep.code, 2)
      assert.include(unknownStep.stderr, "has no step 'no-such-step'")
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }, 240_000)
})
