import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as ConfigLoader from "../../src/config/ConfigLoader.js"
import * as Plugins from "../../src/config/Plugins.js"
import * as Registry from "../../src/config/Registry.js"
import type { Message, ModelRequest } from "../../src/kernel/Transcript.js"
import * as Chain from "../../src/memory/Chain.js"
import * as MarkdownMemory from "../../src/memory/MarkdownMemory.js"
import { Memory } from "../../src/memory/Memory.js"
import * as WindowBuffer from "../../src/memory/WindowBuffer.js"
import * as AgentRuntime from "../../src/runtime/AgentRuntime.js"
import { recordingModel } from "../support/recordingModel.js"

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "oa-chain-"))
const turn = { runId: "r1", input: "hi", output: "hello", stopReason: "completed" }

/** A memory built in code that logs its calls and queues a preference in the session state. */
const logging = (name: string, log: Array<string>) =>
  Layer.succeed(Memory, Memory.of({
    inject: () => Effect.sync(() => {
      log.push(`inject ${name}`)
      return [{ _tag: "system", content: `from ${name}` } satisfies Message]
    }),
    writeback: (state) =>
      Effect.sync(() => {
        log.push(`writeback ${name}`)
        return { ...state, [MarkdownMemory.PENDING_KEY]: [{ rule: `queued by ${name}` }] }
      })
  }))

describe("Chain", () => {
  it.scoped("injects in order and writes back in reverse, each write-back given the state of the one before", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const dir = tempDir()
      const memory = yield* Memory.pipe(
        Effect.provide(Chain.layer(MarkdownMemory.layer({ memoryDir: dir }), logging("code", log), WindowBuffer.layer()))
      )
      const state = yield* memory.writeback({}, turn)
      // window_buffer wrote first, then the code memory queued, then markdown_memory drained the queue
      assert.deepStrictEqual(Object.keys(state), ["memory_buffer"])
      assert.deepStrictEqual((yield* MarkdownMemory.listEntries(dir)).map((e) => e.rule), ["queued by code"])
      const view = yield* memory.inject(state)
      assert.deepStrictEqual(view.map((m) => m._tag), ["system", "system", "user", "assistant"])
      assert.include((view[0] as { content: string }).content, "queued by code")
      assert.deepStrictEqual(view[1], { _tag: "system", content: "from code" })
      assert.deepStrictEqual(log, ["writeback code", "inject code"])
    }))

  it.effect("in agent.json: chain refs are built through the registry, errors at their paths", () =>
    Effect.gen(function*() {
      const bad = Registry.build("memory", "chain", { memories: [{ type: "window_buffer" }, { type: "vector" }] }, {
        dir: ".",
        where: "agents[0].memory",
        id: ""
      })
      const layer = bad._tag === "Right" ? bad.right : Layer.die("not built")
      const exit = yield* Effect.exit(Effect.scoped(Layer.build(layer)))
      const error = Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined
      assert.strictEqual(error?._tag, "ConfigError")
      assert.include(error?.message ?? "", "agents[0].memory.config.memories[1].type: unknown memory type 'vector'")
      const both = Registry.build("memory", "chain", { memories: [{ type: "buffer", impl: "./m.js#m" }] }, {
        dir: ".",
        where: "agents[0].memory",
        id: ""
      })
      const exit2 = yield* Effect.exit(Effect.scoped(Layer.build(both._tag === "Right" ? both.right : Layer.die("x"))))
      assert.include(
        Exit.isFailure(exit2) && exit2.cause._tag === "Fail" ? exit2.cause.error.message : "",
        "agents[0].memory.config.memories[0]: set exactly one of 'type' or 'impl'"
      )
    }))

  it.scoped("a full run from agent.json with a chain of window_buffer and markdown_memory", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      yield* MarkdownMemory.append(path.join(dir, "memory"), { rule: "The user's name is Ada.", reason: "She said so." })
      const file = path.join(dir, "agent.json")
      fs.writeFileSync(file, JSON.stringify({
        agents: [{
          id: "a",
          memory: {
            type: "chain",
            config: {
              memories: [
                { type: "markdown_memory", config: { memory_dir: "memory" } },
                { type: "window_buffer", config: { window_size: 2 } }
              ]
            }
          }
        }]
      }))
      // straight from the file: the window buffer remembers the turns
      yield* Effect.gen(function*() {
        const rt = yield* AgentRuntime.AgentRuntime
        assert.strictEqual((yield* rt.runDetailed({ agentId: "a", sessionId: "s", inputText: "first" })).finalOutput, "Echo: first (history=0)")
        assert.strictEqual((yield* rt.runDetailed({ agentId: "a", sessionId: "s", inputText: "second" })).finalOutput, "Echo: second (history=1)")
      }).pipe(Effect.provide(Plugins.runtimeLayer(file)))
      // the same config, its model recording the requests: the markdown memory comes first, then the turns
      const built = yield* Effect.flatMap(ConfigLoader.load(file), Plugins.fromConfig)
      const requests: Array<ModelRequest> = []
      const agents = built.agents.map((a) => ({ ...a, model: recordingModel(requests) }))
      yield* Effect.gen(function*() {
        const rt = yield* AgentRuntime.AgentRuntime
        for (const input of ["one", "two", "three"]) yield* rt.runDetailed({ agentId: "a", sessionId: "t", inputText: input })
        const last = requests[requests.length - 1]!
        assert.deepStrictEqual(last.messages.map((m) => m._tag), ["system", "user", "assistant", "user", "assistant", "user"])
        const memoryText = (last.messages[0] as { content: string }).content
        assert.include(memoryText, "**Rule:** The user's name is Ada.")
        assert.include(memoryText, "**Why:** She said so.")
        assert.deepStrictEqual(last.messages.filter((m) => m._tag === "user").map((m) => (m as { content: string }).content), ["one", "two", "three"])
      }).pipe(Effect.provide(AgentRuntime.layer({ agents }).pipe(Layer.provide(built.services))))
    }))
})

describe("Chain passes the run on", () => {
  it.effect("each memory of a chain gets the run (its input), so a memory that recalls by task works inside one", () =>
    Effect.gen(function*() {
      const seen: Array<string | undefined> = []
      const byTask = Memory.of({
        inject: (_state, run) =>
          Effect.sync(() => {
            seen.push(run?.input)
            return []
          }),
        writeback: (state) => Effect.succeed(state)
      })
      const chain = Chain.make([byTask, byTask])
      yield* chain.inject({}, { runId: "r", sessionId: "s", agentId: "a", input: "find the invoice" })
      assert.deepStrictEqual(seen, ["find the invoice", "find the invoice"])
    }))
})
