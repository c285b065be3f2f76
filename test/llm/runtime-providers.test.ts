/**
 * Runtime-level tool loops: an agent whose model is a real provider Layer pointed at the wire server,
 * with the builtin calc tool, driven by `AgentRuntime` (which streams every model call).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Layer from "effect/Layer"
import type { ConfigError } from "../../src/kernel/Errors.js"
import * as AnthropicModel from "../../src/llm/AnthropicModel.js"
import type { LanguageModel } from "../../src/llm/LanguageModel.js"
import * as OpenAiChatModel from "../../src/llm/OpenAiChatModel.js"
import * as OpenAiResponsesModel from "../../src/llm/OpenAiResponsesModel.js"
import * as AgentRuntime from "../../src/runtime/AgentRuntime.js"
import * as Calc from "../../src/tools/builtin/Calc.js"
import * as WireServer from "../../src/testing/WireServer.js"
import type { Protocol } from "../../src/testing/WireServer.js"
import { driveClock } from "../../src/testing/Timing.js"

const { Wire } = WireServer

const providers: ReadonlyArray<{
  readonly name: string
  readonly protocol: Protocol
  readonly thinking: boolean
  readonly layer: (server: WireServer.WireServer) => Layer.Layer<LanguageModel, ConfigError>
}> = [
  {
    name: "anthropic (thinking)",
    protocol: "anthropic",
    thinking: true,
    layer: (s) =>
      AnthropicModel.layer({ model: "claude-sonnet-4-6", apiKey: "k", baseUrl: s.anthropicBaseUrl, thinking: { budgetTokens: 1024 } })
  },
  {
    name: "openai chat",
    protocol: "chat",
    thinking: false,
    layer: (s) => OpenAiChatModel.layer({ model: "gpt-4o", apiKey: "k", baseUrl: s.openAiBaseUrl })
  },
  {
    name: "openai responses (reasoning)",
    protocol: "responses",
    thinking: true,
    layer: (s) => OpenAiResponsesModel.layer({ model: "o3", apiKey: "k", baseUrl: s.openAiBaseUrl })
  }
]

describe("runtime over real providers", () => {
  for (const p of providers) {
    it.scoped(`${p.name}: a ten-round calc loop through AgentRuntime`, () =>
      Effect.gen(function* () {
        const rounds = 10
        const replies = Wire.countingLoop(rounds, p.thinking, "Round")
        const server = yield* WireServer.make({ replies })
        const result = yield* Effect.gen(function* () {
          const rt = yield* AgentRuntime.AgentRuntime
          return yield* rt.runDetailed({ agentId: "counter", sessionId: "s1", inputText: "Count to ten with calc." })
        }).pipe(
          Effect.provide(
            AgentRuntime.layerInMemory({
              agents: [
                { id: "counter", instructions: "Use calc.", model: p.layer(server), tools: [Calc.make()], maxSteps: 16 }
              ]
            })
          )
        )
        assert.strictEqual(result.stopReason, "completed", JSON.stringify(result.error ?? null))
        assert.strictEqual(result.finalOutput, "Counted to ten.")
        assert.strictEqual(result.usage.llmCalls, rounds + 1)
        assert.strictEqual(result.usage.toolCalls, rounds)
        assert.strictEqual(server.requests.length, rounds + 1)
        assert.isTrue(server.requests.every((r) => r.stream), "the runtime streams")
        const body = server.requests[rounds]!.body
        if (p.protocol === "anthropic") {
          const thinking = body.messages.flatMap((m: any) =>
            Array.isArray(m.content) ? m.content.filter((b: any) => b.type === "thinking") : []
          )
          assert.deepStrictEqual(
            thinking.map((b: any) => b.signature),
            Array.from({ length: rounds }, (_, i) => `sig-${i}`)
          )
          const results = body.messages.flatMap((m: any) =>
            Array.isArray(m.content) ? m.content.filter((b: any) => b.type === "tool_result") : []
          )
          assert.strictEqual(results.length, rounds)
          assert.include(results[9].content, "10")
        } else if (p.protocol === "chat") {
          assert.strictEqual(body.messages.filter((m: any) => m.role === "tool").length, rounds)
        } else {
          assert.deepStrictEqual(
            body.input.filter((i: any) => i.type === "reasoning").map((i: any) => i.encrypted_content),
            Array.from({ length: rounds }, (_, i) => `sig-${i}`)
          )
          assert.strictEqual(body.input.filter((i: any) => i.type === "function_call_output").length, rounds)
        }
      })
    )
  }

  it.scoped("a run failed by a provider that keeps answering 429: the error's hint says so (TestClock)", () =>
    Effect.gen(function* () {
      const server = yield* WireServer.make({
        replies: [Wire.rateLimited({ retryAfterMs: 700 }), Wire.rateLimited({ retryAfterMs: 700 }), Wire.rateLimited({ retryAfterMs: 700 })]
      })
      const run = Effect.gen(function* () {
        const rt = yield* AgentRuntime.AgentRuntime
        return yield* rt.runDetailed({ agentId: "a", sessionId: "s1", inputText: "Hi" })
      }).pipe(
        Effect.provide(
          AgentRuntime.layerInMemory({
            agents: [{ id: "a", model: OpenAiChatModel.layer({ model: "gpt-4o", apiKey: "k", baseUrl: server.openAiBaseUrl }) }]
          })
        )
      )
      const exit = yield* driveClock(yield* Effect.fork(run))
      assert.isTrue(Exit.isSuccess(exit))
      const result = yield* exit
      assert.strictEqual(server.requests.length, 3)
      assert.strictEqual(result.stopReason, "failed")
      assert.strictEqual(result.error?.tag, "LlmRateLimited")
      // 3 attempts (the default), waits of 700 ms (retry-after over the 500 ms backoff) and 1000 ms.
      assert.match(
        result.error?.hint ?? "",
        /^gave up after 3 attempts over 1\.7 s: the provider kept answering 429 \(rate limited\) \(it last asked to wait 700 ms\); raise llm\.retry\.max_attempts \(now 3\)/
      )
    })
  )
})
