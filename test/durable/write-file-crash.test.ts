/**
 * The crash test of `write_file` in append mode, with real child processes
 * (test/fixtures/tools/write-file-child.ts): a durable run is SIGKILLed inside write_file, after its
 * append and before the call returns, then resumed from its latest checkpoint in a new process.
 *
 * What the runtime does on resume (runtime/internal/resume.ts): a tool call that started and did not
 * finish is re-run when its tool is `durableIdempotent`, and otherwise stops the run with
 * `ToolOutcomeUnknown` for a human to decide (`rerun` or `assume`). An append is not idempotent by
 * nature, so `write_file` makes it so: each append is recorded (run, call id, file, offset, digest) in
 * `<root>/.openagents/append-ledger.jsonl` before it happens, and the same call again finds its record
 * and the bytes in place and does not append them twice. With that (the default) the tool declares
 * itself idempotent, the resume re-runs the call, and the file holds the line once. Without it
 * (`exactly_once_appends: false`) the tool declares itself not idempotent, the resume stops with
 * ToolOutcomeUnknown, and a human who answers "rerun" gets the line twice: why the ledger exists.
 */
import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as Effect from "effect/Effect"
import * as JsonlSessionStore from "../../src/sessions/JsonlSessionStore.js"
import { LINE, WRITE_CALL_ID, type WriteChildArgs, type WriteChildOutput } from "../fixtures/tools/write-file-child.js"
import { runResultChild } from "../support/resultChild.js"

const childSource = fileURLToPath(new URL("../fixtures/tools/write-file-child.ts", import.meta.url))
const SESSION = "notes session"

const runChild = (args: WriteChildArgs) =>
  runResultChild<WriteChildOutput>([process.execPath, "--import", "tsx", childSource], args)

const latestCheckpoint = (store: string, runId: string) =>
  Effect.runPromise(Effect.scoped(Effect.flatMap(JsonlSessionStore.make({ rootDir: store }), (s) =>
    Effect.map(s.listCheckpoints(SESSION), (all) => all.filter((c) => c.checkpointId.startsWith(`${runId}:`)).at(-1)?.checkpointId))))

let dir: string
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "oa-write-crash-"))
  fs.mkdirSync(path.join(dir, "root"))
})
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

const notes = () => fs.readFileSync(path.join(dir, "root", "notes.txt"), "utf8")

describe("write_file (append) in a durable run killed after the write", () => {
  it("resumed in a new process, the call is re-run and finds its append done: the file holds the line once", async () => {
    const base = { store: path.join(dir, "sessions"), dir, sessionId: SESSION }
    const first = await runChild({ ...base, runId: "r1", killInTool: true })
    assert.strictEqual(first.signal, "SIGKILL", first.text)
    assert.strictEqual(notes(), LINE, "the append happened before the kill")
    const checkpoint = await latestCheckpoint(base.store, "r1")
    assert.isString(checkpoint, "a checkpoint to resume from")

    const resumed = await runChild({ ...base, resumeFrom: checkpoint })
    assert.strictEqual(resumed.code, 0, resumed.text)
    assert.strictEqual(resumed.output!.stopReason, "completed", resumed.text)
    assert.strictEqual(resumed.output!.finalOutput, "noted")
    // the resumed process ran write_file again for the same call, which found its append in place
    assert.deepStrictEqual(resumed.output!.writeResults, [{ path: "notes.txt", bytes_written: LINE.length, mode: "a", replayed: true }])
    assert.strictEqual(notes(), LINE)
    const ledger = fs.readFileSync(path.join(dir, "root", ".openagents", "append-ledger.jsonl"), "utf8").trim().split("\n")
    assert.strictEqual(ledger.length, 1)
    assert.deepInclude(JSON.parse(ledger[0]!), { run: "r1", call: WRITE_CALL_ID, file: "notes.txt", offset: 0, bytes: LINE.length })
  }, 120_000)

  it("without exactly-once appends the tool is not idempotent: the resume stops for a human, and a rerun appends twice", async () => {
    const base = { store: path.join(dir, "sessions"), dir, sessionId: SESSION, exactlyOnceAppends: false }
    const first = await runChild({ ...base, runId: "r1", killInTool: true })
    assert.strictEqual(first.signal, "SIGKILL", first.text)
    const checkpoint = (await latestCheckpoint(base.store, "r1"))!

    const stopped = await runChild({ ...base, resumeFrom: checkpoint })
    assert.strictEqual(stopped.code, 0, stopped.text)
    assert.strictEqual(stopped.output!.stopReason, "failed")
    assert.match(JSON.stringify(stopped.output!.error), /ToolOutcomeUnknown|did not finish/)
    assert.deepStrictEqual(stopped.output!.writeResults, [], "the tool did not run again")
    assert.strictEqual(notes(), LINE)

    // a human who answers "rerun" without looking: the append happens again
    const rerun = await runChild({ ...base, resumeFrom: checkpoint, rerun: [WRITE_CALL_ID] })
    assert.strictEqual(rerun.output!.stopReason, "completed", rerun.text)
    assert.strictEqual(notes(), LINE + LINE)
  }, 120_000)
})
