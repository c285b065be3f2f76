import * as OpenAiChatModel from "../../src/llm/OpenAiChatModel.js"
import { describe, it } from "@effect/vitest"
import { Conformance } from "../../src/testing/index.js"

// Cost of COST_USAGE on gpt-4o ($/Mtok: input 2.50, output 10, cache read 1.25, no cache-write rate:
// the input rate applies). On the wire: prompt_tokens = 1000 (cached included), cached_tokens = 600,
// cache_write_tokens = 100, completion_tokens = 200, reasoning_tokens = 50 (part of the 200).
//   plain input  (1000 - 600 - 100) * 2.50 / 1e6 = 0.000750
//   cache read    600 * 1.25 / 1e6               = 0.000750
//   cache write   100 * 2.50 / 1e6               = 0.000250
//   output        200 * 10   / 1e6               = 0.002000
//   total                                        = 0.003750
Conformance.run(
  { describe, it },
  Conformance.httpTarget({
    name: "openai chat completions",
    protocol: "chat",
    provider: "openai",
    apiKeyEnv: "OPENAI_API_KEY",
    reasoning: "surfaced",
    layer: (server) =>
      OpenAiChatModel.layer({ model: "gpt-4o", apiKey: "sk-test", baseUrl: server.openAiBaseUrl }),
    cost: {
      usage: { inputTokens: 1000, outputTokens: 200, cachedInputTokens: 600, cacheCreationInputTokens: 100, reasoningTokens: 50 },
      costUsd: 0.00075 + 0.00075 + 0.00025 + 0.002
    }
  })
)
