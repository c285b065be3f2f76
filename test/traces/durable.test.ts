/**
 * A durable run killed (SIGKILL, a real child process) and resumed in a new process yields one trace:
 * the steps recorded before the crash, the steps the journal holds but the trace write did not reach
 * (rebuilt from the journal), and the steps of the resumed run, without a duplicate, numbered without a
 * gap, with totals equal to the run's usage.
 */
import { assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import * as SqliteSessionStore from "../../src/sessions/SqliteSessionStore.js"
import * as SqliteTraceStore from "../../src/traces/SqliteTraceStore.js"
import type { TraceStep, TraceStore } from "../../src/traces/TraceStore.js"
import type { SessionStore } from "../../src/sessions/SessionStore.js"
import { FINAL } from "../support/durable-child.js"
import type { TraceChildArgs } from "../support/traces-child.js"
import { runResultChild } from "../support/resultChild.js"

const childSource = fileURLToPath(new URL("../support/traces-child.ts", import.meta.url))
const SESSION = "traced"

const runChild = (args: TraceChildArgs) =>
  runResultChild<{ readonly result: any; readonly writes: ReadonlyArray<string> }>([process.execPath, "--import", "tsx", childSource], args)

const withDb = <A>(
  dbPath: string,
  f: (stores: { sessions: SessionStore["Type"]; traces: TraceStore["Type"] }) => Effect.Effect<A, unknown>
) =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const sessions = yield* SqliteSessionStore.make({ dbPath })
    const traces = yield* SqliteTraceStore.make({ dbPath })
    return yield* f({ sessions, traces })
  })))

const latestCheckpoint = (dbPath: string, runId: string) =>
  withDb(dbPath, ({ sessions }) =>
    Effect.map(sessions.listCheckpoints(SESSION), (all) =>
      all.filter((c) => c.checkpointId.startsWith(`${runId}:step:`)).at(-1)?.checkpointId))

const traceOf = (dbPath: string, runId: string) =>
  withDb(dbPath, ({ traces }) => Effect.all({ trace: traces.getTrace(runId), steps: traces.getSteps(runId) }))

/** The shape every finished trace of this run must have. */
const checkTrace = (steps: ReadonlyArray<TraceStep>, result: any, where: string) => {
  assert.deepStrictEqual(steps.map((s) => s.sequence), steps.map((_, i) => i), `${where}: sequence`)
  const llm = steps.filter((s) => s.type === "llm_call")
  const tools = steps.filter((s) => s.type === "tool_call")
  const llmKeys = llm.map((s) => s.data["step"])
  const toolKeys = tools.map((s) => s.data["callId"])
  assert.strictEqual(new Set(llmKeys).size, llmKeys.length, `${where}: a model call twice: ${JSON.stringify(llmKeys)}`)
  assert.strictEqual(new Set(toolKeys).size, toolKeys.length, `${where}: a tool call twice: ${JSON.stringify(toolKeys)}`)
  assert.strictEqual(llm.length, result.usage.llmCalls, `${where}: model calls`)
  assert.strictEqual(tools.length, result.usage.toolCalls, `${where}: tool calls`)
  assert.strictEqual(steps.filter((s) => s.type === "conclusion").length, 1, `${where}: one conclusion`)
  const ids = new Set(steps.map((s) => s.stepId))
  for (const s of steps) for (const p of s.parentIds) assert.isTrue(ids.has(p), `${where}: ${s.stepId} has a missing parent ${p}`)
  for (const t of tools) {
    assert.lengthOf(t.parentIds, 1)
    assert.strictEqual(steps.find((s) => s.stepId === t.parentIds[0])!.type, "llm_call", `${where}: a tool call under a model call`)
  }
}

describe("durable runs: one trace across a crash", () => {
  it("killed after each of several writes and resumed in a new process: no duplicated step", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "traces-crash-"))
    try {
      // the run uninterrupted, for its number of writes
      const base = path.join(root, "base.db")
      const clean = await runChild({ path: base, notes: path.join(root, "base-notes.txt"), sessionId: SESSION, runId: "clean" })
      assert.strictEqual(clean.code, 0, clean.text)
      const writes = clean.output!.writes
      const cleanTrace = await traceOf(base, "clean")
      checkTrace(cleanTrace.steps, clean.output!.result, "uninterrupted")
      assert.strictEqual(cleanTrace.trace._tag === "Some" && cleanTrace.trace.value.totalTokens, clean.output!.result.usage.totalTokens)

      // kill points spread over the run: after checkpointed journal writes, before and after tool calls
      const points = [...new Set([2, 3, Math.floor(writes.length / 2), writes.length - 3, writes.length - 1])].filter((k) => k >= 1)
      for (const k of points) {
        const where = `killed after write ${k} (${writes[k - 1]})`
        const dbPath = path.join(root, `k${k}.db`)
        const notes = path.join(root, `k${k}-notes.txt`)
        let runId = `run-${k}`
        const first = await runChild({ path: dbPath, notes, sessionId: SESSION, runId, killAfterWrite: k })
        assert.strictEqual(first.signal, "SIGKILL", `${where}: not killed\n${first.text}`)
        const rerun: Array<string> = []
        const assume: Record<string, unknown> = {}
        let result: any
        for (let n = 0; n < 5 && result?.stopReason !== "completed"; n++) {
          const checkpoint = await latestCheckpoint(dbPath, runId)
          const run = checkpoint === undefined
            ? await runChild({ path: dbPath, notes, sessionId: SESSION, runId: (runId = `${runId}-again`) })
            : await runChild({ path: dbPath, notes, sessionId: SESSION, resumeFrom: checkpoint, rerun, assume })
          assert.strictEqual(run.code, 0, `${where}\n${run.text}`)
          result = run.output!.result
          if (result.stopReason === "completed") break
          // a non-idempotent call was cut: the human's decision, from the notes file
          assert.strictEqual(result.error?.tag, "ToolOutcomeUnknown", `${where}: ${JSON.stringify(result.error)}`)
          const callId = /\(call (\S+)\)/.exec(result.error.message)![1]!
          const written = fs.existsSync(notes) ? fs.readFileSync(notes, "utf8").split("\n").filter((l) => l.startsWith(`${callId} `)) : []
          if (written.length > 0) assume[callId] = { written: written[0] }
          else rerun.push(callId)
        }
        assert.strictEqual(result.finalOutput, FINAL, where)
        const { steps, trace } = await traceOf(dbPath, runId)
        if (trace._tag !== "Some") throw new Error(`${where}: no trace`)
        assert.strictEqual(trace.value.status, "completed", where)
        assert.strictEqual(trace.value.totalTokens, result.usage.totalTokens, where)
        checkTrace(steps, result, where)
      }
    } finally {
      fs.rmSync(root, { recursive: true, force: true })
    }
  }, 240_000)
})
