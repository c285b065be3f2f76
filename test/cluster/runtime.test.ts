/**
 * The runtime whose runs go to the cluster (`ClusterRuntime`), from the outside: `openagents serve
 * --cluster` (a real child process) and the Promise client `createRuntime(config, { cluster: true })`
 * submit runs that execute on a runner process (the runs table names it), stream them, cancel them, and
 * continue a run stopped for approval on the cluster once a human decides. Requests the cluster cannot
 * take are refused before they reach it, typed.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { createRuntime } from "../../src/client/Client.js"
import type { RunResult } from "../../src/kernel/Run.js"
import { startServeChild } from "../support/serveChild.js"
import {
  basePort,
  createDatabase,
  dropDatabase,
  killAll,
  query,
  type RunnerProcess,
  startRunner,
  waitForRunners,
  writeConfig
} from "./support.js"

const runners: Array<RunnerProcess> = []
const databases: Array<string> = []
const stops: Array<() => unknown> = []

afterAll(async () => {
  for (const stop of stops) await stop()
  killAll(runners)
  for (const name of databases) await dropDatabase(name).catch(() => undefined)
}, 60_000)

/** The cluster tests' config with a second agent, `careful`, whose `note` calls wait for a human. */
const setUp = async () => {
  const db = await createDatabase()
  databases.push(db.name)
  // 300 ms a model call: a run is still going when the test cancels it
  const written = writeConfig({ url: db.url, delayMs: 300 })
  const worker = written.config.agents[0]!
  const careful = {
    ...worker,
    id: "careful",
    tools: worker.tools.map((t) => (t.id === "note" ? { ...t, approval_mode: "always" } : t))
  }
  fs.writeFileSync(written.file, JSON.stringify({ ...written.config, agents: [worker, careful] }, null, 2))
  const runner = startRunner(written.file, basePort())
  runners.push(runner)
  await runner.ready
  await waitForRunners(db.url, 1)
  return { ...written, db, address: `127.0.0.1:${runner.port}` }
}

const rowOf = async (url: string, runId: string) =>
  (await query<{ runner: string; status: string; attempts: number }>(
    url,
    `SELECT runner, status, attempts FROM openagents_cluster_runs WHERE run_id = '${runId}'`
  ))[0]

/** The SSE events of a response body: `{sequence, kind, result?}` each. */
const sseEvents = (text: string) =>
  text.split("\n\n").filter((block) => block.includes("data: ")).map((block) =>
    JSON.parse(block.split("\n").find((l) => l.startsWith("data: "))!.slice(6)) as {
      sequence: number
      kind: string
      runId: string
      result?: RunResult
    }
  )

describe("ClusterRuntime", () => {
  it("serve --cluster: runs execute on the runner, stream gap-free, and a decision continues a stopped run there", async () => {
    const { address, db, file, noteLines } = await setUp()
    const server = await startServeChild(
      ["--import", "tsx", path.resolve("src/cli/main.ts"), "serve", file, "--cluster", "--port", "0", "--no-auth"],
      { ...process.env, NODE_OPTIONS: "" }
    )
    stops.push(() => server.kill())
    assert.include(server.output().out, "runs go to the cluster")
    const post = (url: string, body: unknown, sse = false) =>
      fetch(`${server.url}${url}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(sse ? { accept: "text/event-stream" } : {}) },
        body: JSON.stringify(body)
      })

    // a run: its result, and its row in the cluster's runs table names the runner that executed it
    const plain = await post("/v1/runs", { agentId: "worker", sessionId: "web-1", runId: "web-run-1", inputText: "hello" })
    assert.strictEqual(plain.status, 200, await plain.clone().text())
    const result = (await plain.json()) as RunResult
    assert.strictEqual(result.stopReason, "completed")
    assert.strictEqual(result.finalOutput, "done")
    assert.deepStrictEqual(await rowOf(db.url, "web-run-1"), { runner: address, status: "finished", attempts: 1 })

    // streamed: run.started at 0 ... run.finished, without a gap
    const streamed = await post("/v1/runs", { agentId: "worker", sessionId: "web-2", runId: "web-run-2", inputText: "hi" }, true)
    const events = sseEvents(await streamed.text())
    assert.strictEqual(events[0]!.kind, "run.started")
    assert.strictEqual(events.at(-1)!.kind, "run.finished")
    assert.deepStrictEqual(events.map((e) => e.sequence), events.map((_, i) => i))
    assert.isTrue(events.some((e) => e.kind === "tool.finished"))
    const status = (await (await fetch(`${server.url}/v1/runs/web-run-2`)).json()) as { status: string; result: RunResult }
    assert.strictEqual(status.status, "finished")
    assert.strictEqual((await rowOf(db.url, "web-run-2"))!.runner, address)

    // an unknown agent is refused by the server, before the cluster
    const unknown = await post("/v1/runs", { agentId: "wroker", inputText: "x" })
    assert.strictEqual(unknown.status, 404)
    assert.include(await unknown.text(), "wroker")

    // a call waiting for a human: the run stops on the runner; the decision continues it there
    const stopped = (await (await post("/v1/runs", {
      agentId: "careful",
      sessionId: "web-3",
      runId: "web-run-3",
      inputText: "careful",
      durable: true
    })).json()) as RunResult
    assert.strictEqual(stopped.stopReason, "awaiting_approval")
    assert.deepStrictEqual(noteLines().filter((l) => l.startsWith("web-run-3 ")), [])
    const pending = (await (await fetch(`${server.url}/v1/approvals?sessionId=web-3`)).json()) as Array<{ callId: string; tool: string }>
    assert.deepStrictEqual(pending.map((p) => p.tool), ["note"])
    const decided = await post(`/v1/approvals/web-run-3/${pending[0]!.callId}`, { decision: "approve" })
    assert.strictEqual(decided.status, 200, await decided.clone().text())
    const continued = (await decided.json()) as { result: RunResult }
    assert.strictEqual(continued.result.stopReason, "completed")
    assert.strictEqual(continued.result.finalOutput, "done")
    assert.deepStrictEqual(noteLines().filter((l) => l.startsWith("web-run-3 ")), [`web-run-3 ${pending[0]!.callId}`])
    // taken again by the runner (a second attempt), finished there
    assert.deepStrictEqual(await rowOf(db.url, "web-run-3"), { runner: address, status: "finished", attempts: 2 })
    // the same decision again: no such call waits any more, the run is not continued twice
    const again = await post(`/v1/approvals/web-run-3/${pending[0]!.callId}`, { decision: "approve" })
    assert.strictEqual(again.status, 404)
    assert.strictEqual(noteLines().filter((l) => l.startsWith("web-run-3 ")).length, 1)
    assert.strictEqual(await server.stop(), 0)
  }, 120_000)

  it("createRuntime(config, { cluster: true }): runs, streams and cancels on the cluster; refuses what cannot cross processes", async () => {
    const { address, db, file } = await setUp()
    const client = await createRuntime(file, { cluster: true })
    stops.push(() => client.close().catch(() => undefined))

    const result = await client.runDetailed({ agentId: "worker", sessionId: "p-1", runId: "p-run-1", inputText: "hello" })
    assert.strictEqual(result.stopReason, "completed")
    assert.strictEqual(result.finalOutput, "done")
    assert.strictEqual((await rowOf(db.url, "p-run-1"))!.runner, address)
    assert.strictEqual(await client.run({ agentId: "worker", sessionId: "p-1", inputText: "again" }), "done")

    const kinds: Array<string> = []
    const sequences: Array<number> = []
    for await (const chunk of client.runStream({ agentId: "worker", sessionId: "p-2", inputText: "stream" })) {
      kinds.push(chunk.kind)
      sequences.push(chunk.sequence)
    }
    assert.strictEqual(kinds[0], "run.started")
    assert.strictEqual(kinds.at(-1), "run.finished")
    assert.deepStrictEqual(sequences, sequences.map((_, i) => i))

    // cancel by run id: the runner cancels it, the stream ends with its result
    const cancelled: Array<RunResult> = []
    const reading = (async () => {
      for await (const chunk of client.runStream({ agentId: "worker", sessionId: "p-3", runId: "p-run-3", inputText: "slow" })) {
        if (chunk.kind === "run.finished") cancelled.push(chunk.result)
      }
    })()
    for (let i = 0; i < 100 && (await rowOf(db.url, "p-run-3")) === undefined; i++) await new Promise((r) => setTimeout(r, 20))
    assert.isTrue(await client.cancel("p-run-3"))
    await reading
    assert.strictEqual(cancelled[0]?.stopReason, "cancelled")
    assert.isFalse(await client.cancel("no-such-run"))

    // refused before the cluster, typed and naming what was wrong
    const unknown = await client.runDetailed({ agentId: "wroker", inputText: "x" }).catch((e) => e)
    assert.strictEqual(unknown._tag, "UnknownAgentError")
    const { Schema } = await import("effect")
    const typed = await client.runDetailed({ agentId: "worker", inputText: "x", outputType: Schema.String } as never).catch((e) => e)
    assert.strictEqual(typed._tag, "ConfigError")
    assert.include(typed.message, "request.outputType")
    const invalid = await client.runDetailed({ agentId: "worker", inputText: "x", budget: { maxSteps: -1 } } as never).catch((e) => e)
    assert.strictEqual(invalid._tag, "ConfigError")
    assert.include(invalid.message, "maxSteps")
    // a runner does not hold a run waiting for a human in another process
    const waiting = await client.runDetailed({ agentId: "careful", inputText: "x", waitForApproval: true }).catch((e) => e)
    assert.strictEqual(waiting._tag, "ConfigError")
    assert.include(waiting.message, "request.waitForApproval")
  }, 120_000)
})
