import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Option, TestClock } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Plugins from "../../src/config/Plugins.js"
import { EventBus } from "../../src/events/EventBus.js"
import { AgentRuntime } from "../../src/runtime/AgentRuntime.js"
import { SessionStore } from "../../src/sessions/SessionStore.js"
import { runtimeLayer, scripted } from "../support/runtime.js"

describe("runtime lifecycle", () => {
  it.effect("reload() re-reads the config file: new agents appear, changed ones take effect, old ones go", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "oa-reload-"))
      const file = path.join(dir, "agent.json")
      const write = (agents: Array<Record<string, unknown>>) => fs.writeFileSync(file, JSON.stringify({ agents }))
      write([{ id: "a", llm: { script: [{ text: "v1" }] } }])
      yield* Effect.gen(function*() {
        const rt = yield* AgentRuntime
        assert.strictEqual(yield* rt.run({ agentId: "a", inputText: "x" }), "v1")
        write([{ id: "a", llm: { script: [{ text: "v2" }] } }, { id: "b", name: "Bee" }])
        yield* rt.reload
        assert.strictEqual(yield* rt.run({ agentId: "a", inputText: "x" }), "v2")
        assert.deepStrictEqual(yield* rt.listAgents, [{ id: "a", name: "a" }, { id: "b", name: "Bee" }])
        write([{ id: "b", llm: { provider: "nope" } }])
        const broken = yield* Effect.flip(rt.reload)
        assert.match(broken.message, /agents\[0\]\.llm\.provider/)
        // a failed reload keeps the agents that were there
        assert.deepStrictEqual((yield* rt.listAgents).map((a) => a.id), ["a", "b"])
        write([{ id: "b" }])
        yield* rt.reload
        assert.deepStrictEqual((yield* rt.listAgents).map((a) => a.id), ["b"])
        assert.strictEqual((yield* Effect.flip(rt.run({ agentId: "a", inputText: "x" })))._tag, "UnknownAgentError")
      }).pipe(Effect.provide(Plugins.runtimeLayer(file)))
      fs.rmSync(dir, { recursive: true, force: true })
    }))

  it.effect("reload() publishes config.reloaded with the agents it changed, and refuses changed top-level blocks", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "oa-reload-"))
      const file = path.join(dir, "agent.json")
      const write = (config: Record<string, unknown>) => fs.writeFileSync(file, JSON.stringify(config))
      write({ agents: [{ id: "a", instructions: "one" }, { id: "b" }] })
      yield* Effect.gen(function*() {
        const rt = yield* AgentRuntime
        const bus = yield* EventBus
        write({ agents: [{ id: "a", instructions: "two" }, { id: "b" }, { id: "c" }] })
        yield* rt.reload
        const reloaded = (yield* bus.history({ name: "config.reloaded" })).at(-1)
        assert.deepStrictEqual(reloaded?.name === "config.reloaded" ? reloaded.payload : undefined, {
          agents: ["a"],
          added: ["c"],
          removed: []
        })
        write({ version: "2.0", agents: [{ id: "a" }], session: { type: "jsonl_file", config: { root_dir: dir } } })
        const refused = yield* Effect.flip(rt.reload)
        assert.deepStrictEqual(refused.issues.map((i) => i.path), ["version", "session"])
        assert.match(refused.message, /session: changed, and cannot be reloaded into a running runtime/)
        // nothing of the refused file was applied
        assert.deepStrictEqual((yield* rt.listAgents).map((a) => a.id), ["a", "b", "c"])
        assert.strictEqual((yield* bus.history({ name: "config.reloaded" })).length, 1)
      }).pipe(Effect.provide(Plugins.runtimeLayer(file)))
      fs.rmSync(dir, { recursive: true, force: true })
    }))

  it.effect("a runtime built from an object cannot reload", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const error = yield* Effect.flip(rt.reload)
      assert.match(error.message, /not built from a config file/)
    }).pipe(Effect.provide(Plugins.runtimeLayer({ agents: [{ id: "a" }] }))))

  // the mock's script position follows the conversation, but the attempts it counts (which scripted
  // error a retry meets) live in the model instance: a rebuilt model counts them from zero again
  it.effect("reloadAgent() rebuilds the agent's seams: a scripted model forgets the attempts it counted", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const attempt = (sessionId: string) => rt.runDetailed({ agentId: "a", sessionId, inputText: "x" })
      assert.strictEqual((yield* attempt("s1")).error?.tag, "LlmAuth")
      assert.isTrue(Option.getOrThrow(yield* rt.getAgentInfo("a")).loaded)
      yield* rt.reloadAgent("a")
      assert.isFalse(Option.getOrThrow(yield* rt.getAgentInfo("a")).loaded)
      // the same conversation on the old model would have been its second attempt, answered "one"
      assert.strictEqual((yield* attempt("s2")).error?.tag, "LlmAuth")
      assert.strictEqual((yield* attempt("s3")).finalOutput, "one")
      assert.strictEqual((yield* Effect.flip(rt.reloadAgent("zz")))._tag, "UnknownAgentError")
    }).pipe(Effect.provide(runtimeLayer([{ id: "a", model: scripted([{ error: { kind: "auth" } }, { text: "one" }]) }]))))

  it.effect("closeSession() cancels the session's runs and forgets it; releaseSession() is idempotent", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const slow = yield* Effect.fork(rt.runDetailed({ agentId: "a", sessionId: "s1", inputText: "x" }))
      const queued = yield* Effect.fork(rt.runDetailed({ agentId: "a", sessionId: "s1", inputText: "y" }))
      yield* TestClock.adjust("10 millis")
      assert.strictEqual(yield* rt.sessionCount, 1)
      yield* rt.closeSession("s1")
      assert.strictEqual((yield* Fiber.join(slow)).stopReason, "cancelled")
      assert.strictEqual((yield* Fiber.join(queued)).stopReason, "cancelled")
      assert.strictEqual(yield* rt.sessionCount, 0)
      yield* rt.releaseSession("s1")
      yield* rt.releaseSession("never-seen")
      assert.strictEqual(yield* rt.sessionCount, 0)
    }).pipe(Effect.provide(runtimeLayer([{ id: "a", model: scripted([{ delayMs: 60_000, text: "late" }]) }]))))

  it.effect("closeSession() lets the in-memory store forget the session, so a long-lived process stays flat", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const store = yield* SessionStore
      yield* rt.runDetailed({ agentId: "a", sessionId: "done", inputText: "x" })
      yield* rt.runDetailed({ agentId: "a", sessionId: "kept", inputText: "x" })
      assert.deepStrictEqual([...(yield* store.listSessions)].sort(), ["done", "kept"])
      yield* rt.closeSession("done")
      assert.deepStrictEqual(yield* store.listSessions, ["kept"])
      assert.deepStrictEqual(yield* store.loadMessages("done"), [])
    }).pipe(Effect.provide(runtimeLayer([{ id: "a" }]))))

  it.effect("close() cancels every run; the event bus keeps a bounded history", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const bus = yield* EventBus
      const runs = yield* Effect.forEach(["s1", "s2"], (s) => Effect.fork(rt.runDetailed({ agentId: "a", sessionId: s, inputText: "x" })))
      yield* TestClock.adjust("10 millis")
      yield* rt.close
      for (const f of runs) assert.strictEqual((yield* Fiber.join(f)).stopReason, "cancelled")
      const finished = yield* bus.history({ name: "run.finished" })
      assert.strictEqual(finished.length, 2)
      assert.strictEqual((yield* bus.history({ limit: 1 })).length, 1)
      yield* bus.clearHistory
      assert.strictEqual((yield* bus.history()).length, 0)
    }).pipe(Effect.provide(runtimeLayer([{ id: "a", model: scripted([{ delayMs: 60_000, text: "late" }]) }]))))
})
