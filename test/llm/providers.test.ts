/**
 * Provider-specific request encoding and configuration, checked on the wire: what each provider sends
 * for thinking, reasoning models, tool choice, structured output, headers and keys.
 */
import { assert, describe, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import type { ConfigError } from "../../src/kernel/Errors.js"
import type { Message, ModelRequest, ToolSpec } from "../../src/kernel/Transcript.js"
import * as AnthropicModel from "../../src/llm/AnthropicModel.js"
import type { Service } from "../../src/llm/LanguageModel.js"
import * as OpenAiChatModel from "../../src/llm/OpenAiChatModel.js"
import * as OpenAiResponsesModel from "../../src/llm/OpenAiResponsesModel.js"
import * as WireServer from "../../src/testing/WireServer.js"

const { Wire } = WireServer

const calc: ToolSpec = {
  name: "calc",
  description: "Evaluates arithmetic",
  parameters: { type: "object", properties: { expression: { type: "string" } }, required: ["expression"] }
}
const hi: ReadonlyArray<Message> = [{ _tag: "user", content: "Hi" }]
const req = (extra?: Partial<ModelRequest>): ModelRequest => ({ messages: hi, tools: [], ...extra })

/** Sends `requests` through `make(server)` and returns the bodies the server received. */
const bodies = (
  make: (server: WireServer.WireServer) => Effect.Effect<Service, ConfigError>,
  requests: ReadonlyArray<ModelRequest>
) =>
  Effect.gen(function* () {
    const server = yield* WireServer.make({ replies: requests.map(() => Wire.say("ok")) })
    const model = yield* make(server)
    for (const r of requests) yield* model.generate(r)
    return server.requests.map((r) => r.body)
  })

const emptyEnv = Effect.withConfigProvider(ConfigProvider.fromMap(new Map()))

describe("AnthropicModel request encoding", () => {
  const make = (options: Partial<AnthropicModel.Options>) => (server: WireServer.WireServer) =>
    AnthropicModel.make({ model: "claude-sonnet-4-6", apiKey: "k", baseUrl: server.anthropicBaseUrl, ...options })

  it.scoped("max_tokens: 4096 by default, the request's own limit, and the thinking budget on top", () =>
    Effect.gen(function* () {
      const [plain, limited] = yield* bodies(make({}), [req(), req({ maxTokens: 100 })])
      assert.strictEqual(plain.max_tokens, 4096)
      assert.isUndefined(plain.thinking)
      assert.strictEqual(limited.max_tokens, 100)
      const [t1, t2] = yield* bodies(make({ thinking: { budgetTokens: 1024 } }), [req(), req({ maxTokens: 500 })])
      assert.deepStrictEqual(t1.thinking, { type: "enabled", budget_tokens: 1024 })
      assert.strictEqual(t1.max_tokens, 1024 + 4096)
      assert.strictEqual(t2.max_tokens, 500 + 1024, "a request limit below the budget is for the answer")
      const [t3] = yield* bodies(make({ thinking: { budgetTokens: 2048 }, maxTokens: 8000 }), [req()])
      assert.strictEqual(t3.max_tokens, 8000)
    })
  )

  it.scoped("temperature, top_p and top_k are never sent; seed and reasoningModel are ignored", () =>
    Effect.gen(function* () {
      const [body] = yield* bodies(make({ temperature: 0.7, topP: 0.5, seed: 7, reasoningModel: true }), [req()])
      for (const k of ["temperature", "top_p", "top_k", "seed"]) assert.isUndefined(body[k], k)
    })
  )

  it.scoped("tool choice: auto, required -> any, none, a named tool; parallelToolCalls: false disables parallel use", () =>
    Effect.gen(function* () {
      const choices: ReadonlyArray<ModelRequest["toolChoice"]> = [undefined, "auto", "required", "none", { name: "calc" }]
      const sent = yield* bodies(make({}), choices.map((toolChoice) => req({ tools: [calc], toolChoice })))
      assert.deepStrictEqual(
        sent.map((b) => b.tool_choice),
        [undefined, { type: "auto" }, { type: "any" }, { type: "none" }, { type: "tool", name: "calc" }]
      )
      assert.deepStrictEqual(sent[0].tools, [{ name: "calc", description: calc.description, input_schema: calc.parameters }])
      const [serial, noTools] = yield* bodies(make({ parallelToolCalls: false }), [req({ tools: [calc] }), req()])
      assert.deepStrictEqual(serial.tool_choice, { type: "auto", disable_parallel_tool_use: true })
      assert.isUndefined(noTools.tool_choice)
      assert.isUndefined(noTools.tools)
    })
  )

  it.scoped("structured output goes to output_config.format; reasoningEffort to output_config.effort", () =>
    Effect.gen(function* () {
      const schema = { type: "object", properties: { answer: { type: "string" } }, required: ["answer"] }
      const [body] = yield* bodies(make({ reasoningEffort: "low" }), [req({ responseSchema: schema })])
      assert.deepStrictEqual(body.output_config, { effort: "low", format: { type: "json_schema", schema } })
    })
  )

  it.scoped("system messages join the system prompt; empty text, foreign and unsigned reasoning are not sent", () =>
    Effect.gen(function* () {
      const [body] = yield* bodies(make({}), [
        {
          system: "Base prompt.",
          tools: [],
          messages: [
            { _tag: "system", content: "Extra rule." },
            { _tag: "user", content: "Hi" },
            {
              _tag: "assistant",
              content: [
                { _tag: "reasoning", text: "from openai", provider: "openai", providerData: { id: "rs_1", type: "reasoning", summary: [] } },
                { _tag: "reasoning", text: "no signature", provider: "anthropic" },
                { _tag: "text", text: "" },
                { _tag: "text", text: "Hello." }
              ]
            },
            { _tag: "user", content: "Again" }
          ]
        }
      ])
      assert.strictEqual(body.system, "Base prompt.\n\nExtra rule.")
      assert.deepStrictEqual(body.messages, [
        { role: "user", content: "Hi" },
        { role: "assistant", content: [{ type: "text", text: "Hello." }] },
        { role: "user", content: "Again" }
      ])
    })
  )

  it.scoped("extra headers are sent; an api_base ending in /v1 is not doubled; auth is a bearer token", () =>
    Effect.gen(function* () {
      const server = yield* WireServer.make({ replies: [Wire.say("ok")] })
      const model = yield* AnthropicModel.make({
        model: "claude-sonnet-4-6",
        apiKey: "sk-ant-xyz",
        baseUrl: `${server.url}/v1/`,
        extraHeaders: { "x-team": "agents" }
      })
      yield* model.generate(req())
      const r = server.requests[0]!
      assert.strictEqual(r.path, "/v1/messages")
      assert.strictEqual(r.headers["x-team"], "agents")
      assert.strictEqual(r.headers["authorization"], "Bearer sk-ant-xyz")
      assert.strictEqual(r.headers["x-stainless-retry-count"], "0")
      assert.strictEqual(model.provider, "anthropic")
      assert.deepStrictEqual(model.pricing, { input: 3, output: 15, cachedRead: 0.3, cachedWrite: 3.75 })
    })
  )
})

describe("OpenAiChatModel request encoding", () => {
  const make = (options: Partial<OpenAiChatModel.Options>) => (server: WireServer.WireServer) =>
    OpenAiChatModel.make({ model: "gpt-4o", apiKey: "k", baseUrl: server.openAiBaseUrl, ...options })

  it.scoped("a non-reasoning model: max_tokens, temperature, top_p, seed", () =>
    Effect.gen(function* () {
      const [body] = yield* bodies(make({ temperature: 0.3, topP: 0.9, seed: 42, maxTokens: 256 }), [req()])
      assert.strictEqual(body.max_tokens, 256)
      assert.strictEqual(body.temperature, 0.3)
      assert.strictEqual(body.top_p, 0.9)
      assert.strictEqual(body.seed, 42)
      assert.isUndefined(body.max_completion_tokens)
    })
  )

  it.scoped("reasoning models (o-series, gpt-5*thinking*, reasoningModel: true): max_completion_tokens, no sampling", () =>
    Effect.gen(function* () {
      for (const options of [
        { model: "o3-mini" },
        { model: "o1" },
        { model: "gpt-5-thinking-mini" },
        { model: "my-reasoner", reasoningModel: true }
      ]) {
        const [body] = yield* bodies(make({ ...options, temperature: 0.3, topP: 0.9, seed: 1, maxTokens: 900, reasoningEffort: "high" }), [req()])
        assert.strictEqual(body.max_completion_tokens, 900, options.model)
        assert.strictEqual(body.reasoning_effort, "high")
        assert.strictEqual(body.seed, 1)
        for (const k of ["max_tokens", "temperature", "top_p"]) assert.isUndefined(body[k], `${options.model}: ${k}`)
      }
      const [forced] = yield* bodies(make({ model: "o1", reasoningModel: false, temperature: 0.3 }), [req()])
      assert.strictEqual(forced.temperature, 0.3, "reasoningModel: false overrides the name")
    })
  )

  it.scoped("tools, tool choice and parallel_tool_calls (only with tools); response_format json_schema", () =>
    Effect.gen(function* () {
      const schema = { title: "Final answer", type: "object", properties: { a: { type: "string" } } }
      const [withTools, named, noTools] = yield* bodies(make({ parallelToolCalls: false }), [
        req({ tools: [calc], toolChoice: "required" }),
        req({ tools: [calc], toolChoice: { name: "calc" } }),
        req({ responseSchema: schema })
      ])
      assert.strictEqual(withTools.tool_choice, "required")
      assert.strictEqual(withTools.parallel_tool_calls, false)
      assert.deepStrictEqual(named.tool_choice, { type: "function", function: { name: "calc" } })
      assert.isUndefined(noTools.parallel_tool_calls)
      assert.isUndefined(noTools.tools)
      assert.deepStrictEqual(noTools.response_format, { type: "json_schema", json_schema: { name: "Final_answer", schema } })
    })
  )
})

describe("OpenAiResponsesModel request encoding", () => {
  const make = (options: Partial<OpenAiResponsesModel.Options>) => (server: WireServer.WireServer) =>
    OpenAiResponsesModel.make({ model: "gpt-4o", apiKey: "k", baseUrl: server.openAiBaseUrl, ...options })

  it.scoped("a reasoning model asks for encrypted reasoning and a summary; others get sampling parameters", () =>
    Effect.gen(function* () {
      const [reasoning] = yield* bodies(make({ model: "o3", reasoningEffort: "medium", temperature: 0.5, maxTokens: 700 }), [req()])
      assert.deepStrictEqual(reasoning.reasoning, { summary: "auto", effort: "medium" })
      assert.deepStrictEqual(reasoning.include, ["reasoning.encrypted_content"])
      assert.strictEqual(reasoning.max_output_tokens, 700)
      assert.strictEqual(reasoning.store, false)
      assert.isUndefined(reasoning.temperature)
      const [plain] = yield* bodies(make({ temperature: 0.5, topP: 0.8, seed: 3 }), [req()])
      assert.strictEqual(plain.temperature, 0.5)
      assert.strictEqual(plain.top_p, 0.8)
      assert.isUndefined(plain.seed, "the Responses API has no seed")
      assert.isUndefined(plain.reasoning)
      assert.isUndefined(plain.include)
    })
  )

  it.scoped("tool choice by name, text.format for structured output, foreign reasoning not sent", () =>
    Effect.gen(function* () {
      const schema = { type: "object", properties: { a: { type: "string" } } }
      const [body] = yield* bodies(make({}), [
        {
          tools: [calc],
          toolChoice: { name: "calc" },
          responseSchema: schema,
          messages: [
            { _tag: "user", content: "Hi" },
            { _tag: "assistant", content: [{ _tag: "reasoning", text: "t", provider: "anthropic", signature: "sig" }, { _tag: "text", text: "Yo" }] },
            { _tag: "user", content: "Again" }
          ]
        }
      ])
      assert.deepStrictEqual(body.tool_choice, { type: "function", name: "calc" })
      assert.deepStrictEqual(body.text, { format: { type: "json_schema", name: "response", schema } })
      assert.deepStrictEqual(body.input, [
        { role: "user", content: "Hi" },
        { role: "assistant", content: "Yo" },
        { role: "user", content: "Again" }
      ])
    })
  )
})

describe("configuration", () => {
  it.effect("a missing API key is a ConfigError naming the env var", () =>
    Effect.gen(function* () {
      const a = yield* Effect.flip(emptyEnv(AnthropicModel.make({ model: "claude-sonnet-4-6" })))
      assert.strictEqual(a._tag, "ConfigError")
      assert.include(a.message, "ANTHROPIC_API_KEY")
      const o = yield* Effect.flip(emptyEnv(OpenAiChatModel.make({ model: "gpt-4o" })))
      assert.include(o.message, "OPENAI_API_KEY")
      const r = yield* Effect.flip(emptyEnv(OpenAiResponsesModel.make({ model: "gpt-4o", apiKeyEnv: "MY_KEY" })))
      assert.include(r.message, "MY_KEY")
      assert.include(r.hint ?? "", "MY_KEY")
    })
  )

  it.scoped("the key comes from the env var (through Effect's ConfigProvider); openai_compatible needs none", () =>
    Effect.gen(function* () {
      const server = yield* WireServer.make({ replies: [Wire.say("a"), Wire.say("b")] })
      const fromEnv = yield* AnthropicModel.make({ model: "claude-sonnet-4-6", apiKeyEnv: "TEAM_KEY", baseUrl: server.url }).pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["TEAM_KEY", "sk-from-env"]])))
      )
      yield* fromEnv.generate(req())
      assert.strictEqual(server.requests[0]!.headers["authorization"], "Bearer sk-from-env")
      const local = yield* emptyEnv(
        OpenAiChatModel.make({ provider: "openai_compatible", model: "llama3.2", baseUrl: server.url })
      )
      yield* local.generate(req())
      assert.strictEqual(server.requests[1]!.path, "/v1/chat/completions", "a bare origin gets /v1")
      assert.strictEqual(server.requests[1]!.headers["authorization"], "Bearer sk-no-key-required")
      assert.strictEqual(local.provider, "openai_compatible")
      assert.isUndefined(local.pricing, "no price for an unknown model without llm.pricing")
    })
  )

  it.effect("invalid options are reported together, under their config keys", () =>
    Effect.gen(function* () {
      const e = yield* Effect.flip(
        AnthropicModel.make({
          model: "",
          apiKey: "k",
          timeoutMs: -1,
          idleTimeoutMs: 1.5,
          baseUrl: "not a url",
          thinking: { budgetTokens: 512 }
        })
      )
      assert.deepStrictEqual(
        e.issues.map((i) => i.path),
        ["llm.model", "llm.timeout_ms", "llm.idle_timeout_ms", "llm.api_base", "llm.thinking.budget_tokens"]
      )
      const small = yield* Effect.flip(AnthropicModel.make({ model: "m", apiKey: "k", maxTokens: 1024, thinking: { budgetTokens: 2048 } }))
      assert.deepStrictEqual(small.issues.map((i) => i.path), ["llm.max_tokens"])
      const thinkingOnOpenAi = yield* Effect.flip(OpenAiChatModel.make({ model: "gpt-4o", apiKey: "k", thinking: { budgetTokens: 2048 } }))
      assert.deepStrictEqual(thinkingOnOpenAi.issues.map((i) => i.path), ["llm.thinking"])
      const label = yield* Effect.flip(OpenAiChatModel.make({ model: "gpt-4o", apiKey: "k", provider: "azure" as never }))
      assert.include(label.message, "llm.provider")
    })
  )

  it.effect("pricing: the table entry overridden field by field", () =>
    Effect.gen(function* () {
      const m = yield* AnthropicModel.make({ model: "claude-haiku-4-5", apiKey: "k", pricing: { output: 5 } })
      assert.deepStrictEqual(m.pricing, { input: 0.8, output: 5, cachedRead: 0.08, cachedWrite: 1 })
      const o = yield* OpenAiResponsesModel.make({ model: "gpt-4o-mini", apiKey: "k" })
      assert.deepStrictEqual(o.pricing, { input: 0.15, output: 0.6, cachedRead: 0.075 })
    })
  )
})

describe("connection refused", () => {
  it.scoped("a server that is not there: LlmConnection, retryable", () =>
    Effect.gen(function* () {
      const closed = yield* Effect.promise(() => WireServer.start())
      const url = closed.url
      yield* Effect.promise(() => closed.close())
      for (const model of [
        yield* AnthropicModel.make({ model: "claude-sonnet-4-6", apiKey: "k", baseUrl: url }),
        yield* OpenAiChatModel.make({ model: "gpt-4o", apiKey: "k", baseUrl: `${url}/v1` }),
        yield* OpenAiResponsesModel.make({ model: "gpt-4o", apiKey: "k", baseUrl: `${url}/v1` })
      ]) {
        const error = yield* Effect.flip(model.generate(req()))
        assert.strictEqual(error._tag, "LlmConnection")
        assert.isTrue(error.retryable)
        assert.match(error.message, /ECONNREFUSED|connect/i)
      }
    })
  )
})
