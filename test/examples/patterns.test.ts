/**
 * examples/patterns/agent.json: plan_execute, reflexion and a custom pattern (an `impl` module written
 * with Resumable steps), each run from the file on its scripted mock, with the events they promise.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as path from "node:path"
import * as Plugins from "../../src/config/Plugins.js"
import * as AgentRuntime from "../../src/runtime/AgentRuntime.js"
import { collect } from "../support/runtime.js"
import { resultOf } from "../../src/kernel/RunStreamChunk.js"

const file = path.resolve("examples/patterns/agent.json")

describe("examples/patterns/agent.json", () => {
  it.scoped("planner (plan_execute): a plan of two steps, each with calc, then the answer", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      const chunks = yield* collect(rt.runStream({ agentId: "planner", inputText: "what is 6 * 7 + 8?" }))
      const result = resultOf(chunks)!
      assert.strictEqual(result.finalOutput, "The answer is 50.")
      assert.deepStrictEqual(result.metadata["plan"], [{ description: "compute 6 * 7" }, { description: "add 8 to it" }])
      const finished = chunks.flatMap((c) => (c.kind === "pattern.step_finished" ? [c.payload.result] : []))
      assert.deepStrictEqual(finished, ["6 * 7 = 42", "42 + 8 = 50"])
      const results = chunks.flatMap((c) => (c.kind === "tool.finished" ? [c.payload.result] : []))
      assert.deepStrictEqual(results.map((r) => (r as { result: number }).result), [42, 50])
    }).pipe(Effect.provide(Plugins.runtimeLayer(file))))

  it.scoped("critic (reflexion): the review sends the first answer back once", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      const chunks = yield* collect(rt.runStream({ agentId: "critic", inputText: "capital of France?" }))
      assert.strictEqual(resultOf(chunks)!.finalOutput, "The capital of France is Paris.")
      const verdicts = chunks.flatMap((c) => (c.kind === "pattern.reflection" ? [c.payload.verdict] : []))
      assert.deepStrictEqual(verdicts, ["revise", "accept"])
    }).pipe(Effect.provide(Plugins.runtimeLayer(file))))

  it.scoped("editor (a custom pattern from an impl module): draft, then polished", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      const result = yield* rt.runDetailed({ agentId: "editor", inputText: "write" })
      assert.strictEqual(result.finalOutput, "A polished draft.")
      assert.strictEqual(result.metadata["draft"], "a rough draft")
    }).pipe(Effect.provide(Plugins.runtimeLayer(file))))
})
