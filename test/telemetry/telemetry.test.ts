/**
 * The runtime's spans through the real OpenTelemetry SDK (an in-memory span exporter and a metric reader):
 * names, GenAI attributes, parent links, token counts equal to the run's RunUsage, errors on spans, and the
 * metrics derived from the spans.
 */
import { assert, describe, it } from "@effect/vitest"
import { AggregationTemporality, InMemoryMetricExporter, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics"
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace-base"
import { Effect, Layer, Schema } from "effect"
import { ToolExecutionError } from "../../src/kernel/Errors.js"
import { AgentRuntime } from "../../src/runtime/AgentRuntime.js"
import * as Trace from "../../src/runtime/internal/trace.js"
import * as Telemetry from "../../src/telemetry/Telemetry.js"
import * as SubAgent from "../../src/tools/SubAgent.js"
import * as Tool from "../../src/tools/Tool.js"
import { Add, runtimeLayer, scripted } from "../support/runtime.js"

const Boom = Tool.make("boom", {
  description: "Always fails",
  parameters: Schema.Struct({}),
  handler: () => Effect.fail(new ToolExecutionError({ toolName: "boom", message: "it broke" }))
})

const script = [
  { toolCalls: [{ name: "add", arguments: { a: 2, b: 3 }, id: "call-1" }], usage: { inputTokens: 100, outputTokens: 20, cachedInputTokens: 40 } },
  { toolCalls: [{ name: "boom", arguments: {}, id: "call-2" }], usage: { inputTokens: 150, outputTokens: 10 } },
  { text: "5", usage: { inputTokens: 200, outputTokens: 5 } }
]

const pricing = { input: 1, output: 2 } // USD per million tokens

/** A runtime with one scripted agent, traced into `spans` and metered into `metrics`. */
const traced = () => {
  const spans = new InMemorySpanExporter()
  const metrics = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  const reader = new PeriodicExportingMetricReader({ exporter: metrics, exportIntervalMillis: 3_600_000 })
  const telemetry = Telemetry.layerCustom({ serviceName: "test-agents", spanExporters: [spans], metricReaders: [reader] })
  const runtime = runtimeLayer([{ id: "calc", name: "Calculator", tools: [Add, Boom], model: scripted(script, pricing) }])
  return { spans, metrics, reader, layer: Layer.merge(runtime, telemetry) }
}

const byName = (spans: ReadonlyArray<ReadableSpan>, name: string) => spans.filter((s) => s.name === name)
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId

describe("telemetry (in-memory exporter)", () => {
  it.effect("a run is an invoke_agent span holding its chat and execute_tool spans, with the GenAI attributes", () => {
    const t = traced()
    return Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const result = yield* rt.runDetailed({ agentId: "calc", runId: "run-1", sessionId: "s-1", inputText: "2+3?" })
      assert.strictEqual(result.stopReason, "completed")
      const all = t.spans.getFinishedSpans()
      const [run] = byName(all, "invoke_agent Calculator")
      assert.isDefined(run)
      const chats = byName(all, "chat mock")
      const adds = byName(all, "execute_tool add")
      const booms = byName(all, "execute_tool boom")
      assert.strictEqual(chats.length, 3)
      assert.strictEqual(adds.length, 1)
      assert.strictEqual(booms.length, 1)
      // parent links: every step and tool call is a child of the run, in the run's trace
      for (const s of [...chats, ...adds, ...booms]) {
        assert.strictEqual(parentOf(s), run!.spanContext().spanId, s.name)
        assert.strictEqual(s.spanContext().traceId, run!.spanContext().traceId)
      }
      assert.isUndefined(parentOf(run!))

      const ra = run!.attributes
      assert.strictEqual(ra["gen_ai.operation.name"], "invoke_agent")
      assert.strictEqual(ra["gen_ai.agent.id"], "calc")
      assert.strictEqual(ra["gen_ai.agent.name"], "Calculator")
      assert.strictEqual(ra["openagents.run.id"], "run-1")
      assert.strictEqual(ra["openagents.session.id"], "s-1")
      assert.strictEqual(ra["openagents.run.stop_reason"], "completed")
      // token counts equal the result's RunUsage
      assert.strictEqual(ra["gen_ai.usage.input_tokens"], result.usage.inputTokens)
      assert.strictEqual(ra["gen_ai.usage.output_tokens"], result.usage.outputTokens)
      assert.strictEqual(ra["gen_ai.usage.cache_read.input_tokens"], result.usage.inputTokensCached)
      assert.strictEqual(ra["openagents.usage.cost_usd"], result.usage.costUsd!)
      assert.strictEqual(result.usage.inputTokens, 450)
      assert.strictEqual(result.usage.outputTokens, 35)
      // the steps' tokens add up to the run's
      const sum = (key: string) => chats.reduce((n, s) => n + (s.attributes[key] as number), 0)
      assert.strictEqual(sum("gen_ai.usage.input_tokens"), result.usage.inputTokens)
      assert.strictEqual(sum("gen_ai.usage.output_tokens"), result.usage.outputTokens)
      assert.strictEqual(sum("gen_ai.usage.cache_read.input_tokens"), result.usage.inputTokensCached)

      const first = chats.find((s) => s.attributes["openagents.step"] === 1)!
      assert.strictEqual(first.attributes["gen_ai.operation.name"], "chat")
      assert.strictEqual(first.attributes["gen_ai.provider.name"], "mock")
      assert.strictEqual(first.attributes["gen_ai.system"], "mock")
      assert.strictEqual(first.attributes["gen_ai.request.model"], "mock")
      assert.strictEqual(first.attributes["gen_ai.response.model"], "mock")
      assert.strictEqual(first.attributes["gen_ai.response.id"], "mock-0")
      assert.deepStrictEqual(first.attributes["gen_ai.response.finish_reasons"], ["tool_use"])
      assert.strictEqual(first.attributes["gen_ai.usage.input_tokens"], 100)
      assert.strictEqual(first.attributes["gen_ai.usage.output_tokens"], 20)
      assert.strictEqual(first.attributes["gen_ai.usage.cache_read.input_tokens"], 40)
      assert.strictEqual(first.attributes["openagents.run.id"], "run-1")
      const last = chats.find((s) => s.attributes["openagents.step"] === 3)!
      assert.deepStrictEqual(last.attributes["gen_ai.response.finish_reasons"], ["end_turn"])

      const add = adds[0]!.attributes
      assert.strictEqual(add["gen_ai.operation.name"], "execute_tool")
      assert.strictEqual(add["gen_ai.tool.name"], "add")
      assert.strictEqual(add["gen_ai.tool.call.id"], "call-1")
      assert.strictEqual(add["openagents.session.id"], "s-1")
      assert.strictEqual(adds[0]!.status.code, 1) // OK
      // a failing tool is an error span with its exception; the run goes on and completes
      assert.strictEqual(booms[0]!.status.code, 2) // ERROR
      assert.include(booms[0]!.status.message ?? "", "it broke")
      assert.isTrue(booms[0]!.events.some((e) => e.name === "exception"))
      assert.strictEqual(run!.status.code, 1)
      // the resource names the service
      assert.strictEqual(run!.resource.attributes["service.name"], "test-agents")
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("a failed run is an error span naming the error; a model error is recorded on its chat span", () => {
    const spans = new InMemorySpanExporter()
    const layer = Layer.merge(
      runtimeLayer([{ id: "bad", model: scripted([{ error: { kind: "auth", message: "bad key" } }]) }]),
      Telemetry.layerCustom({ spanExporters: [spans] })
    )
    return Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const result = yield* rt.runDetailed({ agentId: "bad", runId: "r-bad", inputText: "hi" })
      assert.strictEqual(result.stopReason, "failed")
      const all = spans.getFinishedSpans()
      const run = all.find((s) => s.name === "invoke_agent bad")!
      assert.strictEqual(run.status.code, 2)
      assert.include(run.status.message ?? "", "bad key")
      assert.strictEqual(run.attributes["openagents.run.stop_reason"], "failed")
      assert.strictEqual(run.attributes["error.type"], result.error!.tag)
      const chat = all.find((s) => s.name === "chat mock")!
      assert.strictEqual(chat.status.code, 2)
      assert.strictEqual(parentOf(chat), run.spanContext().spanId)
    }).pipe(Effect.provide(layer))
  })

  it.effect("a cancelled run, a budget stop: outcomes, not error spans", () => {
    const spans = new InMemorySpanExporter()
    const layer = Layer.merge(
      runtimeLayer([{ id: "loop", tools: [Add], model: scripted([{ toolCalls: [{ name: "add", arguments: { a: 1, b: 1 } }] }]) }]),
      Telemetry.layerCustom({ spanExporters: [spans] })
    )
    return Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const result = yield* rt.runDetailed({ agentId: "loop", runId: "r-max", inputText: "go", budget: { maxSteps: 1 } })
      assert.strictEqual(result.stopReason, "max_steps")
      const run = spans.getFinishedSpans().find((s) => s.name === "invoke_agent loop")!
      assert.strictEqual(run.attributes["openagents.run.stop_reason"], "max_steps")
      assert.strictEqual(run.status.code, 1)
    }).pipe(Effect.provide(layer))
  })

  it.effect("metrics: token usage and operation duration histograms, cost and runs-by-stop-reason counters", () => {
    const t = traced()
    return Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const result = yield* rt.runDetailed({ agentId: "calc", runId: "run-m", inputText: "2+3?" })
      yield* Effect.promise(() => t.reader.forceFlush())
      const points = new Map<string, Array<{ attributes: Record<string, unknown>; value: any }>>()
      for (const batch of t.metrics.getMetrics()) {
        for (const scope of batch.scopeMetrics) {
          for (const metric of scope.metrics) {
            points.set(metric.descriptor.name, metric.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value })))
          }
        }
      }
      const tokens = points.get("gen_ai.client.token.usage")!
      const input = tokens.find((p) => p.attributes["gen_ai.token.type"] === "input")!
      const output = tokens.find((p) => p.attributes["gen_ai.token.type"] === "output")!
      assert.strictEqual(input.value.sum, result.usage.inputTokens)
      assert.strictEqual(input.value.count, 3)
      assert.strictEqual(output.value.sum, result.usage.outputTokens)
      assert.strictEqual(input.attributes["gen_ai.request.model"], "mock")
      assert.isUndefined(input.attributes["openagents.run.id"]) // no per-run cardinality
      const durations = points.get("gen_ai.client.operation.duration")!
      const ops = new Set(durations.map((p) => p.attributes["gen_ai.operation.name"]))
      assert.deepStrictEqual([...ops].sort(), ["chat", "execute_tool", "invoke_agent"])
      const failedTool = durations.find((p) => p.attributes["gen_ai.tool.name"] === "boom")!
      assert.isDefined(failedTool.attributes["error.type"])
      const runs = points.get("openagents.runs")!
      assert.deepStrictEqual(runs.map((p) => [p.attributes["openagents.run.stop_reason"], p.value]), [["completed", 1]])
      const cost = points.get("openagents.run.cost")!
      assert.closeTo(cost[0]!.value, result.usage.costUsd!, 1e-12)
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("a sub-agent's run is a child of the execute_tool span that started it: a team's run is one trace", () => {
    const spans = new InMemorySpanExporter()
    const layer = Layer.merge(
      runtimeLayer([
        {
          id: "lead",
          tools: [SubAgent.make("ask_helper", { agent: "helper" })],
          model: scripted([{ toolCalls: [{ name: "ask_helper", arguments: { input: "2+3" }, id: "t-1" }] }, { text: "5" }])
        },
        { id: "helper", model: scripted([{ text: "5", usage: { inputTokens: 7, outputTokens: 1 } }]) }
      ]),
      Telemetry.layerCustom({ spanExporters: [spans] })
    )
    return Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const result = yield* rt.runDetailed({ agentId: "lead", runId: "lead-run", inputText: "2+3?" })
      assert.strictEqual(result.stopReason, "completed")
      const all = spans.getFinishedSpans()
      const lead = all.find((s) => s.name === "invoke_agent lead")!
      const tool = all.find((s) => s.name === "execute_tool ask_helper")!
      const helper = all.find((s) => s.name === "invoke_agent helper")!
      assert.strictEqual(parentOf(tool), lead.spanContext().spanId)
      assert.strictEqual(parentOf(helper), tool.spanContext().spanId)
      assert.strictEqual(helper.spanContext().traceId, lead.spanContext().traceId)
      assert.strictEqual(helper.attributes["openagents.run.parent_id"], "lead-run")
      const helperChat = all.find((s) => s.name === "chat mock" && parentOf(s) === helper.spanContext().spanId)!
      assert.strictEqual(helperChat.attributes["gen_ai.usage.input_tokens"], 7)
    }).pipe(Effect.provide(layer))
  })

  it.effect("a run started inside an app's span is that span's child", () => {
    const t = traced()
    return Effect.gen(function*() {
      const rt = yield* AgentRuntime
      yield* rt.runDetailed({ agentId: "calc", runId: "in-request", inputText: "2+3?" }).pipe(Effect.withSpan("POST /chat"))
      const all = t.spans.getFinishedSpans()
      const request = all.find((s) => s.name === "POST /chat")!
      const run = all.find((s) => s.name === "invoke_agent Calculator")!
      assert.strictEqual(parentOf(run), request.spanContext().spanId)
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("without the telemetry layer nothing is traced: the runtime sees Effect's default tracer", () =>
    Effect.gen(function*() {
      assert.isFalse(yield* Trace.tracing)
      const on = yield* Trace.tracing.pipe(Effect.provide(Telemetry.layerCustom({})))
      assert.isTrue(on)
    }))
})
