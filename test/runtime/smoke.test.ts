import * as MockModel from "../../src/llm/MockModel.js"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema, Stream, Chunk } from "effect"
import * as AgentRuntime from "../../src/runtime/AgentRuntime.js"
import * as Tool from "../../src/tools/Tool.js"

const Add = Tool.make("add", {
  description: "adds",
  parameters: Schema.Struct({ a: Schema.Number, b: Schema.Number }),
  handler: ({ a, b }) => Effect.succeed(a + b)
})

describe("smoke", () => {
  it.scoped("echo, history and a tool", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      const r1 = yield* rt.runDetailed({ agentId: "a", sessionId: "s", inputText: "first" })
      assert.strictEqual(r1.finalOutput, "Echo: first (history=0)")
      const r2 = yield* rt.runDetailed({ agentId: "a", sessionId: "s", inputText: "second" })
      assert.strictEqual(r2.finalOutput, "Echo: second (history=1)")
      const r3 = yield* rt.runDetailed({ agentId: "a", sessionId: "s", inputText: '/tool add {"a": 1, "b": 2}' })
      assert.strictEqual(r3.finalOutput, "Tool[add] => 3")
      assert.strictEqual(r3.usage.llmCalls, 2)
      assert.strictEqual(r3.usage.toolCalls, 1)
      const chunks = Chunk.toReadonlyArray(yield* Stream.runCollect(rt.runStream({ agentId: "a", sessionId: "t", inputText: "hello world" })))
      console.log(chunks.map((c) => `${c.sequence} ${c.kind} ${JSON.stringify(c.payload)}`).join("\n"))
    }).pipe(Effect.provide(AgentRuntime.layerInMemory({ agents: [{ id: "a", tools: [Add], model: MockModel.layer() }] }))))
})
