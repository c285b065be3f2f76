import { describe, it } from "@effect/vitest"
import { Conformance } from "../../src/testing/index.js"

// The mock has no cache writes and no reasoning: with the price below ($/Mtok: input 3, output 15,
// cache read 0.30) and the scripted usage (1000 input of which 600 cached, 200 output):
//   plain input  (1000 - 600) * 3 / 1e6 = 0.00120
//   cache read    600 * 0.30  / 1e6     = 0.00018
//   output        200 * 15    / 1e6     = 0.00300
//   total                               = 0.00438
Conformance.run(
  { describe, it },
  Conformance.mockTarget(
    {
      usage: { inputTokens: 1000, outputTokens: 200, cachedInputTokens: 600, cacheCreationInputTokens: 0, reasoningTokens: 0 },
      costUsd: 0.0012 + 0.00018 + 0.003
    },
    { input: 3, output: 15, cachedRead: 0.3 }
  )
)
