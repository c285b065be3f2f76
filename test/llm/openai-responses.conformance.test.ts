import * as OpenAiResponsesModel from "../../src/llm/OpenAiResponsesModel.js"
import { describe, it } from "@effect/vitest"
import { Conformance } from "../../src/testing/index.js"

// Cost of COST_USAGE on o1 ($/Mtok: input 15, output 60, cache read 7.50, no cache-write rate: the
// input rate applies). On the wire: input_tokens = 1000 (cached included), cached_tokens = 600,
// cache_write_tokens = 100, output_tokens = 200, reasoning_tokens = 50 (part of the 200).
//   plain input  (1000 - 600 - 100) * 15 / 1e6 = 0.0045
//   cache read    600 * 7.50 / 1e6             = 0.0045
//   cache write   100 * 15   / 1e6             = 0.0015
//   output        200 * 60   / 1e6             = 0.0120
//   total                                      = 0.0225
Conformance.run(
  { describe, it },
  Conformance.httpTarget({
    name: "openai responses",
    protocol: "responses",
    provider: "openai",
    apiKeyEnv: "OPENAI_API_KEY",
    reasoning: "items",
    layer: (server, variant) =>
      OpenAiResponsesModel.layer({
        model: variant === "cost" ? "o1" : variant === "reasoning" ? "o3" : "gpt-4o",
        apiKey: "sk-test",
        baseUrl: server.openAiBaseUrl
      }),
    cost: {
      usage: { inputTokens: 1000, outputTokens: 200, cachedInputTokens: 600, cacheCreationInputTokens: 100, reasoningTokens: 50 },
      costUsd: 0.0045 + 0.0045 + 0.0015 + 0.012
    }
  })
)
