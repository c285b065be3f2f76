/**
 * `npm run bench:server`: the HTTP server under load. CLIENTS (default 1,000) concurrent clients each
 * start a run with `Accept: text/event-stream` on one server (the scripted mock model, a delay before
 * it answers so every stream is open at once) and check that they received the run's whole stream:
 * sequences 0..n without a gap, ending with run.finished. Reported as a ratio against the same runs
 * streamed in-process (`runtime.runStream`, no HTTP).
 *
 * Soak mode, `npm run bench:server -- --soak 60` (seconds): waves of CLIENTS runs until the duration is
 * over, then the heap before and after (with --expose-gc, after a full collection), so a leak per run
 * shows as growth that does not level off.
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as HttpServer from "@effect/platform/HttpServer"
import { Chunk, Context, Effect, Exit, Layer, Scope, Stream } from "effect"
import * as http from "node:http"
import * as EventBus from "../src/events/EventBus.js"
import * as InMemorySessionStore from "../src/sessions/InMemorySessionStore.js"
import * as Skills from "../src/skills/Skills.js"
import * as MockModel from "../src/llm/MockModel.js"
import * as AgentRuntime from "../src/runtime/AgentRuntime.js"
import * as Server from "../src/server/Server.js"
import { SessionStore } from "../src/sessions/SessionStore.js"
import { fmt, gc, heapUsed, kb } from "./support.js"

const CLIENTS = Number(process.env["CLIENTS"] ?? 1000)
const soakArg = process.argv.indexOf("--soak")
const SOAK_SECONDS = soakArg >= 0 ? Number(process.argv[soakArg + 1] ?? 30) : 0
const TOKEN = "bench-token"
const WORDS = "one two three four five six seven eight nine ten"

const runtimeLayer = AgentRuntime.layer({
  agents: [{ id: "bench", model: MockModel.layer({ script: [{ delayMs: 200, text: WORDS }] }) }]
}).pipe(Layer.provideMerge(Layer.mergeAll(InMemorySessionStore.layer, EventBus.layer(), Skills.layerNone)))

/** One SSE client: starts a run and checks its stream; resolves with the number of chunks. */
const client = async (url: string, sessionId: string): Promise<number> => {
  const res = await fetch(`${url}/v1/runs`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, accept: "text/event-stream", "content-type": "application/json" },
    body: JSON.stringify({ agentId: "bench", sessionId, inputText: "go" })
  })
  if (res.status !== 200) throw new Error(`${sessionId}: status ${res.status}: ${await res.text()}`)
  const decoder = new TextDecoder()
  let buffer = ""
  let expected = 0
  let finished = false
  for await (const bytes of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(bytes, { stream: true })
    let end: number
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      if (frame.startsWith(":")) continue
      const id = /^id: (\d+)$/m.exec(frame)?.[1]
      const event = /^event: (.+)$/m.exec(frame)?.[1]
      if (Number(id) !== expected) throw new Error(`${sessionId}: expected id ${expected}, got ${id} (a gap)`)
      expected++
      if (event === "run.finished") finished = true
    }
  }
  if (!finished) throw new Error(`${sessionId}: the stream ended before run.finished (${expected} chunks)`)
  return expected
}

const main = Effect.gen(function*() {
  // as `openagents serve` does: the client closes an idle connection before the server would
  const nodeServer = http.createServer({ keepAliveTimeout: 65_000, headersTimeout: 66_000 })
  const context = yield* Layer.build(
    Server.layer({ tokens: [TOKEN], maxFinishedRuns: CLIENTS }).pipe(
      Layer.provideMerge(runtimeLayer),
      Layer.provideMerge(NodeHttpServer.layer(() => nodeServer, { port: 0, host: "127.0.0.1", backlog: 4096 }))
    )
  )
  yield* Effect.addFinalizer(() => Effect.sync(() => nodeServer.closeAllConnections()))
  const address = Context.get(context, HttpServer.HttpServer).address
  const url = `http://127.0.0.1:${address._tag === "TcpAddress" ? address.port : 0}`
  const runtime = Context.get(context, AgentRuntime.AgentRuntime)
  const store = Context.get(context, SessionStore)

  const forget = (ids: ReadonlyArray<string>) =>
    Effect.forEach(ids, (id) => Effect.zipRight(runtime.closeSession(id), Effect.orDie(store.deleteSession(id))), {
      discard: true
    })

  const wave = (tag: string) =>
    Effect.gen(function*() {
      const ids = Array.from({ length: CLIENTS }, (_, i) => `${tag}-${i}`)
      const start = performance.now()
      const counts = yield* Effect.promise(() => Promise.all(ids.map((id) => client(url, id))))
      const ms = performance.now() - start
      yield* forget(ids)
      return { ms, chunks: counts.reduce((a, b) => a + b, 0), min: Math.min(...counts) }
    })

  const bare = (tag: string) =>
    Effect.gen(function*() {
      const ids = Array.from({ length: CLIENTS }, (_, i) => `${tag}-${i}`)
      const start = performance.now()
      yield* Effect.forEach(ids, (sessionId) =>
        Stream.runCollect(runtime.runStream({ agentId: "bench", sessionId, inputText: "go" })).pipe(Effect.map(Chunk.size)), {
        concurrency: "unbounded"
      })
      const ms = performance.now() - start
      yield* forget(ids)
      return ms
    })

  if (SOAK_SECONDS > 0) {
    // SOAK_BARE=1: the same waves in-process, to tell the server's share of any growth from the runtime's
    const soakWave = process.env["SOAK_BARE"] === "1" ? bare : wave
    yield* soakWave("warm")
    const collected = gc()
    const before = heapUsed()
    const until = performance.now() + SOAK_SECONDS * 1000
    let waves = 0
    let runs = 0
    while (performance.now() < until) {
      yield* soakWave(`soak${waves}`)
      waves++
      runs += CLIENTS
    }
    gc()
    const after = heapUsed()
    console.log(`soak: ${waves} waves of ${CLIENTS} ${soakWave === wave ? "SSE clients" : "in-process runs"} (${runs} runs) in ${SOAK_SECONDS} s, every stream gap-free`)
    console.log(`heap before ${kb(before)}, after ${kb(after)} (${collected ? "after a full GC" : "no --expose-gc: not collected"})`)
    console.log(`SUMMARY server soak: ${runs} runs, heap ${kb(after - before)} growth, ${fmt((after - before) / runs, 1)} bytes/run`)
    return
  }

  yield* wave("warm")
  yield* bare("warm-bare")
  const http1 = yield* wave("http")
  const base = yield* bare("bare")
  console.log(`${CLIENTS} concurrent SSE clients: every stream complete and gap-free (${http1.chunks} chunks, at least ${http1.min} each)`)
  console.log(`  over HTTP ${fmt(http1.ms, 0)} ms; the same runs in-process ${fmt(base.valueOf(), 0)} ms (the script waits 200 ms per run)`)
  console.log(`SUMMARY server: ${CLIENTS} SSE clients gap-free, ${fmt(http1.ms / base, 2)}x the in-process runs`)
})

const scope = Effect.runSync(Scope.make())
Effect.runPromise(Scope.extend(main, scope)).then(
  () => Effect.runPromise(Scope.close(scope, Exit.void)).then(() => process.exit(0)),
  (e) => {
    console.error(e)
    process.exit(1)
  }
)
