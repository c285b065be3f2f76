/**
 * Hostile tool calls made by a model in real agent runs: the scripted mock model calls the builtin
 * tools (built from agent.json-style config through the registry, `root` relative to the config's
 * folder) with the hostile arguments of hostile.ts, interleaved with good calls. Each hostile call comes
 * back to the model as a tool error naming the rule, the good calls after it succeed, the run
 * completes, and nothing outside the root has changed.
 */
import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Registry from "../../../src/config/Registry.js"
import { resultOf } from "../../../src/kernel/RunStreamChunk.js"
import type { MockStep } from "../../../src/llm/MockModel.js"
import { AgentRuntime } from "../../../src/runtime/AgentRuntime.js"
import type * as Tool from "../../../src/tools/Tool.js"
import { collect, runtimeLayer, scripted } from "../../support/runtime.js"
import { fileHostile, httpHostile, shellHostile } from "./hostile.js"
import { testServer } from "./server.js"
import { eventually, fingerprint, groupAlive, type Hostile, makeSandbox, type Sandbox } from "./support.js"

let sb: Sandbox
beforeEach(() => {
  sb = makeSandbox()
})
afterEach(() => sb.cleanup())

/** The tools as a config names them: `root: "root"` is resolved against the config's folder. */
const toolsFromConfig = (dir: string): ReadonlyArray<Tool.Tool> => {
  const rows: ReadonlyArray<readonly [string, unknown]> = [
    ["read_file", { root: "root", max_read_bytes: 1024 }],
    ["write_file", { root: "root", max_write_bytes: 65_536 }],
    ["list_files", { root: "root", max_entries: 50 }],
    ["delete_file", { root: "root" }],
    ["grep_files", { root: "root", max_matches: 3 }],
    ["shell_exec", { root: "root", allowed_commands: ["echo", "cat"], timeout_ms: 10_000 }],
    ["http_request", { timeout_ms: 10_000 }]
  ]
  return rows.map(([type, config], i) =>
    Either.getOrThrow(Registry.buildTool(type, config, { dir, where: `agents[0].tools[${i}]`, id: type }))
  )
}

interface Planned {
  readonly name: string
  readonly args: unknown
  /** A refusal that must match, or undefined for a call that must succeed. */
  readonly expect: RegExp | undefined
  readonly label: string
}

const good = (name: string, args: unknown, label: string): Planned => ({ name, args, expect: undefined, label })

describe("hostile tool calls in a real agent run", () => {
  it.scoped("every hostile call comes back to the model as a tool error, and the run goes on to complete", () =>
    Effect.gen(function*() {
      const server = yield* testServer
      const hostile: ReadonlyArray<Hostile> = [...fileHostile(sb), ...shellHostile(sb), ...httpHostile(server.port)]
      const plan: Array<Planned> = []
      hostile.forEach((h, i) => {
        plan.push({ name: h.tool, args: h.args, expect: h.expect, label: `${h.tool} ${h.label}` })
        // every tenth call, a good one: the tools still work after the refusals
        if (i % 10 === 9) plan.push(good("write_file", { path: "log.txt", content: `after ${i}\n`, mode: "a" }, `append ${i}`))
      })
      plan.push(good("read_file", { path: "log.txt" }, "read the log"))
      plan.push(good("shell_exec", { command: "echo", args: ["$(id)", ";", "ok"] }, "echo literally"))
      plan.push(good("list_files", { recursive: true, pattern: "*.txt" }, "list"))
      const script: Array<MockStep> = [...plan.map((p) => ({ toolCalls: [{ name: p.name, arguments: p.args }] })), { text: "done" }]
      const outsideBefore = fingerprint(sb.outside)
      const baseBefore = fs.readdirSync(sb.base).sort()

      const chunks = yield* Effect.gen(function*() {
        const rt = yield* AgentRuntime
        return yield* collect(rt.runStream({ agentId: "a", inputText: "attack!" }))
      }).pipe(Effect.provide(runtimeLayer([{
        id: "a",
        tools: toolsFromConfig(sb.base),
        model: scripted(script),
        maxSteps: script.length + 1
      }])))

      const finished = chunks.filter((c) => c.kind === "tool.finished").map((c) => c.payload as { error?: string; result?: unknown })
      assert.strictEqual(finished.length, plan.length)
      plan.forEach((p, i) => {
        const f = finished[i]!
        if (p.expect === undefined) assert.isUndefined(f.error, `${p.label}: ${f.error}`)
        else {
          assert.isString(f.error, `${p.label} was not refused: ${JSON.stringify(f.result)}`)
          assert.match(f.error!, p.expect, p.label)
        }
      })
      assert.isAtLeast(hostile.length, 100)
      const result = resultOf(chunks)!
      assert.strictEqual(result.stopReason, "completed")
      assert.strictEqual(result.finalOutput, "done")

      // the good calls did their work, the hostile ones none
      const appended = plan.filter((p) => p.label.startsWith("append")).length
      assert.strictEqual(fs.readFileSync(path.join(sb.root, "log.txt"), "utf8").split("\n").length - 1, appended)
      assert.deepStrictEqual(fingerprint(sb.outside), outsideBefore)
      assert.deepStrictEqual(fs.readdirSync(sb.base).sort(), baseBefore)
      assert.deepStrictEqual(server.seen, [])
    }), { timeout: 120_000 })

  it.scoped("cancelling a run during a long shell_exec kills the program's process group", () =>
    Effect.gen(function*() {
      const shell = Either.getOrThrow(Registry.buildTool("shell_exec", { root: "root", allowed_commands: ["sh"] }, {
        dir: sb.base,
        where: "agents[0].tools[0]",
        id: "shell_exec"
      }))
      const pidFile = path.join(sb.root, "pid")
      const script: Array<MockStep> = [
        { toolCalls: [{ name: "shell_exec", arguments: { command: "sh", args: ["-c", "echo $$ > pid; sleep 30 & sleep 30; wait"] } }] },
        { text: "never" }
      ]
      yield* Effect.gen(function*() {
        const rt = yield* AgentRuntime
        const run = yield* Effect.fork(rt.runDetailed({ agentId: "a", runId: "long", inputText: "run it" }))
        assert.isTrue(yield* Effect.promise(() => eventually(() => fs.existsSync(pidFile) && fs.readFileSync(pidFile, "utf8").endsWith("\n"))))
        const pgid = Number(fs.readFileSync(pidFile, "utf8"))
        assert.isTrue(groupAlive(pgid))
        assert.isTrue(yield* rt.cancel("long"))
        assert.strictEqual((yield* Fiber.join(run)).stopReason, "cancelled")
        assert.isTrue(yield* Effect.promise(() => eventually(() => !groupAlive(pgid))), `group ${pgid} is gone`)
        assert.throws(() => process.kill(pgid, 0), /ESRCH/)
      }).pipe(Effect.provide(runtimeLayer([{ id: "a", tools: [shell], model: scripted(script) }])))
    }))
})
