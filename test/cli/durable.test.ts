/**
 * `openagents sessions list|show|delete`, `replay` and `resume`, in-process through `main(argv)`, on a
 * JSONL and a SQLite config.
 */
import { assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as Plugins from "../../src/config/Plugins.js"
import { AgentRuntime } from "../../src/runtime/AgentRuntime.js"
import * as JsonlSessionStore from "../../src/sessions/JsonlSessionStore.js"
import type { SessionStore } from "../../src/sessions/SessionStore.js"
import * as SqliteSessionStore from "../../src/sessions/SqliteSessionStore.js"
import { SessionStore as SessionStoreTag } from "../../src/sessions/SessionStore.js"
import { cli, useCli } from "../support/cli.js"
import { noteLine } from "../support/durable-child.js"

const toolModule = fileURLToPath(new URL("../support/durable-child.ts", import.meta.url))

const harness = useCli("oa-cli-durable-")
const { out, err } = harness
const stdout = () => out.join("")
const stderr = () => err.join("")
const reset = () => {
  out.length = 0
  err.length = 0
}
const jsonLines = () => stdout().trim().split("\n").map((l) => JSON.parse(l))

interface Backend {
  readonly name: string
  readonly session: Record<string, unknown>
  readonly open: (dir: string) => Effect.Effect<SessionStore["Type"], unknown, Scope.Scope>
}

const backends: ReadonlyArray<Backend> = [
  {
    name: "jsonl_file",
    session: { type: "jsonl_file", config: { root_dir: "./sessions", lock_timeout_ms: 200 } },
    open: (d) => JsonlSessionStore.make({ rootDir: path.join(d, "sessions"), lockTimeoutMs: 200 })
  },
  {
    name: "sqlite",
    session: { type: "sqlite", config: { db_path: "./data/sessions.db", lock_timeout_ms: 200 } },
    open: (d) => SqliteSessionStore.make({ dbPath: path.join(d, "data", "sessions.db"), lockTimeoutMs: 200 })
  }
]

/** A config of one mock agent with `calc` and `write_note` (not idempotent) on the backend's store. */
const config = (backend: Backend, name = "agent.json", noteOptions: Record<string, unknown> = {}) => {
  const file = path.join(harness.dir(), name)
  const impl = path.relative(harness.dir(), toolModule).split(path.sep).join("/")
  fs.writeFileSync(
    file,
    JSON.stringify({
      agents: [{
        id: "a",
        llm: { provider: "mock" },
        tools: [
          { id: "calc", type: "calc" },
          { id: "write_note", impl: `${impl.startsWith(".") ? impl : `./${impl}`}#writeNoteTool`, config: { notes: path.join(harness.dir(), "notes.txt"), ...noteOptions } }
        ]
      }],
      session: backend.session
    })
  )
  return file
}

const withStore = <A>(backend: Backend, f: (store: SessionStore["Type"]) => Effect.Effect<A, unknown>) =>
  Effect.runPromise(Effect.scoped(Effect.flatMap(backend.open(harness.dir()), f)))

/**
 * What a process killed inside `write_note` leaves: a durable run whose journal has the call started but
 * not finished. Made in this process by cancelling the run while the tool hangs after its side effect.
 */
const interruptedInWriteNote = (backend: Backend, sessionId: string) =>
  Effect.runPromise(
    Effect.scoped(
      Effect.gen(function*() {
        const ctx = yield* Layer.build(Plugins.runtimeLayer(config(backend, "hang.json", { hangInTool: true })))
        const runtime = Context.get(ctx, AgentRuntime)
        const store = Context.get(ctx, SessionStoreTag)
        const fiber = yield* Effect.fork(runtime.runDetailed({
          agentId: "a",
          sessionId,
          runId: "crashed-run",
          inputText: `/tool write_note {"text": "hello"}`,
          durable: true
        }))
        yield* Effect.repeat(
          Effect.map(store.loadJournal(sessionId, "crashed-run"), (entries) => entries.some((e) => e.kind === "tool_started")),
          { until: (started) => started, schedule: Schedule.spaced("5 millis") }
        )
        yield* runtime.cancel("crashed-run")
        const result = yield* Fiber.join(fiber)
        assert.strictEqual(result.stopReason, "cancelled")
        return (yield* store.listCheckpoints(sessionId)).at(-1)!.checkpointId
      })
    )
  )

for (const backend of backends) {
  describe(`sessions, replay and resume on the ${backend.name} store`, () => {
    it("list, show, replay a durable run; delete the session", async () => {
      const cfg = config(backend)
      assert.strictEqual(await cli("run", cfg, "--input", `/tool calc {"expression": "6*7"}`, "--session", "s1", "--durable"), 0, stderr())
      assert.strictEqual(await cli("run", cfg, "--input", "hello", "--session", "s2"), 0, stderr())
      reset()

      assert.strictEqual(await cli("sessions", "list", cfg), 0, stderr())
      assert.match(stdout(), /^s1 +4 messages, 5 checkpoints, 0 artifacts, 1 journaled run$/m)
      assert.match(stdout(), /^s2 +2 messages, 0 checkpoints, 0 artifacts, 1 journaled run$/m)
      reset()
      assert.strictEqual(await cli("sessions", "list", cfg, "--format", "json"), 0)
      assert.deepStrictEqual(JSON.parse(stdout()), [
        { sessionId: "s1", messages: 4, checkpoints: 5, artifacts: 0, runs: 1 },
        { sessionId: "s2", messages: 2, checkpoints: 0, artifacts: 0, runs: 1 }
      ])
      reset()

      assert.strictEqual(await cli("sessions", "show", cfg, "s1", "--format", "json"), 0, stderr())
      const shown = JSON.parse(stdout())
      const runId: string = shown.runs[0].runId
      // run_started, model, tool_started, tool, model, output, run_finished
      assert.deepStrictEqual(shown.runs, [{ runId, entries: 7, stopReason: "completed" }])
      assert.deepStrictEqual(shown.messages.map((m: any) => m.message._tag), ["user", "assistant", "tool", "assistant"])
      // one at the start, one per model answer and tool result, one after the pattern's output
      assert.deepStrictEqual(shown.checkpoints.map((c: any) => c.checkpointId), [0, 1, 2, 3, 4].map((n) => `${runId}:step:${n}`))
      assert.deepStrictEqual(shown.checkpoints[3].state, { runId, seq: 4, step: 3 })
      assert.deepStrictEqual(shown.checkpoints[4].state, { runId, seq: 5, step: 4 })
      assert.strictEqual(shown.state.memory_buffer.length, 1)
      reset()
      assert.strictEqual(await cli("sessions", "show", cfg, "s1"), 0)
      const text = stdout()
      for (
        const line of [
          /^session s1 \(the \S+ store .*\)$/m,
          /^messages \(4\):$/m,
          /\] assistant: calc\(\{"expression":"6\*7"\}\) \[call_0_0\]$/m,
          /\] tool calc \[call_0_0\]: \{"expression":"6\*7","result":42\}$/m,
          /^checkpoints \(5\):$/m,
          new RegExp(`^  ${runId}:step:3 .* transcript 4,`, "m"),
          new RegExp(`^  ${runId}  7 journal entries, completed$`, "m")
        ]
      ) assert.match(text, line)
      reset()

      assert.strictEqual(await cli("replay", cfg, "s1", "--format", "json"), 0, stderr())
      const events = jsonLines()
      assert.deepStrictEqual(events.map((e) => e.kind), ["run_started", "model", "tool_started", "tool", "model", "output", "run_finished"])
      assert.deepStrictEqual(events.map((e) => e.seq), [0, 1, 2, 3, 4, 5, 6])
      assert.deepStrictEqual(Object.keys(events[0]), ["runId", "seq", "kind", "timestampMs", "payload"])
      assert.deepStrictEqual(events[3].payload, {
        callId: "call_0_0",
        name: "calc",
        content: `{"expression":"6*7","result":42}`,
        isError: false,
        result: { expression: "6*7", result: 42 }
      })
      reset()
      assert.strictEqual(await cli("replay", cfg, "s1", "--run", runId), 0)
      const lines = stdout().trim().split("\n")
      assert.strictEqual(lines.length, 7)
      assert.match(lines[0]!, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\S+Z  ${runId} #0  run_started +input "/tool calc`))
      assert.match(lines[2]!, /tool_started +calc \[call_0_0\] \{"expression":"6\*7"\}$/)
      assert.match(lines[3]!, /tool +calc \[call_0_0\] → \{"expression":"6\*7","result":42\}$/)
      assert.match(lines[5]!, /output +"Tool\[calc\] => /)
      assert.match(lines[6]!, /run_finished +completed$/)
      reset()
      // every run of the session, in the order they started
      assert.strictEqual(await cli("replay", cfg, "s2", "--format", "json"), 0)
      assert.deepStrictEqual(jsonLines().map((e) => e.kind), ["run_started", "model", "run_finished"])
      reset()

      assert.strictEqual(await cli("sessions", "delete", cfg, "s1"), 0, stderr())
      assert.match(stdout(), /deleted session 's1'/)
      reset()
      assert.strictEqual(await cli("sessions", "list", cfg, "--format", "json"), 0)
      assert.deepStrictEqual(JSON.parse(stdout()).map((s: any) => s.sessionId), ["s2"])
    })

    it("resume: ToolOutcomeUnknown explains itself (exit 1); --assume-call finishes the run without running the tool", async () => {
      const checkpoint = await interruptedInWriteNote(backend, "s1")
      assert.match(checkpoint, /^crashed-run:step:1$/)
      const cfg = config(backend)
      assert.deepStrictEqual(fs.readFileSync(path.join(harness.dir(), "notes.txt"), "utf8"), noteLine("call_0_0", "hello") + "\n")

      // the session is found by scanning the store
      assert.strictEqual(await cli("resume", cfg, "--checkpoint", checkpoint), 1)
      assert.match(stderr(), /ToolOutcomeUnknown: Tool 'write_note' \(call call_0_0\) started before the run was interrupted/)
      assert.match(stderr(), /hint: .*--rerun-call call_0_0.*--assume-call call_0_0=/)
      reset()

      const assumed = JSON.stringify({ written: noteLine("call_0_0", "hello") })
      assert.strictEqual(
        await cli("resume", cfg, "--checkpoint", checkpoint, "--session", "s1", "--assume-call", `call_0_0=${assumed}`, "--format", "json"),
        0,
        stderr()
      )
      const result = JSON.parse(stdout())
      assert.strictEqual(result.runId, "crashed-run")
      assert.strictEqual(result.stopReason, "completed")
      assert.strictEqual(result.finalOutput, `Tool[write_note] => ${assumed}`)
      // the tool did not run again
      assert.deepStrictEqual(fs.readFileSync(path.join(harness.dir(), "notes.txt"), "utf8"), noteLine("call_0_0", "hello") + "\n")
      reset()
      assert.strictEqual(await cli("replay", cfg, "s1", "--run", "crashed-run"), 0)
      assert.match(stdout(), /message +resumed from crashed-run:step:1 \(entries after #1 abandoned\)/)
      assert.match(stdout(), /tool +write_note \[call_0_0\] → \{"written":"call_0_0 hello"\}/)
    })

    it("resume --rerun-call runs the open call again; text output prints the answer", async () => {
      const checkpoint = await interruptedInWriteNote(backend, "s1")
      const cfg = config(backend)
      assert.strictEqual(await cli("resume", cfg, "--checkpoint", checkpoint, "--rerun-call", "call_0_0"), 0, stderr())
      assert.strictEqual(stdout(), `Tool[write_note] => {"written":"call_0_0 hello"}\n`)
      // the human said it had not happened: it runs again
      assert.deepStrictEqual(fs.readFileSync(path.join(harness.dir(), "notes.txt"), "utf8").trim().split("\n"), [
        noteLine("call_0_0", "hello"),
        noteLine("call_0_0", "hello")
      ])
      reset()
      // resuming the completed run from its last checkpoint gives the same answer without a model call
      const last = await withStore(backend, (store) => Effect.map(store.listCheckpoints("s1"), (c) => c.at(-1)!.checkpointId))
      assert.strictEqual(await cli("resume", cfg, "--checkpoint", last, "--format", "events"), 0, stderr())
      const chunks = jsonLines()
      assert.strictEqual(chunks.at(-1).result.finalOutput, `Tool[write_note] => {"written":"call_0_0 hello"}`)
      assert.notInclude(chunks.map((c) => c.kind), "llm.delta")
    })

    it("bad input: unknown session, run or checkpoint, malformed --assume-call; delete of a held session", async () => {
      const cfg = config(backend)
      assert.strictEqual(await cli("run", cfg, "--input", `/tool calc {"expression": "1+1"}`, "--session", "main", "--durable"), 0)
      const runId: string = await withStore(backend, (store) => Effect.map(store.listJournaledRuns("main"), (r) => r[0]!))
      reset()

      for (const args of [["sessions", "show", cfg, "mian"], ["sessions", "delete", cfg, "mian"], ["replay", cfg, "mian"]]) {
        assert.strictEqual(await cli(...args), 2, args.join(" "))
        assert.match(stderr(), /no session 'mian' in the \S+ store/)
        assert.match(stderr(), /hint: did you mean 'main'\?/)
        reset()
      }
      assert.strictEqual(await cli("replay", cfg, "main", "--run", "nope"), 2)
      assert.match(stderr(), new RegExp(`session 'main' has no journaled run 'nope'\\n  hint: runs: ${runId}`))
      reset()

      // unknown checkpoint: the hint lists the ones there are
      assert.strictEqual(await cli("resume", cfg, "--checkpoint", `${runId}:step:99`), 2)
      assert.match(stderr(), new RegExp(`no checkpoint '${runId}:step:99' in any session\\n  hint: available: ${runId}:step:0 \\(session main\\)`))
      assert.include(stderr(), `${runId}:step:3 (session main)`)
      reset()
      assert.strictEqual(await cli("resume", cfg, "--checkpoint", `${runId}:step:99`, "--session", "main"), 2)
      assert.match(stderr(), new RegExp(`no checkpoint '${runId}:step:99' in session 'main'\\n  hint: available: ${runId}:step:0, `))
      reset()
      assert.strictEqual(await cli("resume", cfg, "--checkpoint", "x:step:1", "--session", "other"), 2)
      assert.match(stderr(), /session 'other' has no checkpoints: only durable runs/)
      reset()
      assert.strictEqual(await cli("resume", cfg, "--checkpoint", "not-a-checkpoint"), 2)
      assert.match(stderr(), /'not-a-checkpoint' is not a checkpoint id.*\n  hint: checkpoint ids read <runId>:step:<n>/)
      reset()

      // malformed --assume-call
      assert.strictEqual(await cli("resume", cfg, "--checkpoint", `${runId}:step:3`, "--assume-call", "call_1"), 2)
      assert.match(stderr(), /--assume-call 'call_1': expected CALL_ID=JSON/)
      reset()
      assert.strictEqual(await cli("resume", cfg, "--checkpoint", `${runId}:step:3`, "--assume-call", "call_1={oops"), 2)
      assert.match(stderr(), /--assume-call call_1: the result is not JSON .*: \{oops\n  hint: quote it/)
      reset()

      // a session held by a run elsewhere is not deleted under it
      await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
        const store = yield* backend.open(harness.dir())
        yield* store.acquire("main")
        const code = yield* Effect.promise(() => cli("sessions", "delete", cfg, "main"))
        assert.strictEqual(code, 1)
        assert.match(stderr(), /Session 'main' is held by another process/)
      })))
      reset()
      assert.strictEqual(await cli("sessions", "list", cfg, "--format", "json"), 0)
      assert.deepStrictEqual(JSON.parse(stdout()).map((s: any) => s.sessionId), ["main"])
    })
  })
}

describe("sessions on the in_memory store", () => {
  it("list says that it keeps nothing; show explains why the session is unknown", async () => {
    const cfg = path.join(harness.dir(), "memory.json")
    fs.writeFileSync(cfg, JSON.stringify({ agents: [{ id: "a" }] }))
    assert.strictEqual(await cli("sessions", "list", cfg), 0)
    assert.match(stdout(), /no sessions in the in_memory store \(it keeps nothing once a process ends\)/)
    assert.strictEqual(await cli("sessions", "show", cfg, "s1"), 2)
    assert.match(stderr(), /no session 's1' in the in_memory store\n  hint: .*in_memory: it keeps nothing/)
  })

  it("a bad config is exit 2 with its problems", async () => {
    const cfg = path.join(harness.dir(), "bad.json")
    fs.writeFileSync(cfg, JSON.stringify({ agents: [{ id: "a" }], session: { type: "jsonl_file" } }))
    assert.strictEqual(await cli("sessions", "list", cfg), 2)
    assert.match(stderr(), /session\.config.*root_dir/s)
  })
})
