import * as AnthropicModel from "../../src/llm/AnthropicModel.js"
import { describe, it } from "@effect/vitest"
import { Conformance } from "../../src/testing/index.js"

// Cost of COST_USAGE on claude-sonnet-4-6 ($/Mtok: input 3, output 15, cache read 0.30, cache write 3.75).
// On the wire: input_tokens = 1000 - 600 - 100 = 300, cache_read_input_tokens = 600,
// cache_creation_input_tokens = 100, output_tokens = 200, thinking_tokens = 50 (part of the 200).
//   inputTokens = 300 + 600 + 100                  = 1000
//   plain input  300 * 3    / 1e6 = 0.000900
//   cache read   600 * 0.30 / 1e6 = 0.000180
//   cache write  100 * 3.75 / 1e6 = 0.000375
//   output       200 * 15   / 1e6 = 0.003000   (reasoning not added again)
//   total                          = 0.004455
Conformance.run(
  { describe, it },
  Conformance.httpTarget({
    name: "anthropic",
    protocol: "anthropic",
    provider: "anthropic",
    apiKeyEnv: "WIRE_ANTHROPIC_KEY",
    reasoning: "signed",
    layer: (server, variant) =>
      AnthropicModel.layer({
        model: "claude-sonnet-4-6",
        apiKey: "sk-ant-test",
        apiKeyEnv: "WIRE_ANTHROPIC_KEY",
        baseUrl: server.anthropicBaseUrl,
        // Never sent: the 2026-10-21 API rejects sampling parameters.
        temperature: 0.2,
        topP: 0.9,
        ...(variant === "reasoning" ? { thinking: { budgetTokens: 1024 } } : {})
      }),
    cost: {
      usage: { inputTokens: 1000, outputTokens: 200, cachedInputTokens: 600, cacheCreationInputTokens: 100, reasoningTokens: 50 },
      costUsd: 0.0009 + 0.00018 + 0.000375 + 0.003
    }
  })
)
