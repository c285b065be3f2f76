/**
 * A stand-in for `openagents serve` that speaks the HTTP API's contract (the shapes of src/server/Api.ts)
 * over a real runtime built from a config, on 127.0.0.1 and a port the OS picks. The console's browser tests run
 * against it while the real server is being built; it serves the console through the real
 * `Console.serve`. Bearer-token auth as the server does it (none without a token).
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as Plugins from "../../src/config/Plugins.js"
import * as RunStreamChunk from "../../src/kernel/RunStreamChunk.js"
import * as AgentRuntime from "../../src/runtime/AgentRuntime.js"
import * as Console from "../../src/server/Console.js"
import { SessionStore } from "../../src/sessions/SessionStore.js"

export interface StandIn {
  readonly url: string
  readonly close: () => Promise<void>
}

const STATUS: Readonly<Record<string, number>> = {
  TraceNotFound: 404,
  StepNotFound: 404,
  UnknownAgentError: 404,
  ExperienceNotFound: 404,
  ApprovalError: 400,
  ConfigError: 400,
  SessionBusy: 409
}

interface Live {
  readonly chunks: Array<unknown>
  done: boolean
  readonly waiters: Set<() => void>
}

export const start = async (config: Record<string, unknown>, options: { readonly token?: string } = {}): Promise<StandIn> => {
  const managed = ManagedRuntime.make(Plugins.runtimeLayer(config))
  const rt = await managed.runPromise(AgentRuntime.AgentRuntime)
  const store = await managed.runPromise(SessionStore)
  const runs = new Map<string, Live>()
  const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> =>
    managed.runPromiseExit(effect).then((exit) => {
      if (Exit.isSuccess(exit)) return exit.value
      throw Cause.squash(exit.cause)
    })

  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" })
    res.end(JSON.stringify(body))
  }
  const fail = (res: http.ServerResponse, e: unknown) => {
    const err = e as { _tag?: string; message?: string; hint?: string }
    send(res, STATUS[err._tag ?? ""] ?? 500, { _tag: err._tag ?? "Error", message: err.message ?? String(e), ...(err.hint ? { hint: err.hint } : {}) })
  }
  const readBody = async (req: http.IncomingMessage): Promise<Record<string, unknown>> => {
    let text = ""
    for await (const part of req) text += part
    return text === "" ? {} : (JSON.parse(text) as Record<string, unknown>)
  }
  const sse = (res: http.ServerResponse, live: Live, from: number) => {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" })
    let next = from
    const flush = () => {
      for (; next < live.chunks.length; next++) {
        const c = live.chunks[next] as { sequence: number; kind: string }
        res.write(`id: ${c.sequence}\nevent: ${c.kind}\ndata: ${JSON.stringify(c)}\n\n`)
      }
      if (live.done) {
        live.waiters.delete(flush)
        res.end()
      }
    }
    live.waiters.add(flush)
    res.on("close", () => live.waiters.delete(flush))
    flush()
  }

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://x")
    const p = url.pathname
    const method = req.method ?? "GET"
    if (method === "GET" && (p === "/" || p === "/index.html" || p.startsWith("/console/"))) {
      const answer = await Effect.runPromise(Console.serve(p))
      if (Option.isNone(answer)) return send(res, 404, { message: `no such file: ${p}` })
      const web = HttpServerResponse.toWeb(answer.value)
      res.writeHead(web.status, Object.fromEntries(web.headers))
      return res.end(Buffer.from(await web.arrayBuffer()))
    }
    if (p === "/healthz") return send(res, 200, { status: "ok" })
    if (options.token !== undefined && req.headers.authorization !== `Bearer ${options.token}`) {
      return send(res, 401, { _tag: "Unauthorized", message: "Missing or wrong bearer token" })
    }
    const parts = p.split("/").slice(1).map(decodeURIComponent)
    const [v1, resource, id, sub] = parts
    if (v1 !== "v1") return send(res, 404, { message: `no route ${method} ${p}` })
    if (resource === "agents" && method === "GET") {
      if (id === undefined) return send(res, 200, await run(rt.listAgents))
      const info = await run(rt.getAgentInfo(id))
      return Option.isSome(info) ? send(res, 200, info.value) : send(res, 404, { _tag: "UnknownAgentError", message: `no agent ${id}` })
    }
    if (resource === "runs" && method === "POST" && id === undefined) {
      const body = await readBody(req)
      const input = {
        agentId: String(body["agentId"]),
        inputText: String(body["inputText"] ?? ""),
        ...(typeof body["sessionId"] === "string" ? { sessionId: body["sessionId"] } : {}),
        ...(body["budget"] ? { budget: body["budget"] as AgentRuntime.RunInput["budget"] } : {})
      } as AgentRuntime.RunInput
      if (!(req.headers.accept ?? "").includes("text/event-stream")) return send(res, 200, await run(rt.runDetailed(input)))
      const live: Live = { chunks: [], done: false, waiters: new Set() }
      const wake = () => [...live.waiters].forEach((w) => w())
      // a run started by a request outlives it, as the server's runs do: it is not cancelled on disconnect
      const done = managed.runPromise(
        rt.runStream(input).pipe(
          Stream.runForEach((chunk) =>
            Effect.sync(() => {
              if (!runs.has(chunk.runId)) runs.set(chunk.runId, live)
              live.chunks.push(RunStreamChunk.toJson(chunk))
              wake()
            })
          )
        )
      ).finally(() => {
        live.done = true
        wake()
      })
      await Promise.race([done, new Promise<void>((r) => live.waiters.add(function first() {
        live.waiters.delete(first)
        r()
      }))]).catch((e) => fail(res, e))
      if (res.headersSent) return
      return sse(res, live, 0)
    }
    if (resource === "runs" && id !== undefined) {
      const live = runs.get(id)
      if (!live) return send(res, 404, { _tag: "NotFound", message: `no run ${id}` })
      if (sub === "cancel" && method === "POST") return send(res, 200, { runId: id, cancelled: await run(rt.cancel(id)) })
      if (sub === "events" && method === "GET") {
        const last = Number(req.headers["last-event-id"] ?? -1)
        return sse(res, live, Number.isFinite(last) ? last + 1 : 0)
      }
    }
    if (resource === "sessions") {
      if (id === undefined && method === "GET") return send(res, 200, await run(store.listSessions))
      if (id !== undefined && method === "GET") return send(res, 200, { sessionId: id, messages: await run(store.loadMessages(id)) })
      if (id !== undefined && method === "DELETE") {
        await run(rt.closeSession(id))
        await run(store.deleteSession(id))
        res.writeHead(204)
        return res.end()
      }
    }
    if (resource === "approvals") {
      if (id === undefined && method === "GET") return send(res, 200, await run(rt.pendingApprovals(url.searchParams.get("sessionId") ?? undefined)))
      if (id !== undefined && sub !== undefined && method === "POST") {
        const body = await readBody(req)
        const result = body["decision"] === "reject"
          ? await run(rt.reject(id, sub, typeof body["reason"] === "string" ? body["reason"] : undefined))
          : await run(rt.approve(id, sub, body["arguments"] ? { arguments: body["arguments"] as Record<string, unknown> } : undefined))
        return send(res, 200, { runId: id, callId: sub, decision: body["decision"], ...(Option.isSome(result) ? { result: result.value } : {}) })
      }
    }
    if (resource === "traces") {
      if (id === undefined && method === "GET") return send(res, 200, await run(rt.listTraces({ agentId: url.searchParams.get("agentId") ?? undefined })))
      if (id !== undefined && sub === undefined && method === "GET") return send(res, 200, await run(rt.getTrace(id)))
      if (id !== undefined && sub === "feedback" && method === "POST") {
        const body = await readBody(req)
        return send(res, 200, await run(rt.addFeedback({
          traceId: id,
          stepId: String(body["stepId"]),
          type: body["type"] as "positive" | "negative" | "correction",
          content: String(body["content"] ?? "")
        })))
      }
    }
    if (resource === "experiences" && method === "GET") {
      return send(res, 200, await run(rt.listExperiences({ agentId: url.searchParams.get("agentId") ?? undefined })))
    }
    return send(res, 404, { message: `no route ${method} ${p}` })
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e) => (res.headersSent ? res.end() : fail(res, e)))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await managed.dispose()
    }
  }
}
