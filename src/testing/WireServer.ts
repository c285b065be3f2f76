/**
 * A loopback HTTP server that speaks the Anthropic Messages (`POST /v1/messages`), OpenAI Chat
 * Completions (`POST /v1/chat/completions`) and OpenAI Responses (`POST /v1/responses`) wire protocols
 * to the real SDK clients. Each test scripts a queue of replies (model messages or faults); the server
 * renders each one in the protocol of the request that takes it, streamed or not per the request's
 * `stream` field, and records every request (method, path, headers, parsed body, whether the client
 * closed the connection before the response ended).
 *
 * Usable as a scoped Effect resource ({@link make}) or as a plain Promise API ({@link start}).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import {
  type Block,
  encodeFrame,
  errorBody,
  type Frame,
  lastUserText,
  type MessageReply,
  type Protocol,
  renderFrames,
  renderJson,
  streamErrorFrame,
  type StreamErrorKind,
  type Usage
} from "./internal/render.js"

/**
 * The reply building blocks, re-exported from the renderer.
 *
 * @since 0.1.0
 * @category models
 */
export type { Block, MessageReply, Protocol, StreamErrorKind, Usage }

/**
 * One scripted reply: a model message, or a fault.
 *
 * @since 0.1.0
 * @category models
 */
export type Reply =
  | MessageReply
  /** An HTTP error status with the protocol's error body; `headers` e.g. `retry-after`. */
  | {
      readonly kind: "http_error"
      readonly status: number
      readonly message: string
      readonly errorType?: string | undefined
      readonly code?: string | undefined
      readonly headers?: Readonly<Record<string, string>> | undefined
    }
  /** A 200 stream that sends `afterEvents` frames of `reply`, then an error event (streams only). */
  | {
      readonly kind: "stream_error"
      readonly afterEvents: number
      readonly error: StreamErrorKind
      readonly message: string
      readonly style?: "error" | "failed" | undefined
      readonly reply?: MessageReply | undefined
    }
  /** Headers, then `afterEvents` frames (streams) or the first half of the body (`afterEvents > 0`), then silence. */
  | { readonly kind: "stall"; readonly afterEvents?: number | undefined; readonly reply?: MessageReply | undefined }
  /** Never answers, not even headers. */
  | { readonly kind: "hang" }
  /** Destroys the socket: before any byte of the response, or after `afterEvents` frames / half the body. */
  | { readonly kind: "drop"; readonly afterEvents?: number | undefined; readonly reply?: MessageReply | undefined }
  /** 200 whose JSON body (or one SSE data frame, after `afterEvents` frames) is not JSON. */
  | { readonly kind: "malformed"; readonly afterEvents?: number | undefined; readonly reply?: MessageReply | undefined }
  /**
   * A slow but live reply: after `afterEvents` frames, `count` keep-alives (`event: ping` for Anthropic,
   * an SSE `:` comment for OpenAI) one every `intervalMs` of real time, then the rest; a JSON body is
   * sent in `count + 1` slices instead.
   */
  | {
      readonly kind: "keepalive"
      readonly count: number
      readonly intervalMs: number
      readonly afterEvents?: number | undefined
      readonly reply?: MessageReply | undefined
    }
  /** A stream that ends cleanly after `afterEvents` frames, before its terminal event. */
  | { readonly kind: "truncate"; readonly afterEvents: number; readonly reply?: MessageReply | undefined }
  /** Anything else, byte for byte. */
  | {
      readonly kind: "raw"
      readonly status: number
      readonly headers?: Readonly<Record<string, string>> | undefined
      readonly body: string
    }

/**
 * A request as the server received it.
 *
 * @since 0.1.0
 * @category models
 */
export interface RecordedRequest {
  readonly index: number
  readonly method: string
  readonly path: string
  readonly protocol: Protocol | undefined
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>
  /** The parsed JSON body (undefined when it was not JSON). */
  readonly body: any
  readonly stream: boolean
  /** The reply it was given (undefined for the fallback). */
  readonly reply: Reply | undefined
  /** True once the connection closed before the server finished the response (client abort or server drop). */
  closedEarly: boolean
  /** True once the connection closed, however. */
  closed: boolean
  /** Resolves when the connection closes. */
  readonly whenClosed: Promise<void>
}

/**
 * Options of the server.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Port to listen on (default 0: an ephemeral port). */
  readonly port?: number | undefined
  /** Host (default 127.0.0.1). */
  readonly host?: string | undefined
  /** Replies queued at start. */
  readonly replies?: ReadonlyArray<Reply> | undefined
  /**
   * What to answer when the queue is empty: `error` (default; a 400 naming the problem, so a test
   * that forgot a reply fails loudly) or `echo` (echo the last user message; for manual runs).
   */
  readonly fallback?: "error" | "echo" | undefined
  /** Log each request to stderr (the CLI entry sets it). */
  readonly log?: boolean | undefined
}

/**
 * A running server.
 *
 * @since 0.1.0
 * @category models
 */
export interface WireServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string
  readonly port: number
  /** Base URL for the Anthropic SDK (the bare origin). */
  readonly anthropicBaseUrl: string
  /** Base URL for the OpenAI SDK (origin + `/v1`). */
  readonly openAiBaseUrl: string
  /** Every request so far, in arrival order. */
  readonly requests: ReadonlyArray<RecordedRequest>
  /** Appends replies to the queue. */
  readonly enqueue: (...replies: ReadonlyArray<Reply>) => void
  /** Replies not yet taken. */
  readonly pending: () => number
  /** Resolves once `n` requests have arrived. */
  readonly waitForRequests: (n: number) => Promise<void>
  /** Resolves once the server has written everything it will write for request `index` (a stall's frames included). */
  readonly waitForWritten: (index: number) => Promise<void>
  /** Stops listening and destroys every open connection. */
  readonly close: () => Promise<void>
}

const PROTOCOLS: Readonly<Record<string, Protocol>> = {
  "/v1/messages": "anthropic",
  "/v1/chat/completions": "chat",
  "/v1/responses": "responses"
}

/**
 * Helpers that build scripted replies.
 *
 * @since 0.1.0
 * @category constructors
 */
export const Wire = {
  text: (text: string): Block => ({ type: "text", text }),
  toolCall: (id: string, name: string, args: string | Record<string, unknown>): Block => ({
    type: "tool_call",
    id,
    name,
    arguments: args
  }),
  thinking: (text: string, signature: string, id?: string): Block => ({
    type: "thinking",
    text,
    signature,
    ...(id !== undefined ? { id } : {})
  }),
  redactedThinking: (data: string, id?: string): Block => ({
    type: "redacted_thinking",
    data,
    ...(id !== undefined ? { id } : {})
  }),
  message: (
    blocks: ReadonlyArray<Block>,
    options?: { usage?: Usage; stopReason?: MessageReply["stopReason"]; id?: string; model?: string }
  ): MessageReply => ({ kind: "message", blocks, ...options }),
  /** A message with one text block. */
  /**
   * A tool loop of `rounds` answers, each calling `calc` with `<i>+1` (call id `call_<i>`, with a signed
   * thinking block `sig-<i>` / reasoning item `rs_<i>` first when `thinking`), then a final text.
   */
  countingLoop: (rounds: number, thinking: boolean, label = "Step"): ReadonlyArray<Reply> => [
    ...Array.from({ length: rounds }, (_, i) =>
      Wire.message([
        ...(thinking ? [Wire.thinking(`${label} ${i}: add one.`, `sig-${i}`, `rs_${i}`)] : []),
        Wire.toolCall(`call_${i}`, "calc", { expression: `${i}+1` })
      ])),
    Wire.say("Counted to ten.")
  ],
  say: (text: string, usage?: Usage): MessageReply => ({ kind: "message", blocks: [{ type: "text", text }], ...(usage ? { usage } : {}) }),
  httpError: (status: number, message: string, headers?: Record<string, string>): Reply => ({
    kind: "http_error",
    status,
    message,
    ...(headers ? { headers } : {})
  }),
  rateLimited: (retry?: { readonly retryAfterMs?: number; readonly retryAfter?: string }): Reply => ({
    kind: "http_error",
    status: 429,
    message: "Rate limit reached for requests",
    headers: {
      ...(retry?.retryAfterMs !== undefined ? { "retry-after-ms": String(retry.retryAfterMs) } : {}),
      ...(retry?.retryAfter !== undefined ? { "retry-after": retry.retryAfter } : {})
    }
  }),
  overloaded: (): Reply => ({ kind: "http_error", status: 529, message: "Overloaded" }),
  serverError: (status: 500 | 502 | 503 | 504 = 500): Reply => ({ kind: "http_error", status, message: `upstream failure ${status}` }),
  unauthorized: (): Reply => ({ kind: "http_error", status: 401, message: "invalid x-api-key" }),
  contextLength: (): Reply => ({
    kind: "http_error",
    status: 400,
    message: "prompt is too long: 210000 tokens > 200000 maximum; this model's maximum context length is 200000 tokens"
  }),
  streamError: (error: StreamErrorKind, afterEvents = 2, options?: { style?: "error" | "failed"; reply?: MessageReply }): Reply => ({
    kind: "stream_error",
    error,
    afterEvents,
    message: error === "overloaded" ? "Overloaded" : error === "rate_limit" ? "Rate limit reached" : "The server had an error",
    ...options
  }),
  stall: (afterEvents?: number, reply?: MessageReply): Reply => ({ kind: "stall", afterEvents, reply }),
  hang: (): Reply => ({ kind: "hang" }),
  drop: (afterEvents?: number, reply?: MessageReply): Reply => ({ kind: "drop", afterEvents, reply }),
  malformed: (afterEvents?: number, reply?: MessageReply): Reply => ({ kind: "malformed", afterEvents, reply }),
  truncate: (afterEvents: number, reply?: MessageReply): Reply => ({ kind: "truncate", afterEvents, reply }),
  keepalive: (count: number, intervalMs: number, options?: { afterEvents?: number; reply?: MessageReply }): Reply => ({
    kind: "keepalive",
    count,
    intervalMs,
    ...options
  })
} as const

const DEFAULT_REPLY: MessageReply = {
  kind: "message",
  blocks: [{ type: "text", text: "This reply is long enough to be streamed in several deltas." }]
}

const readBody = (req: http.IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    req.on("error", reject)
  })

/**
 * Starts a server (Promise API). Call `close()` when done.
 *
 * @since 0.1.0
 * @category constructors
 */
export const start = async (options?: Options): Promise<WireServer> => {
  const queue: Array<Reply> = [...(options?.replies ?? [])]
  const requests: Array<RecordedRequest> = []
  const written = new Map<number, { promise: Promise<void>; resolve: () => void }>()
  const requestWaiters: Array<{ n: number; resolve: () => void }> = []
  const sockets = new Set<import("node:net").Socket>()
  let replies = 0

  const writtenOf = (index: number) => {
    let w = written.get(index)
    if (!w) {
      let resolve!: () => void
      const promise = new Promise<void>((r) => (resolve = r))
      w = { promise, resolve }
      written.set(index, w)
    }
    return w
  }

  const sendJson = (res: http.ServerResponse, status: number, body: unknown, headers?: Readonly<Record<string, string>>) => {
    const text = JSON.stringify(body)
    res.writeHead(status, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(text),
      "request-id": `req_wire_${replies}`,
      "x-request-id": `req_wire_${replies}`,
      ...headers
    })
    res.end(text)
  }

  const startSse = (res: http.ServerResponse) => {
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      "request-id": `req_wire_${replies}`,
      "x-request-id": `req_wire_${replies}`
    })
    res.flushHeaders()
  }

  const writeFrames = (res: http.ServerResponse, frames: ReadonlyArray<Frame>) => {
    for (const f of frames) res.write(encodeFrame(f))
  }

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const raw = await readBody(req)
    const path = (req.url ?? "/").split("?")[0]!
    const protocol = PROTOCOLS[path]
    let body: any
    try {
      body = raw === "" ? undefined : JSON.parse(raw)
    } catch {
      body = undefined
    }
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : String(v)
    const stream = body?.stream === true
    const index = requests.length
    const fallback = options?.fallback ?? "error"
    const reply: Reply | undefined = protocol ? queue.shift() : undefined
    let resolveClosed!: () => void
    const record: RecordedRequest = {
      index,
      method: req.method ?? "",
      path,
      protocol,
      headers,
      body,
      stream,
      reply,
      closedEarly: false,
      closed: false,
      whenClosed: new Promise<void>((r) => (resolveClosed = r))
    }
    requests.push(record)
    res.on("close", () => {
      record.closed = true
      if (!res.writableFinished) record.closedEarly = true
      resolveClosed()
      writtenOf(index).resolve()
    })
    for (const w of [...requestWaiters]) {
      if (requests.length >= w.n) {
        requestWaiters.splice(requestWaiters.indexOf(w), 1)
        w.resolve()
      }
    }
    if (options?.log) {
      process.stderr.write(`[wire] #${index} ${req.method} ${path} stream=${stream} reply=${reply?.kind ?? fallback}\n`)
    }
    const n = replies++
    const done = () => writtenOf(index).resolve()

    if (!protocol || req.method !== "POST") {
      sendJson(res, 404, errorBody(protocol ?? "chat", 404, `wire server: no route for ${req.method} ${path}`))
      return done()
    }
    if (body === undefined || typeof body !== "object") {
      sendJson(res, 400, errorBody(protocol, 400, "wire server: the request body is not JSON"))
      return done()
    }

    let effective: Reply | undefined = reply
    if (effective === undefined) {
      if (fallback === "error") {
        sendJson(res, 400, errorBody(protocol, 400, `wire server: no scripted reply left for request #${index}`))
        return done()
      }
      const last = lastUserText(protocol, body)
      effective = {
        kind: "message",
        blocks: [{ type: "text", text: last.afterTool !== undefined ? `Tool result: ${last.afterTool}` : `Echo: ${last.text}` }]
      }
    }

    switch (effective.kind) {
      case "message": {
        if (stream) {
          startSse(res)
          writeFrames(res, renderFrames(protocol, effective, body, n))
          res.end()
        } else {
          sendJson(res, 200, renderJson(protocol, effective, body, n))
        }
        return done()
      }
      case "http_error": {
        const override = { type: effective.errorType, code: effective.code }
        sendJson(res, effective.status, errorBody(protocol, effective.status, effective.message, override), effective.headers)
        return done()
      }
      case "raw": {
        res.writeHead(effective.status, { ...effective.headers })
        res.end(effective.body)
        return done()
      }
      case "hang":
        return done()
      case "stream_error": {
        const frames = renderFrames(protocol, effective.reply ?? DEFAULT_REPLY, body, n).slice(0, effective.afterEvents)
        startSse(res)
        writeFrames(res, frames)
        res.write(encodeFrame(streamErrorFrame(protocol, effective.error, effective.message, frames.length, effective.style)))
        res.end()
        return done()
      }
      case "keepalive": {
        const message = effective.reply ?? DEFAULT_REPLY
        const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
        if (stream) {
          const frames = renderFrames(protocol, message, body, n)
          const head = frames.slice(0, effective.afterEvents ?? 1)
          startSse(res)
          writeFrames(res, head)
          for (let i = 0; i < effective.count; i++) {
            await wait(effective.intervalMs)
            if (res.destroyed) return done()
            res.write(protocol === "anthropic" ? encodeFrame({ event: "ping", data: '{"type": "ping"}' }) : ": keep-alive\n\n")
          }
          writeFrames(res, frames.slice(head.length))
          res.end()
          return done()
        }
        const text = JSON.stringify(renderJson(protocol, message, body, n))
        const size = Math.ceil(text.length / (effective.count + 1))
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) })
        for (let i = 0; i < effective.count; i++) {
          res.write(text.slice(i * size, (i + 1) * size))
          await wait(effective.intervalMs)
          if (res.destroyed) return done()
        }
        res.end(text.slice(effective.count * size))
        return done()
      }
      case "stall":
      case "drop":
      case "malformed":
      case "truncate": {
        const message = effective.reply ?? DEFAULT_REPLY
        const after = effective.afterEvents
        if (effective.kind === "drop" && after === undefined) {
          req.socket.destroy()
          return done()
        }
        if (stream) {
          startSse(res)
          writeFrames(res, renderFrames(protocol, message, body, n).slice(0, after ?? 0))
          if (effective.kind === "drop") res.socket?.destroy()
          else if (effective.kind === "malformed") {
            res.write(encodeFrame({ event: protocol === "anthropic" ? "content_block_delta" : undefined, data: "{not json" }))
            res.end()
          } else if (effective.kind === "truncate") res.end()
          return done()
        }
        const text = JSON.stringify(renderJson(protocol, message, body, n))
        if (effective.kind === "malformed") {
          res.writeHead(200, { "content-type": "application/json" })
          res.end(`{"id": "broken", "content": [ this is not JSON`)
          return done()
        }
        if (effective.kind === "truncate") {
          res.writeHead(200, { "content-type": "application/json" })
          res.end(text.slice(0, Math.floor(text.length / 2)))
          return done()
        }
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) })
        res.flushHeaders()
        if (after !== undefined && after > 0) res.write(text.slice(0, Math.floor(text.length / 2)))
        if (effective.kind === "drop") res.socket?.destroy()
        return done()
      }
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e) => {
      process.stderr.write(`[wire] handler failed: ${String(e)}\n`)
      if (!res.headersSent) res.writeHead(500)
      res.end()
    })
  })
  server.on("connection", (socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  // Keep-alive sockets idle between requests of one client must not hold the test open.
  server.keepAliveTimeout = 1000

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(options?.port ?? 0, options?.host ?? "127.0.0.1", () => resolve())
  })
  const address = server.address() as AddressInfo
  const host = address.address.includes(":") ? `[${address.address}]` : address.address
  const url = `http://${host}:${address.port}`

  return {
    url,
    port: address.port,
    anthropicBaseUrl: url,
    openAiBaseUrl: `${url}/v1`,
    requests,
    enqueue: (...more) => {
      queue.push(...more)
    },
    pending: () => queue.length,
    waitForRequests: (n) =>
      requests.length >= n ? Promise.resolve() : new Promise<void>((resolve) => requestWaiters.push({ n, resolve })),
    waitForWritten: async (index) => {
      if (requests.length <= index) {
        await new Promise<void>((resolve) => requestWaiters.push({ n: index + 1, resolve }))
      }
      await writtenOf(index).promise
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

/**
 * Starts a server for the life of the current scope (Effect API).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: Options): Effect.Effect<WireServer, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() => start(options)),
    (server) => Effect.promise(() => server.close())
  )

/**
 * Waits (in real time, outside any TestClock) until `n` requests have arrived.
 *
 * @since 0.1.0
 * @category utils
 */
export const awaitRequests = (server: WireServer, n: number): Effect.Effect<void> =>
  Effect.promise(() => server.waitForRequests(n))

/**
 * Waits until the connection of request `index` has closed (the client aborted, or the server dropped it).
 *
 * @since 0.1.0
 * @category utils
 */
export const awaitClosed = (server: WireServer, index: number): Effect.Effect<RecordedRequest> =>
  Effect.promise(async () => {
    await server.waitForRequests(index + 1)
    const r = server.requests[index]!
    await r.whenClosed
    return r
  })
