import { assert, describe, it } from "@effect/vitest"
import { Effect, Option, Tracer } from "effect"
import { AgentRuntime } from "../../src/runtime/AgentRuntime.js"
import * as Trace from "../../src/runtime/internal/trace.js"
import { Add, runtimeLayer } from "../support/runtime.js"

interface Recorded {
  readonly name: string
  readonly parent: string | undefined
  readonly attributes: Map<string, unknown>
}

/** A tracer that records each span's name, parent and attributes. */
const recording = () => {
  const spans: Array<Recorded> = []
  const native = Effect.runSync(Effect.tracer)
  const tracer = Tracer.make({
    span: (name, parent, context, links, startTime, kind, options) => {
      const span = native.span(name, parent, context, links, startTime, kind, options)
      const attributes = new Map<string, unknown>()
      spans.push({
        name,
        parent: Option.match(parent, { onNone: () => undefined, onSome: (p) => (p._tag === "Span" ? p.name : undefined) }),
        attributes
      })
      const attribute = span.attribute.bind(span)
      span.attribute = (key, value) => {
        attributes.set(key, value)
        attribute(key, value)
      }
      return span
    },
    context: (f) => f()
  })
  return { spans, tracer }
}

describe("tracing", () => {
  it.effect("with a tracer installed, a run is a span with its steps and tool calls inside it", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recording()
      const rt = yield* AgentRuntime
      const result = yield* rt.runDetailed({ agentId: "a", runId: "r", inputText: `/tool add {"a": 2, "b": 3}` }).pipe(
        Effect.withTracer(tracer)
      )
      assert.strictEqual(result.stopReason, "completed")
      const ours = spans.filter((s) => /^(invoke_agent|chat|execute_tool) /.test(s.name))
      assert.deepStrictEqual(ours.map((s) => s.name), ["invoke_agent a", "chat mock", "execute_tool add", "chat mock"])
      for (const s of ours.slice(1)) assert.strictEqual(s.parent, "invoke_agent a")
      assert.strictEqual(ours[0]!.attributes.get("openagents.run.id"), "r")
      assert.strictEqual(ours[0]!.attributes.get("openagents.run.stop_reason"), "completed")
      assert.strictEqual(ours[0]!.attributes.get("gen_ai.usage.input_tokens"), result.usage.inputTokens)
      assert.strictEqual(ours[1]!.attributes.get("gen_ai.request.model"), "mock")
      assert.deepStrictEqual(ours[1]!.attributes.get("gen_ai.response.finish_reasons"), ["tool_use"])
      assert.strictEqual(ours[2]!.attributes.get("gen_ai.tool.name"), "add")
    }).pipe(Effect.provide(runtimeLayer([{ id: "a", tools: [Add] }]))))

  it.effect("spans are recorded only under a tracer other than Effect's default (they cost more than a step)", () =>
    Effect.gen(function*() {
      assert.isFalse(yield* Trace.tracing)
      assert.isTrue(yield* Trace.tracing.pipe(Effect.withTracer(recording().tracer)))
    }))
})
