/**
 * A real server for the HTTP tests: the runtime of an agent.json (loaded as `openagents serve` loads it)
 * served by `Server.layer` on 127.0.0.1 with an OS-chosen port, plus a fetch with the token.
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as HttpServer from "@effect/platform/HttpServer"
import { Context, Effect, Exit, Layer, Scope } from "effect"
import { EventSource } from "eventsource"
import * as fs from "node:fs"
import * as http from "node:http"
import * as os from "node:os"
import * as path from "node:path"
import { CHUNK_KINDS } from "../../src/kernel/RunStreamChunk.js"
import { loadRuntime } from "../../src/cli/internal/runner.js"
import { AgentRuntime } from "../../src/runtime/AgentRuntime.js"
import * as Server from "../../src/server/Server.js"
import { SessionStore } from "../../src/sessions/SessionStore.js"

export const TOKEN = "test-token-0123456789"

/** Agents for the tests: an echo, a slow one (a delay before answering), one whose calc needs approval. */
export const CONFIG = {
  version: "1.0",
  agents: [
    { id: "echo", name: "Echo", llm: { provider: "mock" } },
    {
      id: "slow",
      llm: { provider: "mock", script: [{ delay_ms: 600, text: "slow answer in several words here" }] }
    },
    {
      id: "approver",
      llm: {
        provider: "mock",
        script: [
          { tool_calls: [{ id: "c1", name: "calc", arguments: { expression: "2+2" } }] },
          { text: "the answer" }
        ]
      },
      tools: [{ id: "calc", type: "calc", approval_mode: "always", editable_params: ["expression"] }]
    }
  ]
}

export interface TestServer {
  readonly url: string
  readonly runtime: AgentRuntime["Type"]
  readonly fetch: (p: string, init?: RequestInit & { readonly json?: unknown }) => Promise<Response>
  readonly close: () => Promise<void>
}

export const startServer = async (
  options: Partial<Server.Options> = {},
  config: unknown = CONFIG
): Promise<TestServer> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "oa-server-"))
  const file = path.join(dir, "agent.json")
  fs.writeFileSync(file, JSON.stringify(config))
  const scope = Effect.runSync(Scope.make())
  const nodeServer = http.createServer()
  const { port, runtime } = await Effect.runPromise(
    Effect.gen(function*() {
      const { runtime, store } = yield* loadRuntime(file)
      const context = yield* Layer.build(
        Server.layer({ tokens: [TOKEN], ...options }).pipe(
          Layer.provide(Layer.merge(Layer.succeed(AgentRuntime, runtime), Layer.succeed(SessionStore, store))),
          Layer.provideMerge(NodeHttpServer.layer(() => nodeServer, { port: 0, host: "127.0.0.1" }))
        )
      )
      yield* Effect.addFinalizer(() => Effect.sync(() => nodeServer.closeAllConnections()))
      const address = Context.get(context, HttpServer.HttpServer).address
      return { port: address._tag === "TcpAddress" ? address.port : 0, runtime }
    }).pipe(Scope.extend(scope))
  )
  const url = `http://127.0.0.1:${port}`
  return {
    url,
    runtime,
    fetch: (p, init = {}) => {
      const { json, ...rest } = init
      const headers = new Headers(rest.headers)
      if (!headers.has("authorization")) headers.set("authorization", `Bearer ${TOKEN}`)
      if (json !== undefined) headers.set("content-type", "application/json")
      return fetch(url + p, { ...rest, headers, ...(json !== undefined ? { method: rest.method ?? "POST", body: JSON.stringify(json) } : {}) })
    },
    close: async () => {
      await Effect.runPromise(Scope.close(scope, Exit.void))
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}

export interface SseEvent {
  readonly id: string
  readonly event: string
  readonly data: any
}

/**
 * The events of an SSE endpoint read with the `eventsource` package until `run.finished` (or `stopAfter`
 * events): `init` makes its request (a POST to start a run, a Last-Event-ID to re-attach).
 */
export const readEvents = (
  url: string,
  init: { readonly method?: string; readonly body?: unknown; readonly headers?: Record<string, string> } = {},
  stopAfter = Infinity
): Promise<ReadonlyArray<SseEvent>> =>
  new Promise((resolve, reject) => {
    const events: Array<SseEvent> = []
    const es = new EventSource(url, {
      fetch: (input, req) =>
        fetch(input, {
          ...req,
          method: init.method ?? "GET",
          headers: {
            ...req.headers,
            authorization: `Bearer ${TOKEN}`,
            ...(init.body !== undefined ? { "content-type": "application/json" } : {}),
            ...init.headers
          },
          ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {})
        })
    })
    const done = () => {
      es.close()
      resolve(events)
    }
    const on = (e: MessageEvent) => {
      events.push({ id: e.lastEventId, event: e.type, data: JSON.parse(e.data) })
      if (e.type === "run.finished" || events.length >= stopAfter) done()
    }
    for (const kind of CHUNK_KINDS) {
      es.addEventListener(kind, on)
    }
    es.onerror = (e) => {
      es.close()
      reject(new Error(`SSE error: ${(e as any).message ?? "?"} (code ${(e as any).code ?? "?"})`))
    }
  })
