/**
 * The example configs (examples/anthropic.json, openai.json, openai-compatible.json) run end to end
 * through the config loader and the runtime, against the wire server (their `api_base` reads an env
 * var, as when running them by hand against `test/support/wire-server-main.ts`).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Plugins from "../../src/config/Plugins.js"
import * as AgentRuntime from "../../src/runtime/AgentRuntime.js"
import * as WireServer from "../../src/testing/WireServer.js"

const { Wire } = WireServer

const examples = [
  { file: "anthropic", path: "/v1/messages", env: (s: WireServer.WireServer) => ({ ANTHROPIC_BASE_URL: s.url, ANTHROPIC_API_KEY: "sk-ant-local" }), auth: "Bearer sk-ant-local" },
  { file: "openai", path: "/v1/responses", env: (s: WireServer.WireServer) => ({ OPENAI_BASE_URL: s.openAiBaseUrl, OPENAI_API_KEY: "sk-local" }), auth: "Bearer sk-local" },
  { file: "openai-compatible", path: "/v1/chat/completions", env: (s: WireServer.WireServer) => ({ LOCAL_LLM_BASE_URL: s.openAiBaseUrl }), auth: "Bearer sk-no-key-required" }
] as const

describe("examples/<provider>.json against the wire server", () => {
  for (const ex of examples) {
    it.scoped(`examples/${ex.file}.json: a calc round trip`, () =>
      Effect.gen(function* () {
        const server = yield* WireServer.make({
          replies: [Wire.message([Wire.toolCall("call_1", "calc", { expression: "6*7" })]), Wire.say("6*7 is 42.")]
        })
        const env = ex.env(server)
        const saved: Record<string, string | undefined> = {}
        yield* Effect.acquireRelease(
          Effect.sync(() => {
            for (const [k, v] of Object.entries(env)) {
              saved[k] = process.env[k]
              process.env[k] = v
            }
          }),
          () =>
            Effect.sync(() => {
              for (const [k, v] of Object.entries(saved)) {
                if (v === undefined) delete process.env[k]
                else process.env[k] = v
              }
            })
        )
        const result = yield* Effect.gen(function* () {
          const rt = yield* AgentRuntime.AgentRuntime
          return yield* rt.runDetailed({ agentId: "assistant", sessionId: "s", inputText: "What is 6*7?" })
        }).pipe(Effect.provide(Plugins.runtimeLayer(`examples/${ex.file}.json`)))
        assert.strictEqual(result.stopReason, "completed", JSON.stringify(result.error ?? null))
        assert.strictEqual(result.finalOutput, "6*7 is 42.")
        assert.strictEqual(server.requests.length, 2)
        for (const r of server.requests) {
          assert.strictEqual(r.path, ex.path)
          assert.strictEqual(r.headers["authorization"], ex.auth)
        }
      })
    )
  }
})
