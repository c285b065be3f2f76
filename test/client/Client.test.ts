/**
 * The Promise client: closeSession cancels the session's runs and lets the runtime forget the session.
 */
import { assert, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Client from "../../src/client/Client.js"
import { createRuntime } from "../../src/index.js"
import * as AgentRuntime from "../../src/runtime/AgentRuntime.js"
import * as MockModel from "../../src/llm/MockModel.js"

it("closeSession cancels the session's run in flight and drops the session; the runtime stays usable", async () => {
  let service: AgentRuntime.Service | undefined
  const layer = AgentRuntime.layerInMemory({
    agents: [
      { id: "slow", model: MockModel.layer({ script: [{ delayMs: 60_000, text: "late" }] }) },
      { id: "echo" }
    ]
  }).pipe(
    Layer.provide(MockModel.layer()),
    Layer.tap((ctx) => Effect.sync(() => (service = ctx.unsafeMap.get(AgentRuntime.AgentRuntime.key) as AgentRuntime.Service)))
  )
  const client = await Client.fromLayer(layer)
  const count = () => Effect.runPromise(service!.sessionCount)
  try {
    await client.run({ agentId: "echo", sessionId: "kept", inputText: "hi" })
    const pending = client.runDetailed({ agentId: "slow", sessionId: "dropped", inputText: "hi", runId: "r-slow" })
    // the run is registered once its stream has started; poll the runtime's session count instead of sleeping
    while ((await count()) < 2) await new Promise((resolve) => setImmediate(resolve))
    await client.closeSession("dropped")
    const result = await pending
    assert.strictEqual(result.stopReason, "cancelled")
    assert.strictEqual(await count(), 1)
    await client.closeSession("never-seen") // closing an unknown session is a no-op
    assert.strictEqual(await client.run({ agentId: "echo", sessionId: "dropped", inputText: "again" }), "Echo: again (history=0)")
  } finally {
    await client.close()
  }
})

it("createRuntime is the client's constructor, exported from the package root", async () => {
  assert.strictEqual(createRuntime, Client.createRuntime)
  const client = await createRuntime({ agents: [{ id: "a" }] })
  await client.closeSession("default")
  await client.close()
})

it("runStream: the chunks of the run in order; a refused start rejects with the typed error; leaving early leaves the client usable", async () => {
  const client = await createRuntime({ agents: [{ id: "a", llm: { script: [{ text: "one two three" }] } }] })
  try {
    const chunks = []
    for await (const chunk of client.runStream({ agentId: "a", inputText: "hi" })) chunks.push(chunk)
    assert.deepStrictEqual(chunks.map((c) => c.sequence), chunks.map((_, i) => i))
    assert.deepStrictEqual(chunks.map((c) => c.kind), ["run.started", "llm.delta", "llm.delta", "llm.delta", "llm.finished", "run.finished"])
    const refused = await (async () => {
      try {
        for await (const _ of client.runStream({ agentId: "nope", inputText: "hi" })) void _
      } catch (e) {
        return e as { _tag?: string }
      }
    })()
    assert.strictEqual(refused?._tag, "UnknownAgentError")
    for await (const chunk of client.runStream({ agentId: "a", runId: "left", inputText: "hi" })) {
      if (chunk.kind === "llm.delta") break
    }
    const again = await client.runDetailed({ agentId: "a", inputText: "still usable" })
    assert.strictEqual(again.stopReason, "completed")
  } finally {
    await client.close()
  }
})
