/**
 * The HTTP API against a real server on 127.0.0.1: every endpoint, 401 without a token, 400/404 cases,
 * SSE read by the `eventsource` client, re-attach with Last-Event-ID, and disconnects.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { readEvents, startServer, type TestServer } from "./support.js"

let server: TestServer
beforeAll(async () => {
  server = await startServer()
}, 60_000)
afterAll(() => server.close())

const body = async (res: Response) => ({ status: res.status, json: await res.json() as any })

/** Polls the run's status until it finished. */
const finished = async (runId: string): Promise<any> => {
  for (let i = 0; i < 200; i++) {
    const { json } = await body(await server.fetch(`/v1/runs/${runId}`))
    if (json.status === "finished") return json.result
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`run ${runId} did not finish`)
}

/** Starts a run as SSE with fetch, reads up to its first event, then disconnects. */
const startAndLeave = async (request: object) => {
  const controller = new AbortController()
  const res = await server.fetch("/v1/runs", { json: request, headers: { accept: "text/event-stream" }, signal: controller.signal })
  expect(res.status).toBe(200)
  expect(res.headers.get("content-type")).toContain("text/event-stream")
  const reader = res.body!.getReader()
  let text = ""
  while (!text.includes("event: run.started")) text += new TextDecoder().decode((await reader.read()).value)
  controller.abort()
  return text
}

describe("security", () => {
  it("health and readiness need no token; every /v1 endpoint needs one", async () => {
    expect(await body(await fetch(`${server.url}/healthz`))).toEqual({ status: 200, json: { status: "ok" } })
    expect(await body(await fetch(`${server.url}/readyz`))).toEqual({ status: 200, json: { status: "ready", agents: 3 } })
    const paths: ReadonlyArray<readonly [string, string]> = [
      ["GET", "/v1/agents"], ["GET", "/v1/agents/echo"], ["POST", "/v1/runs"], ["GET", "/v1/runs/x"],
      ["POST", "/v1/runs/x/cancel"], ["GET", "/v1/runs/x/events"], ["GET", "/v1/sessions"], ["GET", "/v1/sessions/s"],
      ["DELETE", "/v1/sessions/s"], ["GET", "/v1/approvals"], ["POST", "/v1/approvals/r/c"], ["GET", "/v1/traces"],
      ["GET", "/v1/traces/t"], ["POST", "/v1/traces/t/feedback"], ["GET", "/v1/experiences"], ["DELETE", "/v1/experiences/e"]
    ]
    for (const [method, p] of paths) {
      const none = await fetch(server.url + p, { method })
      expect([p, none.status]).toEqual([p, 401])
      expect((await none.json() as any)._tag).toBe("Unauthorized")
      const wrong = await fetch(server.url + p, { method, headers: { authorization: "Bearer test-token-0123456788" } })
      expect([p, wrong.status]).toEqual([p, 401])
    }
  })

  it("refuses a body over the limit with 413", async () => {
    const res = await server.fetch("/v1/runs", { json: { agentId: "echo", inputText: "x".repeat(1024 * 1024 + 10) } })
    expect(res.status).toBe(413)
    expect((await res.json() as any).message).toContain("at most 1048576")
  })

  it("cuts off a chunked body at the limit", async () => {
    const big = new TextEncoder().encode(JSON.stringify({ agentId: "echo", inputText: "x".repeat(1024 * 1024 + 10) }))
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < big.length; i += 64 * 1024) controller.enqueue(big.slice(i, i + 64 * 1024))
        controller.close()
      }
    })
    // the server stops reading at the limit and drops the connection: the request never succeeds
    const status = await server.fetch("/v1/runs", { method: "POST", body, headers: { "content-type": "application/json" }, duplex: "half" } as RequestInit)
      .then((res) => res.status, () => "closed")
    expect([400, 413, "closed"]).toContain(status)
  })

  it("sends no CORS headers unless configured", async () => {
    const res = await fetch(`${server.url}/v1/agents`, { headers: { origin: "http://evil.example" } })
    expect(res.headers.get("access-control-allow-origin")).toBeNull()
  })
})

describe("agents", () => {
  it("lists and describes agents; an unknown id is 404", async () => {
    expect(await body(await server.fetch("/v1/agents"))).toEqual({
      status: 200,
      json: [{ id: "echo", name: "Echo" }, { id: "slow", name: "slow" }, { id: "approver", name: "approver" }]
    })
    const echo = await body(await server.fetch("/v1/agents/echo"))
    expect(echo.status).toBe(200)
    expect(echo.json).toMatchObject({ id: "echo", name: "Echo", tools: [] })
    const unknown = await body(await server.fetch("/v1/agents/nope"))
    expect(unknown.status).toBe(404)
    expect(unknown.json.message).toContain("Unknown agent id 'nope'")
  })
})

describe("runs", () => {
  it("starts a run and answers its RunResult as JSON; GET shows it finished", async () => {
    const res = await body(await server.fetch("/v1/runs", { json: { agentId: "echo", sessionId: "s-json", inputText: "hi", runId: "run-json" } }))
    expect(res.status).toBe(200)
    expect(res.json).toMatchObject({ runId: "run-json", stopReason: "completed", finalOutput: "Echo: hi (history=0)" })
    const status = await body(await server.fetch("/v1/runs/run-json"))
    expect(status.json).toMatchObject({ runId: "run-json", status: "finished", agentId: "echo", sessionId: "s-json" })
    expect(status.json.result.stopReason).toBe("completed")
  })

  it("answers an invalid request with 400 and the runtime's (the CLI's and client's) messages", async () => {
    const request = { agentId: "echo", inputText: "hi", budget: { maxSteps: 0, maxToolCalls: -1 } }
    const res = await body(await server.fetch("/v1/runs", { json: request }))
    expect(res.status).toBe(400)
    const direct = await Effect.runPromise(Effect.flip(server.runtime.runDetailed(request as any)))
    expect(direct._tag).toBe("ConfigError")
    expect(res.json.message).toBe(direct.message)
    expect(res.json.issues).toContainEqual({ path: "request.budget.maxSteps", message: "must be a positive integer (got 0)" })
    expect(res.json.issues).toContainEqual({ path: "request.budget.maxToolCalls", message: "must be a non-negative integer (got -1)" })
  })

  it("answers other bad starts with 400, 404 and never a 200 with an error in the stream", async () => {
    const notJson = await server.fetch("/v1/runs", { method: "POST", body: "{nope", headers: { "content-type": "application/json" } })
    expect(notJson.status).toBe(400)
    expect((await notJson.json() as any).message).toContain("request: the body is not valid JSON")
    const array = await body(await server.fetch("/v1/runs", { json: [1] }))
    expect(array.status).toBe(400)
    const deps = await body(await server.fetch("/v1/runs", { json: { agentId: "echo", inputText: "x", deps: {} } }))
    expect(deps).toMatchObject({ status: 400, json: { message: "request.deps: cannot be given over HTTP (set it in code)" } })
    const flag = await body(await server.fetch("/v1/runs", { json: { agentId: "echo", inputText: "x", cancelOnDisconnect: "yes" } }))
    expect(flag.json.issues).toEqual([{ path: "request.cancelOnDisconnect", message: "must be a boolean (true or false)" }])
    const unknownKey = await body(await server.fetch("/v1/runs", { json: { agentId: "echo", inputTxt: "x" } }))
    expect(unknownKey.status).toBe(400)
    const unknownAgent = await server.fetch("/v1/runs", { json: { agentId: "ecko", inputText: "x" }, headers: { accept: "text/event-stream" } })
    expect(unknownAgent.status).toBe(404)
    expect(unknownAgent.headers.get("content-type")).toContain("application/json")
    expect((await unknownAgent.json() as any).message).toContain("Did you mean 'echo'?")
    expect((await server.fetch("/v1/runs/none")).status).toBe(404)
    expect((await server.fetch("/v1/runs/none/cancel", { method: "POST" })).status).toBe(404)
    expect((await server.fetch("/v1/runs/none/events")).status).toBe(404)
  })

  it("streams a run as SSE (id = sequence, event = kind) read by the eventsource client", async () => {
    const events = await readEvents(`${server.url}/v1/runs`, {
      method: "POST",
      body: { agentId: "echo", sessionId: "s-sse", inputText: "hello there", runId: "run-sse" },
      headers: { accept: "text/event-stream" }
    })
    expect(events[0]!.event).toBe("run.started")
    expect(events.at(-1)!.event).toBe("run.finished")
    events.forEach((e, i) => {
      expect(e.id).toBe(String(i))
      expect(e.data.sequence).toBe(i)
      expect(e.data.kind).toBe(e.event)
      expect(e.data.runId).toBe("run-sse")
    })
    expect(events.at(-1)!.data.result.finalOutput).toBe("Echo: hello there (history=0)")
    // a finished run replays in full, and from any point
    const replay = await readEvents(`${server.url}/v1/runs/run-sse/events`, { headers: { "last-event-id": "2" } })
    expect(replay.map((e) => e.id)).toEqual(events.slice(3).map((e) => e.id))
    const bad = await server.fetch("/v1/runs/run-sse/events", { headers: { "last-event-id": "x" } })
    expect(bad.status).toBe(400)
  })

  it("a client that disconnects leaves the run going; re-attaching with Last-Event-ID misses no chunk", async () => {
    const first = await startAndLeave({ agentId: "slow", sessionId: "s-leave", inputText: "go", runId: "run-leave" })
    expect(first).toContain("id: 0\n")
    const status = await body(await server.fetch("/v1/runs/run-leave"))
    expect(status.json.status).toBe("running")
    const rest = await readEvents(`${server.url}/v1/runs/run-leave/events`, { headers: { "last-event-id": "0" } })
    expect(rest.map((e) => Number(e.id))).toEqual(rest.map((_, i) => i + 1))
    expect(rest.at(-1)!.event).toBe("run.finished")
    expect(rest.at(-1)!.data.result.stopReason).toBe("completed")
    expect((await finished("run-leave")).finalOutput).toBe("slow answer in several words here")
  })

  it("a client that asked for cancelOnDisconnect cancels its run by leaving", async () => {
    await startAndLeave({ agentId: "slow", sessionId: "s-cod", inputText: "go", runId: "run-cod", cancelOnDisconnect: true })
    expect((await finished("run-cod")).stopReason).toBe("cancelled")
  })

  it("a JSON client that disconnects leaves the run going", async () => {
    const controller = new AbortController()
    const pending = server.fetch("/v1/runs", { json: { agentId: "slow", sessionId: "s-jl", inputText: "go", runId: "run-jl" }, signal: controller.signal })
    for (let i = 0; i < 200 && (await server.fetch("/v1/runs/run-jl")).status === 404; i++) await new Promise((r) => setTimeout(r, 10))
    controller.abort()
    await pending.catch(() => undefined)
    expect((await finished("run-jl")).stopReason).toBe("completed")
  })

  it("cancels a run in progress", async () => {
    const reading = readEvents(`${server.url}/v1/runs`, {
      method: "POST",
      body: { agentId: "slow", sessionId: "s-cancel", inputText: "go", runId: "run-cancel" },
      headers: { accept: "text/event-stream" }
    })
    for (let i = 0; i < 200 && (await server.fetch("/v1/runs/run-cancel")).status === 404; i++) await new Promise((r) => setTimeout(r, 10))
    expect(await body(await server.fetch("/v1/runs/run-cancel/cancel", { method: "POST" }))).toEqual({
      status: 200,
      json: { runId: "run-cancel", cancelled: true }
    })
    const events = await reading
    expect(events.at(-1)!.data.result.stopReason).toBe("cancelled")
    expect(await body(await server.fetch("/v1/runs/run-cancel/cancel", { method: "POST" }))).toEqual({
      status: 200,
      json: { runId: "run-cancel", cancelled: false }
    })
  })
})

describe("sessions", () => {
  it("lists, shows and deletes sessions; unknown ids are 404", async () => {
    await server.fetch("/v1/runs", { json: { agentId: "echo", sessionId: "s-del", inputText: "remember me" } })
    const list = await body(await server.fetch("/v1/sessions"))
    expect(list.json).toContain("s-del")
    const shown = await body(await server.fetch("/v1/sessions/s-del"))
    expect(shown.status).toBe(200)
    expect(shown.json.sessionId).toBe("s-del")
    expect(JSON.stringify(shown.json.messages)).toContain("remember me")
    expect((await server.fetch("/v1/sessions/s-del", { method: "DELETE" })).status).toBe(204)
    expect((await server.fetch("/v1/sessions/s-del")).status).toBe(404)
    expect((await server.fetch("/v1/sessions/s-del", { method: "DELETE" })).status).toBe(404)
  })
})

describe("approvals", () => {
  it("lists a pending call, approves it with edited arguments; unknown calls are 404", async () => {
    const stopped = await body(await server.fetch("/v1/runs", {
      json: { agentId: "approver", sessionId: "s-appr", inputText: "compute", runId: "run-appr", waitForApproval: false }
    }))
    expect(stopped.json.stopReason).toBe("awaiting_approval")
    const pending = await body(await server.fetch("/v1/approvals?sessionId=s-appr"))
    expect(pending.json).toHaveLength(1)
    expect(pending.json[0]).toMatchObject({ runId: "run-appr", callId: "c1", tool: "calc" })
    // an edit of a parameter that is not editable is refused with 400, and the call stays pending
    const refused = await body(await server.fetch("/v1/approvals/run-appr/c1", {
      json: { decision: "approve", arguments: { nope: 1 } }
    }))
    expect(refused.status).toBe(400)
    expect(refused.json.message).toContain("nope")
    const approved = await body(await server.fetch("/v1/approvals/run-appr/c1", {
      json: { decision: "approve", arguments: { expression: "3+3" } }
    }))
    expect(approved.status).toBe(200)
    expect(approved.json).toMatchObject({ runId: "run-appr", callId: "c1", decision: "approve" })
    expect(approved.json.result.stopReason).toBe("completed")
    expect((await body(await server.fetch("/v1/approvals?sessionId=s-appr"))).json).toEqual([])
    const unknown = await body(await server.fetch("/v1/approvals/run-appr/c9", { json: { decision: "reject" } }))
    expect(unknown.status).toBe(404)
    expect(unknown.json.message).toContain("no call 'c9' of run 'run-appr' waits for approval")
    // a bad body reads as the config's and run requests' problems: each at its path, unknown keys with a did-you-mean
    const badDecision = await body(await server.fetch("/v1/approvals/run-appr/c1", { json: { decision: "maybe", reasn: "x" } }))
    expect(badDecision.status).toBe(400)
    expect(badDecision.json._tag).toBe("BadRequest")
    expect(badDecision.json.message).toMatch(/^Invalid decision: 2 problems\n/)
    expect(badDecision.json.issues).toEqual([
      { path: "request.decision", message: "must be one of 'approve', 'reject' (got \"maybe\")" },
      { path: "request.reasn", message: "unknown key (did you mean 'reason'?)" }
    ])
  })

  it("streams the run a decision continues (Accept: text/event-stream), which /v1/runs follows under its run id", async () => {
    await server.fetch("/v1/runs", {
      json: { agentId: "approver", sessionId: "s-appr-sse", inputText: "compute", runId: "run-appr-sse", waitForApproval: false }
    })
    const events = await readEvents(`${server.url}/v1/approvals/run-appr-sse/c1`, {
      method: "POST",
      body: { decision: "approve", arguments: { expression: "5*5" } }
    })
    expect(events[0]).toMatchObject({ id: "0", event: "run.started" })
    expect(events.map((e) => Number(e.id))).toEqual(events.map((_, i) => i))
    const finished = events[events.length - 1]!
    expect(finished.event).toBe("run.finished")
    expect(finished.data.runId).toBe("run-appr-sse")
    expect(finished.data.result.stopReason).toBe("completed")
    // the approved call ran with the edited argument
    const result = events.find((e) => e.event === "tool.finished")
    expect(JSON.stringify(result?.data.payload)).toContain("25")
    // the server knows the continued run: its status, and its chunks again from the start
    const status = await body(await server.fetch("/v1/runs/run-appr-sse"))
    expect(status.json).toMatchObject({ status: "finished", sessionId: "s-appr-sse", lastSequence: events.length - 1 })
    const again = await readEvents(`${server.url}/v1/runs/run-appr-sse/events`)
    expect(again.map((e) => e.event)).toEqual(events.map((e) => e.event))
  })

  it("rejects a pending call", async () => {
    await server.fetch("/v1/runs", {
      json: { agentId: "approver", sessionId: "s-rej", inputText: "compute", runId: "run-rej", waitForApproval: false }
    })
    const rejected = await body(await server.fetch("/v1/approvals/run-rej/c1", { json: { decision: "reject", reason: "no" } }))
    expect(rejected.status).toBe(200)
    expect(rejected.json.decision).toBe("reject")
    expect((await body(await server.fetch("/v1/approvals?sessionId=s-rej"))).json).toEqual([])
  })
})

describe("traces and experiences", () => {
  it("lists and shows traces, takes feedback, lists and deletes experiences; unknown ids are 404", async () => {
    await server.fetch("/v1/runs", { json: { agentId: "echo", sessionId: "s-tr", inputText: "trace me", runId: "run-tr" } })
    const list = await body(await server.fetch("/v1/traces?sessionId=s-tr"))
    expect(list.status).toBe(200)
    expect(list.json.map((t: any) => t.traceId)).toContain("run-tr")
    const shown = await body(await server.fetch("/v1/traces/run-tr"))
    expect(shown.json.trace.traceId).toBe("run-tr")
    const step = shown.json.steps[0].stepId
    const feedback = await body(await server.fetch("/v1/traces/run-tr/feedback", {
      json: { stepId: step, type: "correction", content: "always greet first" }
    }))
    expect(feedback.status).toBe(200)
    expect(typeof feedback.json.experienceId).toBe("string")
    const experiences = await body(await server.fetch("/v1/experiences?agentId=echo"))
    expect(experiences.json.map((e: any) => e.experienceId)).toContain(feedback.json.experienceId)
    expect((await server.fetch(`/v1/experiences/${feedback.json.experienceId}`, { method: "DELETE" })).status).toBe(204)
    expect((await server.fetch(`/v1/experiences/${feedback.json.experienceId}`, { method: "DELETE" })).status).toBe(404)
    expect((await server.fetch("/v1/traces/nope")).status).toBe(404)
    const noStep = await server.fetch("/v1/traces/run-tr/feedback", { json: { stepId: "nope", type: "positive", content: "x" } })
    expect(noStep.status).toBe(404)
    const noTrace = await server.fetch("/v1/traces/nope/feedback", { json: { stepId: "x", type: "positive", content: "x" } })
    expect(noTrace.status).toBe(404)
    const badType = await body(await server.fetch("/v1/traces/run-tr/feedback", { json: { stepId: step, type: "meh" } }))
    expect(badType.status).toBe(400)
    expect(badType.json.issues.map((i: { path: string }) => i.path)).toEqual(["request.content", "request.type"]) // a missing key ranks with its parent, as in the config
    const notJson = await body(await server.fetch("/v1/traces/run-tr/feedback", { method: "POST", body: "{" }))
    expect(notJson.status).toBe(400)
    expect(notJson.json.message).toMatch(/^request: the body is not valid JSON/)
  })
})

describe("openapi", () => {
  it("serves the OpenAPI document of the definitions", async () => {
    const res = await body(await fetch(`${server.url}/openapi.json`))
    expect(res.status).toBe(200)
    expect(res.json.openapi).toBe("3.1.0")
    for (const p of ["/v1/agents", "/v1/runs", "/v1/runs/{runId}", "/v1/runs/{runId}/cancel", "/v1/runs/{runId}/events",
      "/v1/approvals", "/v1/approvals/{runId}/{callId}", "/v1/traces/{traceId}", "/v1/traces/{traceId}/feedback", "/healthz"]) {
      expect(Object.keys(res.json.paths)).toContain(p)
    }
  })
})

describe("typed client", () => {
  it("HttpApiClient.make(Api) calls the server", async () => {
    const { HttpApiClient, HttpClient, HttpClientRequest, FetchHttpClient } = await import("@effect/platform")
    const { Api } = await import("../../src/server/Api.js")
    const { TOKEN } = await import("./support.js")
    const program = Effect.gen(function*() {
      const client = yield* HttpApiClient.make(Api, {
        baseUrl: server.url,
        transformClient: HttpClient.mapRequest(HttpClientRequest.bearerToken(TOKEN))
      })
      const agents = yield* client.agents.list()
      const result = yield* client.runs.start({ payload: { agentId: "echo", sessionId: "s-client", inputText: "typed" } })
      const status = yield* client.runs.get({ path: { runId: result.runId } })
      const missing = yield* Effect.flip(client.runs.get({ path: { runId: "nope" } }))
      return { agents, result, status, missing }
    })
    const out = await Effect.runPromise(program.pipe(Effect.provide(FetchHttpClient.layer)))
    expect(out.agents.map((a) => a.id)).toContain("echo")
    expect(out.result.finalOutput).toBe("Echo: typed (history=0)")
    expect(out.status.status).toBe("finished")
    expect(out.missing._tag).toBe("NotFound")
  })
})
