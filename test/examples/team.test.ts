/**
 * examples/team/agent.json: an editor delegating to a researcher (with a tool of its own and a budget of 3
 * steps), a writer and a reviewer, each a child run, on the scripted mock.
 */
import { assert, describe, it } from "@effect/vitest"
import { cli, useCli } from "../support/cli.js"
import { Chunk, Effect, Stream } from "effect"
import * as path from "node:path"
import * as Plugins from "../../src/config/Plugins.js"
import * as AgentRuntime from "../../src/runtime/AgentRuntime.js"
import { SessionStore } from "../../src/sessions/SessionStore.js"

const file = path.resolve("examples/team/agent.json")

describe("examples/team/agent.json", () => {
  it.scoped("the editor delegates to three agents and answers; the tree's usage is the editor's", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      const result = yield* rt.runDetailed({ agentId: "editor", sessionId: "s", runId: "r", inputText: "A sentence on the Eiffel Tower's height" })
      assert.strictEqual(result.stopReason, "completed")
      assert.strictEqual(result.finalOutput, "The Eiffel Tower rises 330 metres above Paris.")
      const children = result.metadata["children"] as ReadonlyArray<{ runId: string; agentId: string; usage: { llmCalls: number; toolCalls: number } }>
      assert.deepStrictEqual(children.map((c) => [c.agentId, c.runId]), [
        ["researcher", "r/call_0_0"],
        ["writer", "r/call_1_0"],
        ["reviewer", "r/call_2_0"]
      ])
      // 4 model calls of the editor, 2 + 1 + 1 of the team; 3 delegations and the researcher's calc
      assert.strictEqual(result.usage.llmCalls, 8)
      assert.strictEqual(result.usage.toolCalls, 4)
      const store = yield* SessionStore
      const research = yield* store.loadMessages("s/call_0_0")
      const calc = research.find((m) => m.message._tag === "tool")
      assert.include(calc?.message._tag === "tool" ? calc.message.content : "", "330")
    }).pipe(Effect.provide(Plugins.runtimeLayer(file))))
})

describe("examples/team/agent.json: the front desk", () => {
  it.scoped("routes the request to the editor, which runs its team: the tree in one stream, the editor's answer the desk's", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      const chunks = yield* Stream.runCollect(rt.runStream({ agentId: "front_desk", sessionId: "s", runId: "d", inputText: "A sentence on the Eiffel Tower's height" }))
      const all = Chunk.toReadonlyArray(chunks)
      const routed = all.find((c) => c.kind === "pattern.routed")
      assert.strictEqual(routed?.kind === "pattern.routed" ? routed.payload.agent : "", "editor")
      // the desk, the editor (d/route) and its three children, each gap-free
      const runs = [...new Set(all.map((c) => c.runId))].sort()
      assert.deepStrictEqual(runs, ["d", "d/route", "d/route/call_0_0", "d/route/call_1_0", "d/route/call_2_0"])
      for (const runId of runs) {
        const own = all.filter((c) => c.runId === runId)
        assert.deepStrictEqual(own.map((c) => c.sequence), own.map((_, i) => i))
      }
      assert.strictEqual(all.find((c) => c.runId === "d/route/call_0_0")?.parentRunId, "d/route")
      const last = all[all.length - 1]!
      assert.strictEqual(last.kind === "run.finished" ? last.result.finalOutput : null, "The Eiffel Tower rises 330 metres above Paris.")
      // 1 model call of the desk, 8 of the editor's tree
      assert.strictEqual(last.kind === "run.finished" ? last.result.usage.llmCalls : 0, 9)
    }).pipe(Effect.provide(Plugins.runtimeLayer(file))))
})

describe("openagents run examples/team/agent.json", () => {
  const { out } = useCli("oa-team-")
  const args = ["run", file, "--agent", "editor", "--input", "A sentence on the Eiffel Tower's height"]

  it("text: only the editor's answer is printed (the team's text is not)", async () => {
    assert.strictEqual(await cli(...args), 0)
    assert.strictEqual(out.join(""), "The Eiffel Tower rises 330 metres above Paris.\n")
  })

  it("events: every chunk of the four runs, each gap-free, the children's with parentRunId, the editor's run.finished last", async () => {
    assert.strictEqual(await cli(...args, "--format", "events"), 0)
    const chunks = out.join("").trim().split("\n").map((l) => JSON.parse(l) as { runId: string; kind: string; sequence: number; parentRunId?: string })
    const r = chunks[0]!.runId
    const runs = [...new Set(chunks.map((c) => c.runId))]
    assert.deepStrictEqual(runs.sort(), [r, `${r}/call_0_0`, `${r}/call_1_0`, `${r}/call_2_0`])
    for (const runId of runs) {
      const own = chunks.filter((c) => c.runId === runId)
      assert.deepStrictEqual(own.map((c) => c.sequence), own.map((_, i) => i))
      assert.strictEqual(own[0]!.parentRunId, runId === r ? undefined : r)
    }
    assert.deepStrictEqual([chunks.at(-1)!.runId, chunks.at(-1)!.kind], [r, "run.finished"])
  })
})
