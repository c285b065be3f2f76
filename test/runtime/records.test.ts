import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import { RunUsage } from "../../src/kernel/Run.js"
import { JournalEntry, SessionMessage } from "../../src/kernel/Session.js"
import * as Records from "../../src/runtime/internal/records.js"

describe("the run's hot records (recordMaker)", () => {
  const fields = {
    llmCalls: 2,
    toolCalls: 1,
    inputTokens: 10,
    outputTokens: 4,
    totalTokens: 14,
    inputTokensCached: 3,
    inputTokensCacheCreation: 0,
    costUsd: 0.5,
    costBreakdown: { input: 0.3, output: 0.2 }
  }

  it("a usage is what the class's constructor makes: prototype, instanceof, fields, encoding", () => {
    const made = Records.usage(fields)
    const constructed = new RunUsage(fields)
    assert.isTrue(made instanceof RunUsage)
    assert.strictEqual(Object.getPrototypeOf(made), RunUsage.prototype)
    assert.deepStrictEqual(made, constructed)
    assert.deepStrictEqual(Object.keys(made), Object.keys(constructed))
    assert.deepStrictEqual(Schema.encodeSync(RunUsage)(made), Schema.encodeSync(RunUsage)(constructed))
    assert.deepStrictEqual(Schema.decodeUnknownSync(RunUsage)(Schema.encodeSync(RunUsage)(made)), constructed)
  })

  it("withToolCall counts one more tool call and leaves the rest", () => {
    const before = new RunUsage(fields)
    const after = Records.withToolCall(before)
    assert.deepStrictEqual(after, new RunUsage({ ...fields, toolCalls: 2 }))
    assert.strictEqual(before.toolCalls, 1)
  })

  it("journal entries and session messages are their classes' instances", () => {
    const entry = Records.journalEntry({ runId: "r", seq: 3, kind: "tool", payload: { callId: "c" }, timestampMs: 7 })
    assert.deepStrictEqual(entry, new JournalEntry({ runId: "r", seq: 3, kind: "tool", payload: { callId: "c" }, timestampMs: 7 }))
    assert.isTrue(Schema.is(JournalEntry)(entry))
    const message = Records.sessionMessage({ runId: "r", agentId: "a", message: { _tag: "user", content: "hi" }, timestampMs: 1 })
    assert.deepStrictEqual(message, new SessionMessage({ runId: "r", agentId: "a", message: { _tag: "user", content: "hi" }, timestampMs: 1 }))
    assert.deepStrictEqual(Schema.encodeSync(SessionMessage)(message), { runId: "r", agentId: "a", message: { _tag: "user", content: "hi" }, timestampMs: 1 })
  })
})
