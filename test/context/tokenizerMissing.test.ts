/**
 * Without the optional peer gpt-tokenizer: `auto` falls back to the chars/4 estimate and says so in the
 * metadata; `tokenizer` is a ConfigError naming the package.
 */
import { assert, describe, it } from "@effect/vitest"
import { vi } from "vitest"
import { Effect } from "effect"
import * as TokenBudget from "../../src/context/TokenBudget.js"
import { RunRequest } from "../../src/kernel/Run.js"

vi.mock("gpt-tokenizer/encoding/o200k_base", () => {
  throw new Error("Cannot find package 'gpt-tokenizer'")
})

const input = { request: new RunRequest({ agentId: "a", inputText: "hi" }), history: [], system: "Be brief.", model: "gpt-4o" }

describe("token counting without gpt-tokenizer", () => {
  it.effect("auto falls back to the estimate", () =>
    Effect.gen(function*() {
      const { metadata } = yield* TokenBudget.slidingWindow().assemble(input)
      assert.strictEqual(metadata["token_counter"], "estimate:chars/4")
    }))

  it.effect("tokenizer is a ConfigError naming the package", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(TokenBudget.slidingWindow({ tokenCounter: "tokenizer" }).assemble(input))
      assert.strictEqual(error._tag, "ConfigError")
      assert.include(error.message, "needs the gpt-tokenizer package")
      assert.include(error.hint ?? "", "npm install gpt-tokenizer")
    }))
})
