/**
 * examples/memory/agent.json (chain of markdown_memory and window_buffer, sliding_window, local skills)
 * runs as configured; its model, recording what it is sent, gets the remembered rule, the matching skill
 * and the earlier turns.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as path from "node:path"
import * as ConfigLoader from "../../src/config/ConfigLoader.js"
import * as Plugins from "../../src/config/Plugins.js"
import type { ModelRequest } from "../../src/kernel/Transcript.js"
import * as AgentRuntime from "../../src/runtime/AgentRuntime.js"
import { recordingModel } from "../support/recordingModel.js"

const file = path.resolve("examples/memory/agent.json")

describe("examples/memory/agent.json", () => {
  it.scoped("runs from the file", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      const r = yield* rt.runDetailed({ agentId: "assistant", sessionId: "s", inputText: "hello" })
      assert.strictEqual(r.finalOutput, "Echo: hello (history=0)")
    }).pipe(Effect.provide(Plugins.runtimeLayer(file))))

  it.scoped("the model receives the remembered rule, the matching skill and the earlier turns", () =>
    Effect.gen(function*() {
      const built = yield* Effect.flatMap(ConfigLoader.load(file), Plugins.fromConfig)
      const requests: Array<ModelRequest> = []
      const agents = built.agents.map((a) => ({ ...a, model: recordingModel(requests, { model: "gpt-4o-mini" }) }))
      yield* Effect.gen(function*() {
        const rt = yield* AgentRuntime.AgentRuntime
        yield* rt.runDetailed({ agentId: "assistant", sessionId: "s", inputText: "hello" })
        const r = yield* rt.runDetailed({ agentId: "assistant", sessionId: "s", inputText: "extract the tables of report.pdf" })
        assert.strictEqual(r.stopReason, "completed")
        const last = requests[requests.length - 1]!
        assert.include(last.system ?? "", "### Skill: pdf-tools")
        assert.include(last.system ?? "", "- scripts/extract.py")
        assert.notInclude(last.system ?? "", "squash fixups")
        assert.deepStrictEqual(last.messages.map((m) => m._tag), ["system", "user", "assistant", "user"])
        assert.include((last.messages[0] as { content: string }).content, "**Rule:** Answer in metric units.")
      }).pipe(Effect.provide(AgentRuntime.layer({ agents }).pipe(Layer.provide(built.services))))
    }))
})
