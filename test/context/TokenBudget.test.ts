import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { countTokens } from "gpt-tokenizer/encoding/o200k_base"
import type { ContextAssembler } from "../../src/context/ContextAssembler.js"
import * as TokenBudget from "../../src/context/TokenBudget.js"
import { RunRequest } from "../../src/kernel/Run.js"
import type { Message, ModelRequest } from "../../src/kernel/Transcript.js"
import * as AgentRuntime from "../../src/runtime/AgentRuntime.js"
import * as WindowBuffer from "../../src/memory/WindowBuffer.js"
import { recordingModel } from "../support/recordingModel.js"

const MODEL = "gpt-4o-mini" // counted with o200k_base
const count = (text: string) => countTokens(text)

/** The text gpt-tokenizer is asked to count for a message (its content, tool call name and arguments). */
const textOf = (m: Message): string =>
  m._tag === "assistant"
    ? m.content.map((p) => (p._tag === "tool_call" ? `${p.name} ${JSON.stringify(p.arguments)}` : p.text)).join("\n")
    : m.content

const SYSTEM = "You are a careful assistant. Answer briefly and cite the tool results you used. ".repeat(3)

/** 40 messages: user/assistant turns about numbered topics, with a tool call and its result in the middle. */
const history: ReadonlyArray<Message> = (() => {
  const out: Array<Message> = [{ _tag: "system", content: "Earlier notes: the user prefers metric units." }]
  for (let i = 0; i < 18; i++) {
    out.push({ _tag: "user", content: `Question ${i}: tell me something about topic number ${i} in two sentences.` })
    if (i === 9 || i === 16) {
      out.push({
        _tag: "assistant",
        content: [{ _tag: "tool_call", id: `call_${i}`, name: "lookup", arguments: { topic: i, detail: "full" } }]
      })
      out.push({ _tag: "tool", toolCallId: `call_${i}`, toolName: "lookup", content: `{"topic": ${i}, "facts": ["a", "b", "c"]}`, isError: false })
    }
    out.push({ _tag: "assistant", content: [{ _tag: "text", text: `Topic ${i} is interesting because of reasons ${i} and ${i + 1}.` }] })
  }
  return out
})()

const request = (inputText: string) => new RunRequest({ agentId: "a", sessionId: "s", inputText })

const assemble = (assembler: ContextAssembler["Type"], inputText = "And what about topic 99?", system = SYSTEM) =>
  assembler.assemble({ request: request(inputText), history, system, model: MODEL })

/** No tool result without its call right before it, and no call without all its results. */
const assertPairsWhole = (messages: ReadonlyArray<Message>) => {
  messages.forEach((m, i) => {
    if (m._tag === "tool") {
      let j = i - 1
      while (j >= 0 && messages[j]!._tag === "tool") j--
      const call = messages[j]
      assert.isTrue(
        call?._tag === "assistant" && call.content.some((p) => p._tag === "tool_call" && p.id === m.toolCallId),
        `tool result ${m.toolCallId} kept without its call`
      )
    }
    if (m._tag === "assistant") {
      for (const p of m.content) {
        if (p._tag === "tool_call") {
          assert.isTrue(messages.some((r) => r._tag === "tool" && r.toolCallId === p.id), `tool call ${p.id} kept without its result`)
        }
      }
    }
  })
}

const BUDGET = { maxInputTokens: 600, reserveForResponse: 100 } // 500 tokens for the input

const assemblers: ReadonlyArray<readonly [string, ContextAssembler["Type"]]> = [
  ["truncating", TokenBudget.truncating({ ...BUDGET, maxMessages: 30 })],
  ["sliding_window", TokenBudget.slidingWindow(BUDGET)],
  ["head_tail", TokenBudget.headTail({ ...BUDGET, headMessages: 3 })],
  ["importance_weighted", TokenBudget.importanceWeighted(BUDGET)]
]

describe("token-budget assemblers", () => {
  for (const [name, assembler] of assemblers) {
    it.effect(`${name} keeps the conversation under its budget, counted by gpt-tokenizer, tool pairs whole`, () =>
      Effect.gen(function*() {
        const input = "And what about topic 99?"
        const { messages, metadata } = yield* assemble(assembler, input)
        const sent = count(SYSTEM) + messages.reduce((n, m) => n + count(textOf(m)), 0) + count(input)
        assert.isAtMost(sent, 500, `${name}: ${sent} tokens sent`)
        assert.isAtMost(metadata["kept_tokens"] as number, 500)
        assert.isAbove(sent, 300, `${name} should use most of its budget (${sent})`)
        const all = count(SYSTEM) + history.reduce((n, m) => n + count(textOf(m)), 0) + count(input)
        assert.isAbove(all, 500, "the whole history would not fit")
        assert.strictEqual(metadata["assembler"], name)
        assert.strictEqual(metadata["token_counter"], "gpt-tokenizer:o200k_base")
        assert.strictEqual(metadata["budget_input_tokens"], 500)
        assert.isAbove(metadata["omitted_messages"] as number, 0)
        assertPairsWhole(messages)
      }))
  }

  it.effect("sliding_window keeps the newest messages; head_tail the first ones and a summary", () =>
    Effect.gen(function*() {
      const sliding = (yield* assemble(TokenBudget.slidingWindow(BUDGET))).messages
      assert.deepStrictEqual(sliding[sliding.length - 1], history[history.length - 1])
      const headTail = (yield* assemble(TokenBudget.headTail({ ...BUDGET, headMessages: 3 }))).messages
      assert.deepStrictEqual(headTail.slice(0, 3), history.slice(0, 3))
      assert.match((headTail[3] as { content: string }).content, /^Summary: omitted \d+ message\(s\) from the middle\.$/)
      assert.deepStrictEqual(headTail[headTail.length - 1], history[history.length - 1])
    }))

  it.effect("importance_weighted keeps the first system message and the tool results first", () =>
    Effect.gen(function*() {
      const { messages } = yield* assemble(TokenBudget.importanceWeighted({ maxInputTokens: 250, reserveForResponse: 0 }))
      assert.deepStrictEqual(messages[0], history[0])
      assert.isTrue(messages.some((m) => m._tag === "tool" && m.toolCallId === "call_9"), "the older tool pair outranks newer assistant text")
      assertPairsWhole(messages)
    }))

  it.effect("truncating counts messages (no token budget unless max_input_tokens is set) and prepends a summary", () =>
    Effect.gen(function*() {
      const { messages, metadata } = yield* TokenBudget.truncating({ maxMessages: 5 }).assemble({ request: request("hi"), history })
      assert.strictEqual(messages[0]!._tag, "system")
      assert.match((messages[0] as { content: string }).content, /^Summary: omitted \d+ older message\(s\)$/)
      assert.isAtMost(messages.length - 1, 5)
      assert.strictEqual(metadata["budget_input_tokens"], null)
      assertPairsWhole(messages.slice(1))
    }))

  it.effect("a latest user message that fills the budget is kept, and the history goes", () =>
    Effect.gen(function*() {
      const input = "word ".repeat(350)
      const { messages, metadata } = yield* assemble(TokenBudget.slidingWindow(BUDGET), input)
      assert.isAtMost(count(SYSTEM) + count(input), 500)
      assert.isAtMost(metadata["kept_tokens"] as number, 500)
      assert.isBelow(messages.length, 6)
      assert.isAtLeast(metadata["omitted_messages"] as number, history.length - 5)
    }))

  it.effect("a system prompt alone over the budget is a ConfigError saying so", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(assemble(
        TokenBudget.slidingWindow({ ...BUDGET, where: "agents[0].context_assembler" }),
        "hi",
        "A very long system prompt. ".repeat(200)
      ))
      assert.isTrue(Exit.isFailure(exit))
      const error = Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined
      assert.strictEqual(error?._tag, "ConfigError")
      assert.include(error?.message ?? "", "agents[0].context_assembler.config.max_input_tokens")
      assert.include(error?.message ?? "", "input budget of 500 tokens")
      assert.include(error?.message ?? "", "system prompt")
    }))

  it.effect("other models are counted with the chars/4 estimate", () =>
    Effect.gen(function*() {
      const { metadata } = yield* TokenBudget.slidingWindow(BUDGET).assemble({
        request: request("hi"),
        history,
        system: SYSTEM,
        model: "claude-sonnet-4-6"
      })
      assert.strictEqual(metadata["token_counter"], "estimate:chars/4")
    }))

  it.effect("an orphan tool result is dropped", () =>
    Effect.gen(function*() {
      const orphan: Message = { _tag: "tool", toolCallId: "gone", toolName: "lookup", content: "{}", isError: false }
      const { messages, metadata } = yield* TokenBudget.slidingWindow(BUDGET).assemble({
        request: request("hi"),
        history: [orphan, ...history.slice(-2)],
        model: MODEL
      })
      assert.isFalse(messages.some((m) => m === orphan))
      assert.strictEqual(metadata["dropped_orphan_tool_results"], 1)
    }))

  it.scoped("in a run, an impossible budget fails the run with the ConfigError", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      const r = yield* rt.runDetailed({ agentId: "a", sessionId: "s", inputText: "hi" })
      assert.strictEqual(r.stopReason, "failed")
      assert.strictEqual(r.error?.tag, "ConfigError")
      assert.include(r.error?.message ?? "", "cannot hold what every request carries")
    }).pipe(Effect.provide(AgentRuntime.layerInMemory({
      agents: [{
        id: "a",
        instructions: SYSTEM,
        model: recordingModel([], { model: MODEL }),
        contextAssembler: TokenBudget.layerSlidingWindow({ maxInputTokens: 100, reserveForResponse: 50 })
      }]
    }))))

  const requests: Array<ModelRequest> = []
  it.scoped("in a run, the model gets the latest user message and a conversation within the budget", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      for (let i = 0; i < 12; i++) {
        const r = yield* rt.runDetailed({ agentId: "a", sessionId: "s", inputText: `Turn ${i}: please remember that item ${i} is a ${"long ".repeat(8)}thing.` })
        assert.strictEqual(r.stopReason, "completed")
      }
      const last = requests[requests.length - 1]!
      const sent = count(last.system ?? "") + last.messages.reduce((n, m) => n + count(textOf(m)), 0)
      assert.isAtMost(sent, 300)
      assert.include(last.system ?? "", "careful assistant")
      assert.deepStrictEqual(last.messages[last.messages.length - 1], {
        _tag: "user",
        content: `Turn 11: please remember that item 11 is a ${"long ".repeat(8)}thing.`
      })
      assert.isBelow(last.messages.length, 23, "older turns were dropped")
      assert.isAbove(last.messages.length, 2, "newer turns were kept")
    }).pipe(Effect.provide(AgentRuntime.layerInMemory({
      agents: [{
        id: "a",
        instructions: SYSTEM,
        model: recordingModel(requests, { model: MODEL }),
        memory: WindowBuffer.layer({ windowSize: 50 }),
        contextAssembler: TokenBudget.layerSlidingWindow({ maxInputTokens: 400, reserveForResponse: 100 })
      }]
    }))))
})
