/**
 * The mock's script semantics: the position follows the conversation (the assistant messages in the
 * request), never a counter of the process; error steps belong to the attempts of one conversation.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import type { Message, ModelRequest, ModelResponse } from "../../src/kernel/Transcript.js"
import { responseText, responseToolCalls } from "../../src/kernel/Transcript.js"
import * as LanguageModel from "../../src/llm/LanguageModel.js"
import * as MockModel from "../../src/llm/MockModel.js"
import { AgentRuntime } from "../../src/runtime/AgentRuntime.js"
import { SessionStore } from "../../src/sessions/SessionStore.js"
import { Add, runtimeLayer } from "../support/runtime.js"

const user = (content: string): Message => ({ _tag: "user", content })
const request = (messages: ReadonlyArray<Message>): ModelRequest => ({ messages, tools: [] })
/** The conversation after the model's response and, for its tool calls, their results. */
const answered = (messages: ReadonlyArray<Message>, response: ModelResponse): Array<Message> => [
  ...messages,
  { _tag: "assistant", content: response.content },
  ...responseToolCalls(response).map((c): Message => ({ _tag: "tool", toolCallId: c.id, toolName: c.name, content: "ok", isError: false }))
]

const script: ReadonlyArray<MockModel.MockStep> = [
  { toolCalls: [{ name: "step", arguments: { n: 1 } }] },
  { error: { kind: "rate_limit", retryAfterMs: 10 } },
  { error: { kind: "overloaded" } },
  { toolCalls: [{ name: "step", arguments: { n: 2 } }] },
  { text: "all done" }
]

/** Drives a conversation to its end, retrying every failed call; the errors met on the way. */
const converse = (model: LanguageModel.Service, input: string) =>
  Effect.gen(function*() {
    let messages: Array<Message> = [user(input)]
    const errors: Array<string> = []
    for (let calls = 0; calls < 10; calls++) {
      const result = yield* Effect.either(model.generate(request(messages)))
      if (Either.isLeft(result)) {
        errors.push(result.left._tag)
        continue
      }
      messages = answered(messages, result.right)
      if (responseToolCalls(result.right).length === 0) break
    }
    return { messages, errors }
  })

describe("MockModel script", () => {
  it.effect("plays the turn its conversation is at: a new instance continues a conversation mid-script", () =>
    Effect.gen(function*() {
      const first = yield* MockModel.make({ script })
      const r0 = yield* first.generate(request([user("go")]))
      assert.deepStrictEqual(responseToolCalls(r0).map((c) => [c.id, c.arguments]), [["call_0_0", { n: 1 }]])
      // a "restarted process": a fresh model, given the conversation so far, plays the second turn
      const second = yield* MockModel.make({ script })
      const conversation = answered([user("go")], r0)
      assert.strictEqual((yield* Effect.flip(second.generate(request(conversation))))._tag, "LlmRateLimited")
      assert.strictEqual((yield* Effect.flip(second.generate(request(conversation))))._tag, "LlmOverloaded")
      const r1 = yield* second.generate(request(conversation))
      assert.deepStrictEqual(responseToolCalls(r1).map((c) => [c.id, c.arguments]), [["call_1_0", { n: 2 }]])
      const third = yield* MockModel.make({ script })
      assert.strictEqual(responseText(yield* third.generate(request(answered(conversation, r1)))), "all done")
    }))

  it.effect("a retried call meets the turn's errors in order, then the answer", () =>
    Effect.gen(function*() {
      const model = yield* MockModel.make({ script })
      const { errors, messages } = yield* converse(model, "go")
      assert.deepStrictEqual(errors, ["LlmRateLimited", "LlmOverloaded"])
      assert.deepStrictEqual(messages.map((m) => m._tag), ["user", "assistant", "tool", "assistant", "tool", "assistant"])
      assert.deepStrictEqual(messages.at(-1), { _tag: "assistant", content: [{ _tag: "text", text: "all done" }] })
    }))

  it.effect("a conversation answered forgets its attempts: the same conversation again meets the errors again", () =>
    Effect.gen(function*() {
      const model = yield* MockModel.make({ script })
      const once = yield* converse(model, "go")
      const twice = yield* converse(model, "go")
      assert.deepStrictEqual(twice, once)
    }))

  it.effect("two interleaved conversations on one model each get their own steps", () =>
    Effect.gen(function*() {
      const model = yield* MockModel.make({ script })
      const alone = yield* converse(yield* MockModel.make({ script }), "a")
      // step both conversations call by call, alternating
      let a: Array<Message> = [user("a")]
      let b: Array<Message> = [user("b")]
      const errors: Record<string, Array<string>> = { a: [], b: [] }
      const advance = (name: "a" | "b", messages: Array<Message>) =>
        Effect.map(Effect.either(model.generate(request(messages))), (r) => {
          if (Either.isLeft(r)) {
            errors[name]!.push(r.left._tag)
            return messages
          }
          return answered(messages, r.right)
        })
      for (let i = 0; i < 5; i++) {
        a = yield* advance("a", a)
        b = yield* advance("b", b)
      }
      assert.deepStrictEqual(a, alone.messages)
      assert.deepStrictEqual(b.map((m) => m._tag), alone.messages.map((m) => m._tag))
      assert.deepStrictEqual(errors, { a: alone.errors, b: alone.errors })
    }))

  it.effect("past the end of the script every call plays the last step", () =>
    Effect.gen(function*() {
      const model = yield* MockModel.make({ script: [{ text: "one" }, { text: "two" }] })
      let messages: Array<Message> = [user("x")]
      const texts: Array<string> = []
      for (let i = 0; i < 4; i++) {
        const r = yield* model.generate(request(messages))
        texts.push(responseText(r))
        messages = [...answered(messages, r), user("again")]
      }
      assert.deepStrictEqual(texts, ["one", "two", "two", "two"])
      const failing = yield* MockModel.make({ script: [{ error: { kind: "connection" } }, { error: { kind: "auth" } }] })
      const tags: Array<string> = []
      for (let i = 0; i < 3; i++) tags.push((yield* Effect.flip(failing.generate(request([user("x")]))))._tag)
      assert.deepStrictEqual(tags, ["LlmConnection", "LlmAuth", "LlmAuth"])
    }))

  it.effect("delays are on the Effect clock, for errors and answers alike", () =>
    Effect.gen(function*() {
      const model = yield* MockModel.make({
        script: [{ error: { kind: "timeout" }, delayMs: 1000 }, { text: "late", delayMs: 5000 }]
      })
      const first = yield* Effect.fork(Effect.either(model.generate(request([user("x")]))))
      yield* TestClock.adjust("999 millis")
      assert.isNull(first.unsafePoll())
      yield* TestClock.adjust("1 millis")
      const failed = yield* Fiber.join(first)
      assert.isTrue(Either.isLeft(failed) && failed.left._tag === "LlmTimeout")
      const second = yield* Effect.fork(model.generate(request([user("x")])))
      yield* TestClock.adjust("4999 millis")
      assert.isNull(second.unsafePoll())
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(responseText(yield* Fiber.join(second)), "late")
    }))

  it.effect("streamTo pushes the text word by word, then returns the response; stream and generate agree", () =>
    Effect.gen(function*() {
      const model = yield* MockModel.make({ script: [{ text: "one two  three" }] })
      assert.isDefined(model.streamTo)
      const pushed: Array<string> = []
      const response = yield* LanguageModel.streamTo(
        model,
        request([user("x")]),
        (d) => Effect.sync(() => pushed.push(d.text))
      )
      assert.deepStrictEqual(pushed, ["one ", "two  ", "three"])
      assert.strictEqual(responseText(response), "one two  three")
      const events = yield* Stream.runCollect(model.stream(request([user("x")])))
      assert.deepStrictEqual(
        [...events].map((e) => (e._tag === "Finished" ? responseText(e.response) : e.text)),
        ["one ", "two  ", "three", "one two  three"]
      )
      assert.deepStrictEqual(yield* model.generate(request([user("x")])), response)
    }))

  it.effect("without a script it echoes, and tool call ids follow the conversation", () =>
    Effect.gen(function*() {
      const model = yield* MockModel.make()
      const r = yield* model.generate(request([user("hi"), { _tag: "assistant", content: [{ _tag: "text", text: "x" }] }, user("/tool calc {\"a\": 1}")]))
      assert.deepStrictEqual(responseToolCalls(r).map((c) => [c.id, c.name, c.arguments]), [["call_1_0", "calc", { a: 1 }]])
    }))
})

describe("MockModel in a runtime", () => {
  // window_buffer memory gives a run one assistant message per earlier turn of its session
  it.effect("history counts: a second run of a session starts one turn further in the script", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime
      assert.strictEqual(yield* rt.run({ agentId: "a", sessionId: "s", inputText: "x" }), "one")
      assert.strictEqual(yield* rt.run({ agentId: "a", sessionId: "s", inputText: "x" }), "two")
      assert.strictEqual(yield* rt.run({ agentId: "a", sessionId: "other", inputText: "x" }), "one")
      assert.strictEqual(yield* rt.run({ agentId: "a", sessionId: "s", inputText: "x" }), "two")
    }).pipe(Effect.provide(runtimeLayer([{ id: "a", model: MockModel.layer({ script: [{ text: "one" }, { text: "two" }] }) }]))))

  // with a script position counted by the process, concurrent sessions took each other's steps
  it.live("concurrent sessions on one scripted model each play the whole script, a retry meeting its scripted error", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const store = yield* SessionStore
      const sessions = Array.from({ length: 8 }, (_, i) => `s${i}`)
      const results = yield* Effect.forEach(
        sessions,
        // distinct inputs: conversations identical word for word would share one attempt count
        (sessionId) => rt.runDetailed({ agentId: "a", sessionId, inputText: `add, for ${sessionId}` }),
        { concurrency: "unbounded" }
      )
      for (const r of results) {
        assert.strictEqual(r.stopReason, "completed", JSON.stringify(r.error))
        assert.strictEqual(r.finalOutput, "3")
        assert.strictEqual(r.usage.toolCalls, 1)
      }
      for (const sessionId of sessions) {
        const messages = (yield* store.loadMessages(sessionId)).map((m) => m.message)
        assert.deepStrictEqual(messages.map((m) => m._tag), ["user", "assistant", "tool", "assistant"], sessionId)
        assert.deepStrictEqual(messages[1], {
          _tag: "assistant",
          content: [{ _tag: "tool_call", id: "call_0_0", name: "add", arguments: { a: 1, b: 2 } }]
        })
      }
    }).pipe(Effect.provide(runtimeLayer([{
      id: "a",
      tools: [Add],
      retry: { initialBackoffMs: 0, maxBackoffMs: 0 },
      model: MockModel.layer({
        script: [
          { toolCalls: [{ name: "add", arguments: { a: 1, b: 2 } }] },
          { error: { kind: "overloaded" } },
          { text: "3" }
        ]
      })
    }]))))
})
