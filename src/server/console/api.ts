/**
 * The console's client of the HTTP API: every call sends the token (kept in sessionStorage) as
 * `Authorization: Bearer`, and a refusal becomes an {@link ApiError} whose message says what to do.
 * DOM-free apart from `fetch`, so it also runs in Node.
 */
import { makeParser, readEvents } from "./sse.js"
import type { WireChunk, WireResult } from "./runView.js"

/** Where the token is kept (the browser's sessionStorage). */
export interface TokenStore {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
  removeItem(key: string): void
}

const TOKEN_KEY = "openagents.token"

/** An answer other than 2xx, or no answer. `status` is 0 when the server could not be reached. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly body?: unknown) {
    super(message)
    this.name = "ApiError"
  }
  /** The token is missing or wrong. */
  get unauthorized(): boolean {
    return this.status === 401 || this.status === 403
  }
}

/** The message of an error answer: the API's `message` (and `hint`) when it sent JSON, else its text. */
const messageOf = (status: number, body: unknown, text: string): string => {
  if (status === 401 || status === 403) {
    return `The server refused the token (${status}): enter the token \`openagents serve\` was started with.`
  }
  if (body && typeof body === "object") {
    const o = body as Record<string, unknown>
    const msg = typeof o["message"] === "string" ? o["message"] : typeof o["error"] === "string" ? o["error"] : undefined
    const hint = typeof o["hint"] === "string" ? ` (${o["hint"]})` : ""
    if (msg) return `${msg}${hint}`
    if (typeof o["_tag"] === "string") return `${o["_tag"]}${hint}`
  }
  return text.trim() !== "" ? `HTTP ${status}: ${text.trim().slice(0, 300)}` : `HTTP ${status}`
}

/** The request body of `POST /v1/runs`. */
export interface RunRequestBody {
  readonly agentId: string
  readonly inputText: string
  readonly sessionId?: string
  readonly budget?: Readonly<Record<string, unknown>>
}

/** A client of one server (the page's own by default). */
export const makeApi = (store: TokenStore, base = "") => {
  const headers = (extra: Record<string, string> = {}): Record<string, string> => {
    const token = store.getItem(TOKEN_KEY)
    return token ? { ...extra, authorization: `Bearer ${token}` } : extra
  }
  const send = async (method: string, path: string, body?: unknown, accept = "application/json", signal?: AbortSignal): Promise<Response> => {
    let response: Response
    try {
      response = await fetch(base + path, {
        method,
        headers: headers(body === undefined ? { accept } : { accept, "content-type": "application/json" }),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(signal ? { signal } : {})
      })
    } catch (e) {
      if (signal?.aborted) throw e
      throw new ApiError(0, `The server cannot be reached (${method} ${path}): ${e instanceof Error ? e.message : String(e)}`)
    }
    if (!response.ok) {
      const text = await response.text().catch(() => "")
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch {
        json = undefined
      }
      throw new ApiError(response.status, messageOf(response.status, json, text), json)
    }
    return response
  }
  const json = async <A>(method: string, path: string, body?: unknown): Promise<A> => {
    const response = await send(method, path, body)
    const text = await response.text()
    return (text === "" ? undefined : JSON.parse(text)) as A
  }
  /** Chunks of an SSE answer, decoded; `onChunk` sees each, in order. */
  const chunks = async (response: Response, parser: ReturnType<typeof makeParser>, onChunk: (c: WireChunk) => void) => {
    if (!response.body) throw new ApiError(response.status, "The server sent no stream")
    for await (const event of readEvents(response.body, parser)) {
      if (event.data === "") continue
      onChunk(JSON.parse(event.data) as WireChunk)
    }
  }
  const enc = encodeURIComponent
  return {
    token: () => store.getItem(TOKEN_KEY),
    setToken: (token: string) => (token === "" ? store.removeItem(TOKEN_KEY) : store.setItem(TOKEN_KEY, token)),
    get: <A>(path: string) => json<A>("GET", path),
    post: <A>(path: string, body?: unknown) => json<A>("POST", path, body ?? {}),
    del: <A>(path: string) => json<A>("DELETE", path),
    /**
     * Starts a run and streams it: `onChunk` gets each chunk. When the connection breaks before
     * `run.finished`, it reconnects to `/v1/runs/{id}/events` with `Last-Event-ID` (up to `retries` times).
     */
    streamRun: async (body: RunRequestBody, onChunk: (c: WireChunk) => void, signal?: AbortSignal, retries = 3): Promise<void> => {
      const parser = makeParser()
      let runId: string | undefined
      let finished = false
      const track = (c: WireChunk) => {
        runId ??= c.runId
        if (c.kind === "run.finished") finished = true
        onChunk(c)
      }
      try {
        await chunks(await send("POST", "/v1/runs", body, "text/event-stream", signal), parser, track)
      } catch (e) {
        if (e instanceof ApiError || runId === undefined || signal?.aborted) throw e
      }
      for (let attempt = 0; !finished && runId !== undefined && attempt < retries; attempt++) {
        if (signal?.aborted) return
        const last = parser.lastEventId()
        try {
          const response = await fetch(`${base}/v1/runs/${enc(runId)}/events`, {
            headers: headers(last === undefined ? { accept: "text/event-stream" } : { accept: "text/event-stream", "last-event-id": last }),
            ...(signal ? { signal } : {})
          })
          if (!response.ok) throw new ApiError(response.status, messageOf(response.status, undefined, await response.text()))
          await chunks(response, parser, track)
        } catch (e) {
          if (e instanceof ApiError || signal?.aborted) throw e
        }
      }
      if (!finished && !signal?.aborted) throw new ApiError(0, "The run's stream ended before run.finished")
    },
    cancel: (runId: string) => json<unknown>("POST", `/v1/runs/${enc(runId)}/cancel`, {}),
    decide: (runId: string, callId: string, decision: { decision: "approve"; arguments?: Record<string, unknown> } | { decision: "reject"; reason?: string }) =>
      json<WireResult | undefined>("POST", `/v1/approvals/${enc(runId)}/${enc(callId)}`, decision),
    feedback: (traceId: string, body: { stepId: string; type: string; content: string }) =>
      json<{ feedbackStepId?: string; experienceId?: string | null }>("POST", `/v1/traces/${enc(traceId)}/feedback`, body)
  }
}

/** The console's API client. */
export type Api = ReturnType<typeof makeApi>

/**
 * The list in an answer: the answer itself when it is an array, else its first array field (`agents`,
 * `items`, ...), so the console reads either shape.
 */
export const listOf = <A>(answer: unknown, key?: string): ReadonlyArray<A> => {
  if (Array.isArray(answer)) return answer as Array<A>
  if (answer && typeof answer === "object") {
    const o = answer as Record<string, unknown>
    if (key && Array.isArray(o[key])) return o[key] as Array<A>
    for (const v of Object.values(o)) if (Array.isArray(v)) return v as Array<A>
  }
  return []
}
