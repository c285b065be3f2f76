import { assert, describe, it } from "@effect/vitest"
import { responseText, responseToolCalls } from "../../src/kernel/Transcript.js"

describe("Transcript accessors", () => {
  it("responseText joins the text parts in order and skips the rest", () => {
    assert.strictEqual(responseText({ content: [] }), "")
    assert.strictEqual(responseText({ content: [{ _tag: "text", text: "only" }] }), "only")
    assert.strictEqual(
      responseText({
        content: [
          { _tag: "text", text: "a" },
          { _tag: "tool_call", id: "c1", name: "t", arguments: {} },
          { _tag: "text", text: "" },
          { _tag: "text", text: "b" }
        ]
      }),
      "ab"
    )
  })

  it("responseToolCalls keeps the tool calls in order", () => {
    const calls = responseToolCalls({
      content: [
        { _tag: "tool_call", id: "c1", name: "t", arguments: {} },
        { _tag: "text", text: "x" },
        { _tag: "tool_call", id: "c2", name: "u", arguments: { a: 1 } }
      ]
    })
    assert.deepStrictEqual(calls.map((c) => c.id), ["c1", "c2"])
  })
})
