/**
 * A durable parent killed (SIGKILL, a real process on a SQLite store) while its child runs: a new process
 * resumes both, and no finished step of the child is run again.
 */
import { assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { runResultChild } from "../support/resultChild.js"

const command = [process.execPath, "--import", "tsx", "test/runtime/fixtures/teamCrash.ts"]

describe("durable delegation, killed", () => {
  it("the parent killed in its child's second tool call resumes in a new process; the child's first call is not made again", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "oa-team-kill-"))
    try {
      const args = { db: path.join(dir, "s.db"), calls: path.join(dir, "calls.txt") }
      const killed = await runResultChild(command, { ...args, mode: "kill" }, 120_000)
      assert.strictEqual(killed.signal, "SIGKILL", killed.text)
      const resumed = await runResultChild<{ stopReason: string; finalOutput: unknown }>(command, { ...args, mode: "resume" }, 120_000)
      assert.strictEqual(resumed.code, 0, resumed.text)
      assert.strictEqual(resumed.output?.stopReason, "completed")
      assert.strictEqual(resumed.output?.finalOutput, "the worker says 3 and 7")
      // the first add ran once; the second (killed in) ran again: add is idempotent
      assert.deepStrictEqual(fs.readFileSync(args.calls, "utf8").trim().split("\n"), [
        "p/call_0_0#call_0_0",
        "p/call_0_0#call_1_0",
        "p/call_0_0#call_1_0"
      ])
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }, 300_000)
})
