/**
 * Single-call mode: one model call with an agent's model and chosen tools, traced as a `call` trace of
 * one llm_call step; and the Promise client over a config (traces on by default, off with
 * `traces.enabled: false`, in the sessions' SQLite file when sessions are SQLite).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { createRuntime } from "../../src/client/Client.js"
import * as MockModel from "../../src/llm/MockModel.js"
import * as AgentRuntime from "../../src/runtime/AgentRuntime.js"
import { Add } from "../support/runtime.js"

const model = MockModel.layer({
  script: [{ text: "let me add", toolCalls: [{ name: "add", arguments: { a: 1, b: 2 }, id: "k1" }], usage: { inputTokens: 40, outputTokens: 10 } }],
  pricing: { input: 1, output: 2 }
})

describe("call", () => {
  it.scoped("one model call: reply, tool calls, tokens, cost, and a call trace", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      const result = yield* rt.call({
        messages: [{ _tag: "system", content: "you add" }, { _tag: "user", content: "1 + 2?" }],
        tools: ["add"],
        userId: "u-7"
      })
      assert.strictEqual(result.reply, "let me add")
      assert.deepStrictEqual(result.toolCalls.map((c) => [c.name, c.arguments]), [["add", { a: 1, b: 2 }]])
      assert.deepStrictEqual(result.tokens, { input: 40, output: 10, total: 50 })
      assert.closeTo(result.costUsd!, (40 * 1 + 10 * 2) / 1e6, 1e-12)
      const { steps, trace } = yield* rt.getTrace(result.traceId!)
      assert.strictEqual(trace.mode, "call")
      assert.strictEqual(trace.agentId, "a")
      assert.strictEqual(trace.task, "1 + 2?")
      assert.strictEqual(trace.userId, "u-7")
      assert.strictEqual(trace.totalTokens, 50)
      assert.strictEqual(trace.totalCostUsd, result.costUsd)
      assert.lengthOf(steps, 1)
      assert.strictEqual(steps[0]!.stepId, result.stepId)
      assert.strictEqual(steps[0]!.type, "llm_call")
      assert.deepStrictEqual(steps[0]!.data["messages"], [{ _tag: "system", content: "you add" }, { _tag: "user", content: "1 + 2?" }])
      // feedback works on a call trace too
      const made = yield* rt.addFeedback({ traceId: result.traceId!, stepId: result.stepId!, type: "correction", content: "answer 3" })
      assert.isString(made.experienceId)
      const untraced = yield* rt.call({ messages: [{ role: "user", content: "hi" }], trace: false })
      assert.strictEqual(untraced.reply, "let me add")
      assert.isUndefined(untraced.traceId)
      const badTool = yield* Effect.flip(rt.call({ messages: [{ _tag: "user", content: "hi" }], tools: ["nope"] }))
      assert.strictEqual(badTool._tag, "ConfigError")
      const badAgent = yield* Effect.flip(rt.call({ agentId: "zz", messages: [{ _tag: "user", content: "hi" }] }))
      assert.strictEqual(badAgent._tag, "UnknownAgentError")
    }).pipe(Effect.provide(AgentRuntime.layerInMemory({ agents: [{ id: "a", tools: [Add], model }] }))))
})

describe("client over a config", () => {
  const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "traces-client-"))

  it("traces on by default, in the sessions' SQLite file; feedback and experiences through the client", async () => {
    const dir = tmp()
    try {
      const config = {
        agents: [{ id: "a", instructions: "Help.", memory: { type: "experiences", config: { top_k: 3 } } }],
        session: { type: "sqlite", config: { db_path: path.join(dir, "agent.db") } }
      }
      const client = await createRuntime(config)
      const result = await client.runDetailed({ agentId: "a", inputText: "plan the sprint review" })
      assert.strictEqual(result.traceId, result.runId)
      const { steps } = await client.getTrace(result.traceId!)
      const llm = steps.find((s) => s.type === "llm_call")!
      const fb = await client.addFeedback({ traceId: result.runId, stepId: llm.stepId, type: "correction", content: "Start with the demo" })
      assert.lengthOf(await client.listExperiences({ agentId: "a" }), 1)
      const second = await client.runDetailed({ agentId: "a", inputText: "plan the sprint retro" })
      const sent = (await client.getTrace(second.runId)).steps.find((s) => s.type === "llm_call")!.data["messages"]
      assert.include(JSON.stringify(sent), "Start with the demo")
      await client.close()
      // a new process (client) on the same file sees the traces and the experience
      const again = await createRuntime(config)
      assert.lengthOf(await again.listTraces({ agentId: "a" }), 2)
      assert.strictEqual((await again.listExperiences())[0]!.experienceId, fb.experienceId)
      await again.close()
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it("traces.enabled: false records nothing; an unknown trace is a typed rejection", async () => {
    const client = await createRuntime({ agents: [{ id: "a" }], traces: { enabled: false } })
    const result = await client.runDetailed({ agentId: "a", inputText: "hi" })
    assert.isUndefined(result.traceId)
    const error = await client.getTrace(result.runId).then(() => undefined, (e: unknown) => e as { _tag: string; hint?: string })
    assert.strictEqual(error?._tag, "TraceNotFound")
    assert.include(error?.hint ?? "", "tracing is off")
    await client.close()
  })

  it("traces in a SQLite file of their own, beside in-memory sessions", async () => {
    const dir = tmp()
    try {
      const config = { agents: [{ id: "a" }], traces: { type: "sqlite", config: { db_path: path.join(dir, "traces.db") } } }
      const client = await createRuntime(config)
      const result = await client.runDetailed({ agentId: "a", inputText: "hello" })
      await client.close()
      const again = await createRuntime(config)
      const { steps, trace } = await again.getTrace(result.runId)
      assert.strictEqual(trace.status, "completed")
      assert.deepStrictEqual(steps.map((s) => s.type), ["llm_call", "conclusion"])
      await again.close()
      assert.isTrue(fs.existsSync(path.join(dir, "traces.db")))
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it("traces: sqlite without a file is a config error", async () => {
    const error = await createRuntime({ agents: [{ id: "a" }], traces: { type: "sqlite" } }).then(() => undefined, (e: unknown) => e as Error)
    assert.include(error?.message ?? "", "traces.config.db_path")
  })
})
