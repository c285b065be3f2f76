import * as OpenAiChatModel from "../../src/llm/OpenAiChatModel.js"
import { describe, it } from "@effect/vitest"
import { Conformance } from "../../src/testing/index.js"

// An OpenAI-compatible server (vLLM, Ollama, LiteLLM, OpenRouter) with no API key, a model the price
// table does not know, and a price given in the config ($/Mtok: input 0.50, output 1.50; no cache
// rates: both default to the input rate).
//   plain input  (1000 - 600 - 100) * 0.50 / 1e6 = 0.000150
//   cache read    600 * 0.50 / 1e6               = 0.000300
//   cache write   100 * 0.50 / 1e6               = 0.000050
//   output        200 * 1.50 / 1e6               = 0.000300
//   total                                        = 0.000800
Conformance.run(
  { describe, it },
  Conformance.httpTarget({
    name: "openai_compatible (chat, no API key)",
    protocol: "chat",
    provider: "openai_compatible",
    apiKeyEnv: "LOCAL_LLM_KEY",
    reasoning: "surfaced",
    layer: (server, variant) =>
      OpenAiChatModel.layer({
        provider: "openai_compatible",
        model: "qwen2.5-7b-instruct",
        apiKeyEnv: "LOCAL_LLM_KEY",
        // A bare origin: the provider adds /v1 as OpenAI-compatible servers expect.
        baseUrl: server.url,
        ...(variant === "cost" ? { pricing: { input: 0.5, output: 1.5 } } : {})
      }),
    cost: {
      usage: { inputTokens: 1000, outputTokens: 200, cachedInputTokens: 600, cacheCreationInputTokens: 100, reasoningTokens: 50 },
      costUsd: 0.00015 + 0.0003 + 0.00005 + 0.0003
    }
  })
)
