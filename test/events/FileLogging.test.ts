/**
 * The `file_logging` event bus on real files: a run's events as JSONL, redaction, long values cut,
 * include/exclude filters, size-based rotation with backups, everything written when the scope closes,
 * and a log path that cannot be written as a config error naming it.
 */
import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Context, Effect, Exit, Layer } from "effect"
import * as Plugins from "../../src/config/Plugins.js"
import * as EventBus from "../../src/events/EventBus.js"
import * as FileLogging from "../../src/events/FileLogging.js"
import type { RuntimeEvent } from "../../src/kernel/EventTaxonomy.js"
import { AgentRuntime } from "../../src/runtime/AgentRuntime.js"

let dir: string
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "oa-filelog-"))
})
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

const lines = (file: string) =>
  fs.readFileSync(file, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Record<string, any>)

/** A made-up event with any payload (the bus writes whatever it is given). */
const event = (name: string, payload: unknown, at = 0): RuntimeEvent =>
  ({ name, runId: "r", sessionId: "s", agentId: "a", timestampMs: 1_700_000_000_000 + at, payload }) as unknown as RuntimeEvent

/** Publishes `events` on a file_logging bus and closes it. */
const publish = (options: FileLogging.Options, events: ReadonlyArray<RuntimeEvent>) =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const bus = yield* FileLogging.make(options)
    for (const e of events) bus.unsafePublish(e)
  })))

describe("file_logging event bus", () => {
  it("a run's events, from the config, as JSON lines in order (relative log_path, exclude_events)", async () => {
    const config = {
      agents: [{
        id: "calc",
        llm: { provider: "mock", script: [{ tool_calls: [{ name: "calc", arguments: { expression: "6*7" } }] }, { text: "42" }] },
        tools: [{ id: "calc", type: "calc" }]
      }],
      events: { type: "file_logging", config: { log_path: "logs/events.jsonl", exclude_events: ["llm.*delta"] } }
    }
    const file = path.join(dir, "agent.json")
    fs.writeFileSync(file, JSON.stringify(config))
    const result = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const ctx = yield* Layer.build(Plugins.runtimeLayer(file))
      return yield* Context.get(ctx, AgentRuntime).runDetailed({ agentId: "calc", runId: "run-1", inputText: "6*7?" })
    })))
    assert.strictEqual(result.stopReason, "completed")
    const written = lines(path.join(dir, "logs", "events.jsonl"))
    const names = written.map((l) => l.name)
    assert.strictEqual(names[0], "run.started")
    assert.strictEqual(names.at(-1), "run.finished")
    assert.include(names, "tool.started")
    assert.include(names, "tool.finished")
    assert.notInclude(names, "llm.delta")
    assert.strictEqual(written[0]!.run_id, "run-1")
    assert.strictEqual(written[0]!.agent_id, "calc")
    assert.match(written[0]!.ts, /^\d{4}-\d\d-\d\dT/)
    assert.strictEqual(written.at(-1)!.payload.stopReason, "completed")
  })

  it("redacts secret keys at any depth (case-insensitive), cuts long strings, survives cycles", async () => {
    const file = path.join(dir, "e.jsonl")
    const cyclic: Record<string, unknown> = { name: "loop" }
    cyclic.self = cyclic
    await publish({ path: file, maxValueLength: 10 }, [
      event("tool.started", { params: { api_key: "sk-123", nested: [{ Authorization: "Bearer x", ok: "fine" }], Password: "p" } }),
      event("tool.finished", { result: "a".repeat(25) }),
      event("tool.delta", cyclic)
    ])
    const [first, second, third] = lines(file)
    assert.deepStrictEqual(first!.payload, { params: { api_key: "***", nested: [{ Authorization: "***", ok: "fine" }], Password: "***" } })
    assert.strictEqual(second!.payload.result, "aaaaaaaaaa (truncated 15 chars)")
    assert.strictEqual(third!.payload.self, "<circular>")
    // a key list of one's own replaces the defaults
    const custom = path.join(dir, "c.jsonl")
    await publish({ path: custom, redactKeys: ["ssn"] }, [event("tool.started", { ssn: "1", token: "t" })])
    assert.deepStrictEqual(lines(custom)[0]!.payload, { ssn: "***", token: "t" })
  })

  it("include_events and exclude_events are globs over event names", async () => {
    const file = path.join(dir, "f.jsonl")
    await publish({ path: file, include: ["run.*", "tool.finished"], exclude: ["run.resume_*"] }, [
      event("run.started", {}),
      event("llm.delta", {}),
      event("tool.started", {}),
      event("tool.finished", {}),
      event("run.resume_attempted", {}),
      event("run.finished", {})
    ])
    assert.deepStrictEqual(lines(file).map((l) => l.name), ["run.started", "tool.finished", "run.finished"])
  })

  it("rotates by size: <path>.1 is the newest backup, at most `backups` are kept, no line is split", async () => {
    const file = path.join(dir, "r.jsonl")
    const events = Array.from({ length: 60 }, (_, i) => event("tool.delta", { i }, i))
    const size = Buffer.byteLength(FileLogging.line(events[0]!, [], 100) + "\n")
    await publish({ path: file, maxBytes: size * 5, backups: 2 }, events)
    assert.isTrue(fs.existsSync(`${file}.1`))
    assert.isTrue(fs.existsSync(`${file}.2`))
    assert.isFalse(fs.existsSync(`${file}.3`))
    for (const f of [file, `${file}.1`, `${file}.2`]) assert.isAtMost(fs.statSync(f).size, size * 5, f)
    const kept = [...lines(`${file}.2`), ...lines(`${file}.1`), ...lines(file)].map((l) => l.payload.i)
    // the newest events, in order, the last one in the live file
    assert.deepStrictEqual(kept, Array.from({ length: kept.length }, (_, k) => 60 - kept.length + k))
    assert.strictEqual(lines(file).at(-1)!.payload.i, 59)
    // backups: 0 starts the file over
    const single = path.join(dir, "s.jsonl")
    await publish({ path: single, maxBytes: size * 5, backups: 0 }, events)
    assert.isFalse(fs.existsSync(`${single}.1`))
    assert.strictEqual(lines(single).at(-1)!.payload.i, 59)
    // appending to an existing file counts its size
    await publish({ path: single, maxBytes: size * 5, backups: 1 }, events.slice(0, 1))
    assert.isAtMost(fs.statSync(single).size, size * 5)
  })

  it("everything published before the scope closes is written, subscribers still get every event", async () => {
    const file = path.join(dir, "all.jsonl")
    const seen = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const bus = yield* FileLogging.make({ path: file })
      const sub = yield* bus.subscribe
      for (let i = 0; i < 5000; i++) bus.unsafePublish(event("tool.delta", { i }))
      const history = yield* bus.history({ limit: 3 })
      assert.strictEqual(history.length, 3)
      return (yield* sub.takeAll).length
    })))
    assert.strictEqual(seen, 5000)
    assert.strictEqual(lines(file).length, 5000)
  })

  it("a log_path that cannot be written is a config error naming events.config.log_path", async () => {
    fs.mkdirSync(path.join(dir, "taken"))
    const exit = await Effect.runPromiseExit(Effect.scoped(Layer.build(Plugins.runtimeLayer({
      agents: [{ id: "a" }],
      events: { type: "file_logging", config: { log_path: path.join(dir, "taken") } }
    }))))
    assert.isTrue(Exit.isFailure(exit))
    const text = JSON.stringify(exit)
    assert.include(text, "events.config.log_path")
    assert.include(text, "cannot open")
    const missing = await Effect.runPromiseExit(Effect.scoped(Layer.build(Plugins.runtimeLayer({
      agents: [{ id: "a" }],
      events: { type: "file_logging", config: {} }
    }))))
    assert.include(JSON.stringify(missing), "log_path")
  })

  it("is the plain bus for EventBus users", () =>
    Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const ctx = yield* Layer.build(FileLogging.layer({ path: path.join(dir, "x.jsonl") }))
      const bus = Context.get(ctx, EventBus.EventBus)
      yield* bus.publish(event("run.started", {}))
      assert.strictEqual((yield* bus.history()).length, 1)
    }))))
})
