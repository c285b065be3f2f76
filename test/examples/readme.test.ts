/**
 * The README's examples, as they are written there (imports point at src/ instead of the package).
 */
import { assert, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Schema, TestClock } from "effect"
import { AgentRuntime, createRuntime, MockModel, Tool } from "../../src/index.js"

it.effect("README: the Effect app example", () =>
  Effect.gen(function*() {
    const Add = Tool.make("add", {
      description: "Adds two numbers",
      parameters: Schema.Struct({ a: Schema.Number, b: Schema.Number }),
      handler: ({ a, b }) => Effect.succeed(a + b)
    })
    const Runtime = AgentRuntime.layerInMemory({ agents: [{ id: "assistant", tools: [Add] }] }).pipe(
      Layer.provide(MockModel.layer())
    )
    const program = Effect.gen(function*() {
      const runtime = yield* AgentRuntime.AgentRuntime
      return yield* runtime.runDetailed({
        agentId: "assistant",
        sessionId: "s1",
        inputText: `/tool add {"a": 2, "b": 3}`,
        budget: { maxSteps: 4, maxDurationMs: 10_000 }
      })
    })
    const result = yield* program.pipe(Effect.provide(Runtime))
    assert.strictEqual(result.finalOutput, "Tool[add] => 5")
    assert.strictEqual(result.stopReason, "completed")
  }))

it.effect("README: a slow model stops the run with stop reason timeout", () =>
  Effect.gen(function*() {
    const runtime = yield* AgentRuntime.AgentRuntime
    const fiber = yield* Effect.fork(runtime.runDetailed({ agentId: "a", inputText: "hi", budget: { maxDurationMs: 5000 } }))
    yield* TestClock.adjust("5 seconds")
    const result = yield* Fiber.join(fiber)
    assert.strictEqual(result.stopReason, "timeout")
  }).pipe(Effect.provide(AgentRuntime.layerInMemory({
    agents: [{ id: "a", model: MockModel.layer({ script: [{ delayMs: 60_000, text: "late" }] }) }]
  }))))

it("README: the Promise facade", async () => {
  const runtime = await createRuntime("examples/assistant.json")
  assert.strictEqual(await runtime.run({ agentId: "assistant", sessionId: "s1", inputText: "hello" }), "Echo: hello (history=0)")
  let text = ""
  const kinds: Array<string> = []
  for await (const chunk of runtime.runStream({ agentId: "assistant", sessionId: "s1", inputText: "hi again" })) {
    kinds.push(chunk.kind)
    if (chunk.kind === "llm.delta") text += String(chunk.payload["text"])
  }
  assert.strictEqual(text, "Echo: hi again (history=1)")
  assert.strictEqual(kinds[0], "run.started")
  assert.strictEqual(kinds.at(-1), "run.finished")
  // leaving a stream early cancels its run; the runtime stays usable
  for await (const chunk of runtime.runStream({ agentId: "assistant", inputText: "x", runId: "early" })) {
    if (chunk.kind === "run.started") break
  }
  await runtime.run({ agentId: "assistant", inputText: "still works" })
  await runtime.close()
})

it("Promise facade: a failed run rejects with RunFailed carrying the result; bad configs reject with ConfigError", async () => {
  const runtime = await createRuntime({ agents: [{ id: "a" }] })
  const error = await runtime.run({ agentId: "a", inputText: "x", budget: { maxSteps: 1, maxToolCalls: 0 } }).then(
    () => undefined,
    (e: unknown) => e
  )
  assert.isUndefined(error) // an echo needs one step and no tool
  const failed = await runtime.run({ agentId: "a", inputText: "/tool calc {}", budget: { maxSteps: 1 } }).catch((e: unknown) => e)
  assert.strictEqual((failed as { _tag: string })._tag, "RunFailed")
  assert.strictEqual((failed as { result: { stopReason: string } }).result.stopReason, "max_steps")
  await runtime.close()
  const bad = await createRuntime({ agents: [{ id: "a", llm: { provider: "nope" } }] }).catch((e: unknown) => e)
  assert.strictEqual((bad as { _tag: string })._tag, "ConfigError")
  assert.match((bad as Error).message, /agents\[0\]\.llm\.provider/)
})
