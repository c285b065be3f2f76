/**
 * Spans and metrics from the real OTLP/HTTP exporters to a loopback receiver (a real HTTP server on
 * 127.0.0.1): through the config's `telemetry` block in-process, and through the CLI in a child process
 * configured by the block or by the standard OTEL_* variables alone.
 */
import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Context, Effect, Exit, Layer } from "effect"
import { createRuntime } from "../../src/client/Client.js"
import * as ConfigLoader from "../../src/config/ConfigLoader.js"
import * as Plugins from "../../src/config/Plugins.js"
import type { RunResult } from "../../src/kernel/Run.js"
import { AgentRuntime } from "../../src/runtime/AgentRuntime.js"
import { startServeChild } from "../support/serveChild.js"
import { type ReceivedSpan, type Receiver, startReceiver } from "./receiver.js"

const BIN = path.resolve("bin/openagents.js")

const agent = {
  id: "calc",
  name: "Calculator",
  llm: {
    provider: "mock",
    pricing: { input: 1, output: 2 },
    script: [
      { tool_calls: [{ id: "c-1", name: "calc", arguments: { expression: "6*7" } }], usage: { input_tokens: 120, output_tokens: 12, cached_input_tokens: 20 } },
      { text: "42", usage: { input_tokens: 180, output_tokens: 3 } }
    ]
  },
  tools: [{ id: "calc", type: "calc" }]
}

let receiver: Receiver
let dir: string
beforeEach(async () => {
  receiver = await startReceiver()
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "oa-otlp-"))
})
afterEach(async () => {
  await receiver.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

/** The spans of one run, checked for names, attributes, parent links and token counts. */
const checkRun = (spans: ReadonlyArray<ReceivedSpan>, result: Pick<RunResult, "runId" | "usage">, service: string) => {
  const run = spans.find((s) => s.name === "invoke_agent Calculator")
  assert.isDefined(run, `spans: ${spans.map((s) => s.name).join(", ")}`)
  const chats = spans.filter((s) => s.name === "chat mock")
  const tools = spans.filter((s) => s.name === "execute_tool calc")
  assert.strictEqual(chats.length, 2)
  assert.strictEqual(tools.length, 1)
  for (const s of [...chats, ...tools]) {
    assert.strictEqual(s.parentSpanId, run!.spanId)
    assert.strictEqual(s.traceId, run!.traceId)
  }
  assert.strictEqual(run!.resource["service.name"], service)
  assert.strictEqual(run!.attributes["openagents.run.id"], result.runId)
  assert.strictEqual(run!.attributes["gen_ai.operation.name"], "invoke_agent")
  assert.strictEqual(run!.attributes["gen_ai.usage.input_tokens"], result.usage.inputTokens)
  assert.strictEqual(run!.attributes["gen_ai.usage.output_tokens"], result.usage.outputTokens)
  assert.strictEqual(run!.attributes["gen_ai.usage.cache_read.input_tokens"], result.usage.inputTokensCached)
  assert.strictEqual(result.usage.inputTokens, 300)
  const sum = (key: string) => chats.reduce((n, s) => n + (s.attributes[key] as number), 0)
  assert.strictEqual(sum("gen_ai.usage.input_tokens"), result.usage.inputTokens)
  assert.strictEqual(sum("gen_ai.usage.output_tokens"), result.usage.outputTokens)
  const first = chats.find((s) => s.attributes["openagents.step"] === 1)!
  assert.deepStrictEqual(first.attributes["gen_ai.response.finish_reasons"], ["tool_use"])
  assert.strictEqual(first.attributes["gen_ai.provider.name"], "mock")
  assert.strictEqual(first.attributes["gen_ai.request.model"], "mock")
  assert.strictEqual(first.attributes["gen_ai.response.id"], "mock-0")
  assert.strictEqual(tools[0]!.attributes["gen_ai.tool.name"], "calc")
  assert.strictEqual(tools[0]!.attributes["gen_ai.tool.call.id"], "c-1")
}

const cli = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("OTEL_")))
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...clean, ...env } })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000)
    child.on("error", reject)
    child.on("close", (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })

const writeConfig = (config: Record<string, unknown>) => {
  const file = path.join(dir, "agent.json")
  fs.writeFileSync(file, JSON.stringify(config))
  return file
}

describe("telemetry over OTLP/HTTP to a loopback receiver", () => {
  it("the config's telemetry block: spans and metrics reach the collector, with the block's headers", async () => {
    const config = {
      agents: [agent],
      telemetry: {
        enabled: true,
        service_name: "otlp-test",
        exporter: { type: "otlp_http", endpoint: receiver.endpoint, headers: { "x-api-key": "k-123" } },
        metrics_interval_ms: 3_600_000
      }
    }
    const result = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const ctx = yield* Layer.build(Plugins.runtimeLayer(config))
      return yield* Context.get(ctx, AgentRuntime).runDetailed({ agentId: "calc", runId: "otlp-run", inputText: "6*7?" })
    })))
    // closing the scope flushed the exporters
    assert.strictEqual(result.stopReason, "completed")
    checkRun(receiver.spans, result, "otlp-test")
    const traces = receiver.requests.find((r) => r.path === "/v1/traces")!
    assert.include(traces.contentType, "application/json")
    assert.strictEqual(traces.headers["x-api-key"], "k-123")
    const tokens = receiver.metrics.get("gen_ai.client.token.usage")!
    const input = tokens.find((p) => p.attributes["gen_ai.token.type"] === "input")!
    assert.strictEqual(Number(input.point.sum), result.usage.inputTokens)
    const runs = receiver.metrics.get("openagents.runs")!
    assert.strictEqual(runs[0]!.attributes["openagents.run.stop_reason"], "completed")
    assert.closeTo(Number(receiver.metrics.get("openagents.run.cost")![0]!.point.asDouble), result.usage.costUsd!, 1e-12)
    assert.isDefined(receiver.metrics.get("gen_ai.client.operation.duration"))
  })

  it("createRuntime (the Promise facade) traces its runs and exports them on close()", async () => {
    const runtime = await createRuntime({
      agents: [agent],
      telemetry: { enabled: true, service_name: "facade", metrics: false, exporter: { type: "otlp_http", endpoint: receiver.endpoint } }
    })
    const result = await runtime.runDetailed({ agentId: "calc", runId: "facade-run", inputText: "6*7?" })
    await runtime.close()
    checkRun(receiver.spans, result, "facade")
  })

  it("the CLI, configured by OTEL_* variables alone, exports its run's spans before it exits", async () => {
    const file = writeConfig({ agents: [agent] })
    const r = await cli(["run", file, "--input", "6*7?", "--format", "json"], {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_SERVICE_NAME: "cli-env",
      OTEL_METRICS_EXPORTER: "none"
    })
    assert.strictEqual(r.code, 0, r.stderr)
    const result = JSON.parse(r.stdout) as RunResult
    checkRun(receiver.spans, result, "cli-env")
    assert.isFalse(receiver.requests.some((q) => q.path === "/v1/metrics"))
  })

  it("the CLI with the config's block; OTEL_SDK_DISABLED turns it off; a collector that is down fails nothing", async () => {
    const on = writeConfig({ agents: [agent], telemetry: { enabled: true, service_name: "cli-block", exporter: { type: "otlp_http", endpoint: receiver.endpoint } } })
    const r = await cli(["run", on, "--input", "6*7?", "--format", "json"])
    assert.strictEqual(r.code, 0, r.stderr)
    checkRun(receiver.spans, JSON.parse(r.stdout) as RunResult, "cli-block")

    const before = receiver.requests.length
    const off = await cli(["run", on, "--input", "6*7?", "--format", "json"], { OTEL_SDK_DISABLED: "true" })
    assert.strictEqual(off.code, 0, off.stderr)
    assert.strictEqual(receiver.requests.length, before)

    // a port nobody listens on: the run completes and the CLI exits (the export fails quietly)
    const closed = await startReceiver()
    await closed.close()
    const down = writeConfig({ agents: [agent], telemetry: { enabled: true, exporter: { type: "otlp_http", endpoint: closed.endpoint } } })
    const d = await cli(["run", down, "--input", "6*7?", "--format", "json"])
    assert.strictEqual(d.code, 0, d.stderr)
    assert.strictEqual((JSON.parse(d.stdout) as RunResult).stopReason, "completed")
  }, 120_000)

  it("openagents serve traces the runs it serves and exports them by the time it stops", async () => {
    const file = writeConfig({ agents: [agent], telemetry: { enabled: true, service_name: "served", exporter: { type: "otlp_http", endpoint: receiver.endpoint } } })
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("OTEL_")))
    const served = await startServeChild([BIN, "serve", file, "--port", "0"], { ...clean, OPENAGENTS_API_TOKENS: "tok" })
    try {
      const url = served.url
      const answer = await fetch(`${url}/v1/runs`, {
        method: "POST",
        headers: { authorization: "Bearer tok", "content-type": "application/json" },
        body: JSON.stringify({ agentId: "calc", inputText: "6*7?" })
      })
      assert.strictEqual(answer.status, 200)
      const result = await answer.json() as RunResult
      assert.strictEqual(await served.stop(), 0, served.output().err)
      checkRun(receiver.spans, result, "served")
    } finally {
      served.kill()
    }
  }, 120_000)

  it("a bad telemetry block is a config error naming the key", async () => {
    const exit = await Effect.runPromiseExit(ConfigLoader.load({
      agents: [{ id: "a" }],
      telemetry: { enabled: "yes", exporter: { type: "zipkin", endpoint: "localhost:4318" } }
    }))
    assert.isTrue(Exit.isFailure(exit))
    const text = JSON.stringify(exit)
    assert.include(text, "telemetry.enabled")
    assert.include(text, "telemetry.exporter.type")
    assert.include(text, "telemetry.exporter.endpoint")
  })
})
