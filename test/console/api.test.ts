/**
 * The console's API client in Node against a scripted HTTP server on 127.0.0.1: the bearer token on
 * every call, a refused token and an error answer turned into readable messages, and a run's stream
 * that breaks before its end and is picked up again with `Last-Event-ID`.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { ApiError, makeApi, type TokenStore } from "../../src/server/console/api.js"
import { apply, empty, type WireChunk } from "../../src/server/console/runView.js"

const memoryStore = (): TokenStore => {
  const m = new Map<string, string>()
  return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => void m.set(k, v), removeItem: (k) => void m.delete(k) }
}

const chunk = (sequence: number, kind: string, payload: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  `id: ${sequence}\nevent: ${kind}\ndata: ${JSON.stringify({ kind, sequence, runId: "r1", sessionId: "s", agentId: "a", payload, ...extra })}\n\n`

const seen: Array<{ method: string; url: string; auth: string | undefined; lastEventId: string | undefined }> = []
let server: http.Server
let base = ""

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, lastEventId: req.headers["last-event-id"] as string | undefined })
    if (req.headers.authorization !== "Bearer good") {
      res.writeHead(401, { "content-type": "application/json" })
      return res.end(JSON.stringify({ _tag: "Unauthorized", message: "bad token" }))
    }
    if (req.url === "/v1/agents/nope") {
      res.writeHead(404, { "content-type": "application/json" })
      return res.end(JSON.stringify({ _tag: "UnknownAgentError", message: "Unknown agent 'nope'", hint: "Known agents: a" }))
    }
    if (req.method === "POST" && req.url === "/v1/runs") {
      res.writeHead(200, { "content-type": "text/event-stream" })
      res.write(chunk(0, "run.started", {}) + chunk(1, "llm.delta", { text: "Hello " }))
      // the connection breaks before run.finished
      setTimeout(() => res.destroy(), 50)
      return
    }
    if (req.url === "/v1/runs/r1/events") {
      res.writeHead(200, { "content-type": "text/event-stream" })
      return res.end(
        chunk(1, "llm.delta", { text: "Hello " }) + chunk(2, "llm.delta", { text: "again" }) +
          chunk(3, "run.finished", { stopReason: "completed" }, { result: { runId: "r1", stopReason: "completed" } })
      )
    }
    res.writeHead(404)
    res.end()
  })
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((r) => server.close(() => r()))
})

describe("console API client", () => {
  it("says when the token is refused, and sends the token it keeps", async () => {
    const api = makeApi(memoryStore(), base)
    api.setToken("wrong")
    const error = await api.get("/v1/agents").then(() => undefined, (e: unknown) => e)
    assert.instanceOf(error, ApiError)
    assert.isTrue((error as ApiError).unauthorized)
    assert.include((error as ApiError).message, "The server refused the token (401)")
    assert.strictEqual(seen.at(-1)?.auth, "Bearer wrong")
    api.setToken("")
    assert.isNull(api.token())
    await api.get("/v1/agents").catch(() => undefined)
    assert.isUndefined(seen.at(-1)?.auth)
  })

  it("turns an error answer into its message and hint", async () => {
    const api = makeApi(memoryStore(), base)
    api.setToken("good")
    const error = (await api.get("/v1/agents/nope").catch((e: unknown) => e)) as ApiError
    assert.strictEqual(error.status, 404)
    assert.strictEqual(error.message, "Unknown agent 'nope' (Known agents: a)")
  })

  it("picks a broken stream up again with Last-Event-ID, and the view ignores what it already had", async () => {
    const api = makeApi(memoryStore(), base)
    api.setToken("good")
    const got: Array<WireChunk> = []
    const view = empty()
    await api.streamRun({ agentId: "a", inputText: "hi" }, (c) => {
      got.push(c)
      apply(view, c)
    })
    assert.deepStrictEqual(got.map((c) => c.sequence), [0, 1, 1, 2, 3])
    const reconnect = seen.find((s) => s.url === "/v1/runs/r1/events")
    assert.strictEqual(reconnect?.lastEventId, "1")
    assert.strictEqual(reconnect?.auth, "Bearer good")
    assert.strictEqual(view.text, "Hello again")
    assert.strictEqual(view.status, "completed")
  })

  it("reports a server that cannot be reached", async () => {
    const api = makeApi(memoryStore(), "http://127.0.0.1:1")
    const error = (await api.get("/v1/agents").catch((e: unknown) => e)) as ApiError
    assert.strictEqual(error.status, 0)
    assert.include(error.message, "The server cannot be reached (GET /v1/agents)")
  })
})
