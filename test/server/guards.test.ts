/**
 * The server's guards: secrets redacted from responses and events, CORS when configured, a custom
 * redaction key list, and no-auth mode.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Redact from "../../src/server/internal/redact.js"
import { CONFIG, readEvents, startServer, type TestServer } from "./support.js"

const LEAKY = {
  ...CONFIG,
  agents: [
    ...CONFIG.agents,
    {
      id: "leaky",
      llm: {
        provider: "mock",
        script: [
          { tool_calls: [{ id: "k1", name: "calc", arguments: { expression: "1+1", api_key: "sk-live-SECRET", note: "x" } }] },
          { text: "done" }
        ]
      },
      tools: [{ id: "calc", type: "calc" }]
    }
  ]
}

let server: TestServer
let open: TestServer
beforeAll(async () => {
  server = await startServer({ corsOrigins: ["http://ok.example"], redactKeys: [...Redact.DEFAULT_KEYS, "note"] }, LEAKY)
  open = await startServer({ tokens: "none" })
}, 60_000)
afterAll(async () => {
  await server.close()
  await open.close()
})

describe("redaction", () => {
  it("hides secret values in SSE chunks and in JSON responses", async () => {
    const events = await readEvents(`${server.url}/v1/runs`, {
      method: "POST",
      body: { agentId: "leaky", sessionId: "s-leak", inputText: "go", runId: "run-leak" },
      headers: { accept: "text/event-stream" }
    })
    const started = events.find((e) => e.event === "tool.started")!
    expect(started.data.payload.params).toEqual({ expression: "1+1", api_key: "<redacted>", note: "<redacted>" })
    expect(JSON.stringify(events)).not.toContain("sk-live-SECRET")
    const session = await (await server.fetch("/v1/sessions/s-leak")).text()
    expect(session).toContain("1+1")
    expect(session).not.toContain("sk-live-SECRET")
    const trace = await (await server.fetch("/v1/traces/run-leak")).text()
    expect(trace).not.toContain("sk-live-SECRET")
    const status = await (await server.fetch("/v1/runs/run-leak")).text()
    expect(status).not.toContain("sk-live-SECRET")
  })

  it("keeps token counts and the names of variables holding secrets", () => {
    const redact = Redact.make()
    expect(redact({
      usage: { inputTokens: 3, totalTokens: 5, maxTokens: 9 },
      api_key_env: "OPENAI_API_KEY",
      apiKey: "sk-1",
      token: "t",
      headers: { "x-custom": "v" },
      nested: [{ password: "p", ok: "fine" }]
    })).toEqual({
      usage: { inputTokens: 3, totalTokens: 5, maxTokens: 9 },
      api_key_env: "OPENAI_API_KEY",
      apiKey: "<redacted>",
      token: "<redacted>",
      headers: { "x-custom": "<redacted>" },
      nested: [{ password: "<redacted>", ok: "fine" }]
    })
  })
})

describe("CORS", () => {
  it("answers a preflight from an allowed origin and not from others", async () => {
    const ok = await fetch(`${server.url}/v1/runs`, {
      method: "OPTIONS",
      headers: { origin: "http://ok.example", "access-control-request-method": "POST" }
    })
    expect(ok.headers.get("access-control-allow-origin")).toBe("http://ok.example")
    const other = await fetch(`${server.url}/v1/agents`, { headers: { origin: "http://evil.example" } })
    expect(other.headers.get("access-control-allow-origin")).not.toBe("http://evil.example")
  })
})

describe("no auth", () => {
  it("lets requests in without a token when tokens are 'none'", async () => {
    expect((await fetch(`${open.url}/v1/agents`)).status).toBe(200)
  })
})
