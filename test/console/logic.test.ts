/**
 * The console's pure logic, in Node: the SSE parser (every line-end style, comments, ids, chunks split
 * anywhere), the fold of stream chunks into what the run view shows, and the step graph's layout.
 */
import { assert, describe, it } from "@effect/vitest"
import { makeParser, readEvents } from "../../src/server/console/sse.js"
import { apply, empty, finish, formatCost, type WireChunk } from "../../src/server/console/runView.js"
import { label, layout, type WireStep } from "../../src/server/console/graph.js"
import { listOf } from "../../src/server/console/api.js"

describe("SSE parser", () => {
  it("parses id, event and data, and joins data lines", () => {
    const p = makeParser()
    const events = p.push("id: 0\nevent: run.started\ndata: {\"a\":1}\n\nid: 1\nevent: llm.delta\ndata: line1\ndata: line2\n\n")
    assert.deepStrictEqual(events, [
      { id: "0", event: "run.started", data: "{\"a\":1}" },
      { id: "1", event: "llm.delta", data: "line1\nline2" }
    ])
    assert.strictEqual(p.lastEventId(), "1")
  })

  it("gives the same events however the text is cut, with \\r\\n, \\r and \\n line ends", () => {
    const text = ": keep-alive\r\nid: 7\r\nevent: x\r\ndata:no space\r\n\r\nid: 8\rdata: a\r\rdata: b\n\n"
    const whole = makeParser().push(text)
    assert.deepStrictEqual(whole, [
      { id: "7", event: "x", data: "no space" },
      { id: "8", event: "message", data: "a" },
      { id: "8", event: "message", data: "b" }
    ])
    for (let cut = 1; cut < text.length; cut++) {
      const p = makeParser()
      const events = [...p.push(text.slice(0, cut)), ...p.push(text.slice(cut))]
      assert.deepStrictEqual(events, whole, `cut at ${cut}`)
    }
    // one character at a time
    const p = makeParser()
    assert.deepStrictEqual([...text].flatMap((c) => p.push(c)), whole)
  })

  it("drops an event without data, and an event cut off by the end of the stream", async () => {
    assert.deepStrictEqual(makeParser().push("event: ping\n\n"), [])
    const body = new Response("id: 1\ndata: whole\n\nid: 2\ndata: cut").body!
    const events = []
    for await (const e of readEvents(body)) events.push(e)
    assert.deepStrictEqual(events, [{ id: "1", event: "message", data: "whole" }])
  })

  it("decodes UTF-8 split across chunks", async () => {
    const bytes = new TextEncoder().encode("data: héllo → ✓\n\n")
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (const b of bytes) c.enqueue(new Uint8Array([b]))
        c.close()
      }
    })
    const events = []
    for await (const e of readEvents(stream)) events.push(e.data)
    assert.deepStrictEqual(events, ["héllo → ✓"])
  })
})

const chunk = (sequence: number, kind: string, payload: Record<string, unknown>, extra: Partial<WireChunk> = {}): WireChunk => ({
  kind,
  sequence,
  runId: "r1",
  sessionId: "s1",
  agentId: "a",
  payload,
  ...extra
})

describe("run view", () => {
  it("folds text, tool calls, approvals, retries, usage and the result", () => {
    const v = empty()
    const chunks = [
      chunk(0, "run.started", { inputText: "hi", durable: false }),
      chunk(1, "llm.finished", { model: "mock", step: 1, stopReason: "tool_use", usage: { inputTokens: 10, outputTokens: 2 }, costUsd: 0.001 }),
      chunk(2, "tool.approval_requested", { runId: "r1", callId: "c1", tool: "t", arguments: { text: "x" }, editableParams: ["text"] }),
      chunk(3, "tool.approval_decided", { callId: "c1", tool: "t", decision: "approve", arguments: { text: "y" }, source: "human" }),
      chunk(4, "tool.started", { toolId: "t", callId: "c1", params: { text: "y" } }),
      chunk(5, "tool.delta", { toolId: "t", callId: "c1", text: "working" }),
      chunk(6, "tool.finished", { toolId: "t", callId: "c1", result: "Y" }),
      chunk(7, "validation.retry", { attempt: 1, error: "bad output" }),
      chunk(8, "llm.delta", { text: "Done " }),
      chunk(9, "llm.delta", { text: "now." }),
      chunk(10, "llm.finished", { model: "mock", step: 2, stopReason: "end_turn", usage: { inputTokens: 20, outputTokens: 3 } }),
      chunk(11, "run.finished", { stopReason: "completed", durationMs: 5 }, {
        result: { runId: "r1", stopReason: "completed", usage: { inputTokens: 30, outputTokens: 5, costUsd: 0.002 }, traceId: "r1" }
      })
    ]
    for (const c of chunks) apply(v, c)
    assert.strictEqual(v.text, "Done now.")
    assert.strictEqual(v.deltas, 2)
    apply(v, chunk(12, "llm.delta", { text: "More." }))
    assert.strictEqual(v.text, "Done now.\n\nMore.", "a new model call's text is a new paragraph")
    assert.strictEqual(v.status, "completed")
    assert.isTrue(v.finished)
    assert.strictEqual(v.costUsd, 0.002)
    assert.strictEqual(v.inputTokens, 30)
    assert.deepStrictEqual(v.items.map((i) => i.type), ["llm", "tool", "retry", "text", "llm", "text"])
    const tool = v.items[1]
    assert(tool?.type === "tool")
    assert.deepStrictEqual(tool.params, { text: "y" })
    assert.strictEqual(tool.output, "working")
    assert.strictEqual(tool.result, "Y")
    assert.deepStrictEqual(tool.approval, { editableParams: ["text"], state: "approve", arguments: { text: "y" } })
    // a replayed chunk (a reconnect) changes nothing
    apply(v, chunks[8]!)
    assert.strictEqual(v.deltas, 3)
  })

  it("marks a run waiting for approval, a failed tool and a failed run", () => {
    const v = empty()
    apply(v, chunk(0, "run.started", {}))
    apply(v, chunk(1, "tool.approval_requested", { callId: "c1", tool: "t", arguments: {}, editableParams: [] }))
    assert.strictEqual(v.status, "awaiting approval")
    apply(v, chunk(2, "tool.finished", { toolId: "t", callId: "c1", error: "boom", errorTag: "ToolExecutionError" }))
    const tool = v.items[0]
    assert(tool?.type === "tool")
    assert.strictEqual(tool.errorTag, "ToolExecutionError")
    apply(v, chunk(3, "run.finished", { stopReason: "failed", error: "the model refused" }))
    assert.strictEqual(v.status, "failed")
    assert.strictEqual(v.error, "the model refused")
  })

  it("takes a result that was not streamed, and prints costs", () => {
    const v = finish(empty(), { runId: "r2", stopReason: "failed", error: { message: "no" } })
    assert.strictEqual(v.runId, "r2")
    assert.strictEqual(v.error, "no")
    assert.strictEqual(formatCost(undefined), "n/a")
    assert.strictEqual(formatCost(0), "$0")
    assert.strictEqual(formatCost(0.0012), "$0.001200")
    assert.strictEqual(formatCost(1.5), "$1.5000")
  })
})

const step = (sequence: number, type: string, parents: Array<number>, data: Record<string, unknown> = {}): WireStep => ({
  stepId: `t:${sequence}`,
  type,
  sequence,
  parentIds: parents.map((p) => `t:${p}`),
  data
})

describe("graph layout", () => {
  it("puts tool calls side by side under their model call, and the next call below both", () => {
    const g = layout([
      step(0, "llm_call", [], { step: 1 }),
      step(1, "tool_call", [0], { tool: "add" }),
      step(2, "tool_call", [0], { tool: "add" }),
      step(3, "llm_call", [1, 2], { step: 2 }),
      step(4, "conclusion", [3])
    ])
    const at = Object.fromEntries(g.nodes.map((n) => [n.step.sequence, n]))
    assert.deepStrictEqual([0, 1, 2, 3, 4].map((i) => at[i]!.row), [0, 1, 1, 2, 3])
    assert.strictEqual(at[1]!.y, at[2]!.y)
    assert.isBelow(at[1]!.x, at[2]!.x)
    assert.strictEqual(g.edges.length, 5)
    assert.isTrue(g.nodes.every((n) => n.x >= 0 && n.x + 180 <= g.width && n.y + 46 <= g.height))
    assert.strictEqual(label(at[1]!.step), "tool add")
    assert.strictEqual(label(at[0]!.step), "model call 1")
  })

  it("ignores unknown and later parents, so bad data neither loops nor loses a step", () => {
    const g = layout([step(1, "tool_call", [0, 9]), step(0, "llm_call", [1]), step(2, "feedback", [2])])
    assert.strictEqual(g.nodes.length, 3)
    assert.deepStrictEqual(g.edges.map((e) => [e.from, e.to]), [["t:0", "t:1"]])
    assert.deepStrictEqual(layout([]).nodes, [])
  })

  it("reads lists bare or wrapped", () => {
    assert.deepStrictEqual(listOf([1]), [1])
    assert.deepStrictEqual(listOf({ agents: [2] }, "agents"), [2])
    assert.deepStrictEqual(listOf({ total: 1, items: [3] }), [3])
    assert.deepStrictEqual(listOf(null), [])
  })
})
