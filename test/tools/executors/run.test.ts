/**
 * A whole run through the runtime: a call the policy refuses goes back to the model as a tool error
 * naming the rule, and the run goes on to its final answer.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type { ModelRequest } from "../../../src/kernel/Transcript.js"
import { LanguageModel } from "../../../src/llm/LanguageModel.js"
import * as MockModel from "../../../src/llm/MockModel.js"
import { AgentRuntime } from "../../../src/runtime/AgentRuntime.js"
import * as PolicyExecutor from "../../../src/tools/executors/PolicyExecutor.js"
import * as RetryExecutor from "../../../src/tools/executors/RetryExecutor.js"
import * as Tool from "../../../src/tools/Tool.js"
import * as ToolExecutor from "../../../src/tools/ToolExecutor.js"
import { runtimeLayer, withEvents } from "../../support/runtime.js"

/** A scripted mock model that records the requests it gets. */
const recording = (script: ReadonlyArray<MockModel.MockStep>, seen: Array<ModelRequest>) =>
  Layer.effect(
    LanguageModel,
    Effect.map(MockModel.make({ script }), (m) =>
      LanguageModel.of({
        ...m,
        stream: (request) => {
          seen.push(request)
          return m.stream(request)
        }
      }))
  )

describe("a run with a policy executor", () => {
  it.effect("a denied call goes back to the model as a tool error naming the rule; the run completes", () =>
    Effect.gen(function*() {
      const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "oa-run-policy-")))
      const written: Array<string> = []
      const WriteFile = Tool.make("write_file", {
        description: "Writes a file",
        parameters: Schema.Struct({ path: Schema.String, text: Schema.String }),
        handler: ({ path: p, text }) =>
          Effect.sync(() => {
            fs.writeFileSync(path.resolve(root, p), text)
            written.push(p)
            return "written"
          })
      })
      const seen: Array<ModelRequest> = []
      const model = recording([
        { toolCalls: [{ id: "c1", name: "write_file", arguments: { path: "../escape.txt", text: "x" } }] },
        { toolCalls: [{ id: "c2", name: "write_file", arguments: { path: "notes.txt", text: "hello" } }] },
        { text: "Saved notes.txt; the other path was refused." }
      ], seen)
      const toolExecutor = PolicyExecutor.layer({ fsRoots: [root], fsBaseDir: root }).pipe(
        Layer.provide(RetryExecutor.layer()),
        Layer.provide(ToolExecutor.layer())
      )
      try {
        const [result, events] = yield* withEvents(Effect.flatMap(AgentRuntime, (rt) =>
          rt.runDetailed({ agentId: "writer", inputText: "save my notes" }))).pipe(
            Effect.provide(runtimeLayer([{ id: "writer", tools: [WriteFile], model, toolExecutor }]))
          )
        assert.strictEqual(result.stopReason, "completed")
        assert.strictEqual(result.finalOutput, "Saved notes.txt; the other path was refused.")
        assert.deepStrictEqual(written, ["notes.txt"])
        assert.isFalse(fs.existsSync(path.join(path.dirname(root), "escape.txt")))

        // the model's second request holds the refusal as the result of call c1
        const toolMessage = seen[1]!.messages.find((m) => m._tag === "tool" && m.toolCallId === "c1")
        assert.isDefined(toolMessage)
        assert.isTrue((toolMessage as { isError: boolean }).isError)
        const content = JSON.parse((toolMessage as { content: string }).content) as { error: string; type: string }
        assert.strictEqual(content.type, "ToolPolicyDenied")
        assert.strictEqual(
          content.error,
          `policy denied 'write_file': path '../escape.txt' is outside the allowed roots [${root}] ('..' segments are refused) (rule: fs_roots)`
        )
        const finished = events.filter((e) => e.name === "tool.finished").map((e) => e.payload as { errorTag?: string })
        assert.deepStrictEqual(finished.map((p) => p.errorTag), ["ToolPolicyDenied", undefined])
      } finally {
        fs.rmSync(root, { recursive: true, force: true })
      }
    }))
})
