/**
 * `shell_exec` with real child processes: arguments stay literal (no shell), the allowlist, the
 * environment and the working folder are enforced, output is capped, and a timeout or a cancelled run
 * leaves no process of the program's group running.
 */
import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import * as ShellExec from "../../../src/tools/builtin/ShellExec.js"
import { shellHostile } from "./hostile.js"
import { call, eventually, fingerprint, groupAlive, makeSandbox, refusal, type Sandbox, success } from "./support.js"

let sb: Sandbox
beforeEach(() => {
  sb = makeSandbox()
})
afterEach(() => sb.cleanup())

const shell = (extra?: Partial<ShellExec.Options>) =>
  ShellExec.make({ root: sb.root, allowedCommands: ["echo", "cat", "sh", "pwd", "env", "yes", "no-such-program-xyz"], ...extra })

/** `sh` that writes its pid (= its process group id) to `pid`, then waits on a background sleep and a sleep. */
const LONG = ["-c", "echo $$ > pid; sleep 30 & sleep 30; wait"]
const pidOf = () => Number(fs.readFileSync(path.join(sb.root, "pid"), "utf8").trim())
const waitForPid = Effect.promise(() => eventually(() => fs.existsSync(path.join(sb.root, "pid")) && fs.readFileSync(path.join(sb.root, "pid"), "utf8").endsWith("\n")))

describe("shell_exec", () => {
  it.effect("runs a program with its arguments literally: shell metacharacters stay text", () =>
    Effect.gen(function*() {
      const tricky = ["hello; touch pwned", "$(touch pwned2)", "`touch pwned3`", "a && touch pwned4", "| cat /etc/passwd", "*", "$HOME", "'\"", "> out.txt"]
      const result = success(yield* call(shell(), { command: "echo", args: tricky }))
      assert.strictEqual(result.stdout, tricky.join(" ") + "\n")
      assert.strictEqual(result.exit_code, 0)
      assert.isFalse(result.timed_out)
      for (const f of ["pwned", "pwned2", "pwned3", "pwned4", "out.txt"]) assert.isFalse(fs.existsSync(path.join(sb.root, f)), f)
    }))

  it.effect("reports the exit code and stderr", () =>
    Effect.gen(function*() {
      const result = success(yield* call(shell(), { command: "sh", args: ["-c", "echo oops >&2; exit 3"] }))
      assert.strictEqual(result.exit_code, 3)
      assert.strictEqual(result.stderr, "oops\n")
    }))

  it.effect("runs in the root, or a folder of it", () =>
    Effect.gen(function*() {
      assert.strictEqual(success(yield* call(shell(), { command: "pwd" })).stdout, `${sb.root}\n`)
      assert.strictEqual(success(yield* call(shell(), { command: "pwd", cwd: "dir/sub" })).stdout, `${sb.root}/dir/sub\n`)
    }))

  it.effect("passes only PATH and the named variables", () =>
    Effect.gen(function*() {
      process.env["OA_VISIBLE"] = "yes"
      process.env["OA_HIDDEN"] = "secret"
      try {
        const out = success(yield* call(shell({ envPassthrough: ["OA_VISIBLE", "OA_UNSET"] }), { command: "env" })).stdout as string
        const names = out.trim().split("\n").map((l) => l.split("=")[0]).sort()
        assert.deepStrictEqual(names, ["OA_VISIBLE", "PATH"])
      } finally {
        delete process.env["OA_VISIBLE"]
        delete process.env["OA_HIDDEN"]
      }
    }))

  it.effect("a program not on PATH is a clear error", () =>
    Effect.gen(function*() {
      assert.match(refusal(yield* call(shell(), { command: "no-such-program-xyz" })), /"no-such-program-xyz" cannot be started: not found on PATH/)
    }))

  it.effect("endless output is cut at the cap and the program killed", () =>
    Effect.gen(function*() {
      const result = success(yield* call(shell({ captureBytes: 1000 }), { command: "yes", args: ["spam"] }))
      assert.strictEqual(result.stdout.length, 1000)
      assert.isTrue(result.truncated)
      assert.strictEqual(result.signal, "SIGKILL")
    }))

  it.effect("a timeout (on the Effect clock) kills the whole process group", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(call(shell({ timeoutMs: 60_000 }), { command: "sh", args: LONG, timeout_ms: 1000 }))
      assert.isTrue(yield* waitForPid)
      const pgid = pidOf()
      assert.isTrue(groupAlive(pgid))
      yield* TestClock.adjust("999 millis")
      assert.isTrue(groupAlive(pgid), "still running before the timeout")
      yield* TestClock.adjust("1 millis")
      const result = success(yield* Fiber.join(fiber))
      assert.isTrue(result.timed_out)
      assert.isTrue(yield* Effect.promise(() => eventually(() => !groupAlive(pgid))), `group ${pgid} is gone`)
      assert.throws(() => process.kill(pgid, 0), /ESRCH/, "the leader is gone and reaped")
    }))

  it.effect("cancelling the call (the run is cancelled) kills the whole process group", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(call(shell(), { command: "sh", args: LONG }))
      assert.isTrue(yield* waitForPid)
      const pgid = pidOf()
      assert.isTrue(groupAlive(pgid))
      yield* Fiber.interrupt(fiber)
      // the finalizer has killed the group and waited for its leader: nothing of it runs. process.kill(-pgid, 0)
      // throws ESRCH once every member is reaped; the background sleep's zombie is PID 1's to reap, which some
      // containers never do, so groupAlive counts a zombie as gone (see support.ts)
      assert.isTrue(yield* Effect.promise(() => eventually(() => !groupAlive(pgid))), `group ${pgid} is gone`)
      assert.throws(() => process.kill(pgid, 0), /ESRCH/, "the leader is gone and reaped")
    }))

  it.effect("hostile arguments: each refused with a clear error, nothing run, nothing written outside", () =>
    Effect.gen(function*() {
      const before = fingerprint(sb.outside)
      const tool = ShellExec.make({ root: sb.root, allowedCommands: ["echo", "cat"] })
      const cases = shellHostile(sb)
      for (const c of cases) {
        const message = refusal(yield* call(tool, c.args))
        assert.match(message, c.expect, c.label)
      }
      assert.deepStrictEqual(fingerprint(sb.outside), before)
      assert.isFalse(tool.durableIdempotent)
    }))

  it("needs at least one allowed command", () => {
    assert.throws(() => ShellExec.make({ root: ".", allowedCommands: [] }), /at least one allowed command/)
  })
})
