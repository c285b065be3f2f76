/**
 * How the providers drive the SDKs from Effect: every request runs under an AbortController owned by a
 * scope (interrupting the fiber aborts the HTTP request), and a watchdog on the Effect clock fails with
 * `LlmTimeout` when a body or a stream stays silent for `idleTimeoutMs` (the SDKs' own timeout only
 * covers the wait for response headers).
 *
 * Silence is measured in bytes, not in parsed events: each request gets its own `fetch` that notes
 * when body bytes arrive, so keep-alives the SDKs skip (Anthropic `ping` events, SSE `:` comments
 * such as OpenRouter's) keep a slow but live stream going, while a stalled one is aborted.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { LlmError, LlmTimeout } from "../../kernel/Errors.js"
import { classify, type ErrorContext, idleTimeout, invalidResponse, truncated } from "./errors.js"

/**
 * The context of one provider: error labels and the watchdog period.
 *
 * @since 0.1.0
 * @category models
 */
export interface TransportContext extends ErrorContext {
  readonly idleTimeoutMs: number
}

/**
 * The `fetch` signature both SDKs accept.
 *
 * @since 0.1.0
 * @category models
 */
export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>

/**
 * What a provider gets to send one request: the signal that aborts it and the `fetch` that feeds the
 * watchdog (pass it to the SDK client with `client.withOptions({ fetch })`).
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestIo {
  readonly signal: AbortSignal
  readonly fetch: Fetch
}

/** When bytes last arrived, on the Effect clock of the request. */
interface Activity {
  last: number
  readonly touch: () => void
}

const makeActivity: Effect.Effect<Activity> = Effect.map(Effect.clock, (clock) => {
  const activity: Activity = {
    last: clock.unsafeCurrentTimeMillis(),
    touch: () => {
      activity.last = clock.unsafeCurrentTimeMillis()
    }
  }
  return activity
})

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304])

/** A `fetch` whose response bodies note every chunk in `activity`. */
const trackingFetch =
  (activity: Activity): Fetch =>
  async (input, init) => {
    const response = await globalThis.fetch(input, init)
    if (response.body === null || NULL_BODY_STATUS.has(response.status)) return response
    const body = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          activity.touch()
          controller.enqueue(chunk)
        }
      })
    )
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers })
  }

/** Per-request I/O: an AbortController aborted when the scope closes, and the tracking fetch. */
const requestIo: Effect.Effect<{ io: RequestIo; activity: Activity }, never, Scope.Scope> = Effect.gen(function* () {
  const controller = yield* Effect.acquireRelease(
    Effect.sync(() => new AbortController()),
    (c) => Effect.sync(() => c.abort())
  )
  const activity = yield* makeActivity
  return { io: { signal: controller.signal, fetch: trackingFetch(activity) }, activity }
})

/**
 * Runs one SDK promise, classifying its failure (with the Effect clock for `retry-after` dates).
 *
 * @since 0.1.0
 * @category combinators
 */
export const attempt = <A>(ctx: ErrorContext, f: () => Promise<A>): Effect.Effect<A, LlmError> =>
  Effect.tryPromise({ try: f, catch: (e) => e }).pipe(
    Effect.catchAll((e) => Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.fail(classify(ctx, e, now))))
  )

/** Fails once no byte has arrived for the idle period. */
const watchdog = (ctx: TransportContext, activity: Activity, what: string): Effect.Effect<never, LlmTimeout> =>
  Effect.gen(function* () {
    while (true) {
      const now = yield* Clock.currentTimeMillis
      const left = activity.last + ctx.idleTimeoutMs - now
      if (left <= 0) return yield* Effect.fail(idleTimeout(ctx, ctx.idleTimeoutMs, what))
      yield* Effect.sleep(Duration.millis(left))
    }
  })

/**
 * `attempt` under the watchdog. The silence counts from the start of the wait: a consumer that was busy
 * between two events did not make the server silent.
 */
const watched = <A>(ctx: TransportContext, activity: Activity, what: string, f: () => Promise<A>): Effect.Effect<A, LlmError> =>
  Effect.suspend(() => {
    activity.touch()
    return Effect.raceFirst(attempt(ctx, f), watchdog(ctx, activity, what))
  })

const readJsonBody = (ctx: TransportContext, activity: Activity, response: Response): Effect.Effect<unknown, LlmError> =>
  Effect.gen(function* () {
    const contentType = response.headers.get("content-type") ?? ""
    const body = response.body
    if (body === null) return yield* Effect.fail(invalidResponse(ctx, `HTTP ${response.status} with an empty body`))
    const reader = body.getReader()
    const chunks: Array<Uint8Array> = []
    while (true) {
      const next = yield* watched(ctx, activity, "reading the response body", () => reader.read()).pipe(
        // A body that breaks off is the connection's fault, whatever the error looks like.
        Effect.catchTag("LlmInvalidRequest", (e) => Effect.fail(truncated(ctx, e.message)))
      )
      if (next.done) break
      chunks.push(next.value)
    }
    const text = new TextDecoder().decode(concat(chunks))
    if (!/application\/json|\+json/i.test(contentType)) {
      return yield* Effect.fail(
        invalidResponse(ctx, `expected application/json, got '${contentType || "no content-type"}': ${preview(text)}`)
      )
    }
    try {
      return JSON.parse(text) as unknown
    } catch (e) {
      return yield* Effect.fail(invalidResponse(ctx, `invalid JSON (${(e as Error).message}): ${preview(text)}`))
    }
  })

const concat = (chunks: ReadonlyArray<Uint8Array>): Uint8Array => {
  let size = 0
  for (const c of chunks) size += c.byteLength
  const out = new Uint8Array(size)
  let offset = 0
  for (const c of chunks) {
    out.set(c, offset)
    offset += c.byteLength
  }
  return out
}

const preview = (text: string): string => (text.length > 200 ? `${text.slice(0, 200)}...` : text)

/**
 * A non-streaming call: `send(io)` must resolve to the raw `Response` once the headers are in (the
 * SDKs' `.asResponse()`, which has already turned error statuses into `APIError`s); the body is then read
 * under the watchdog. A body that breaks off is a connection failure (retryable); a body that arrived
 * whole but is not JSON is a malformed response (permanent). Interruption aborts the request at any point.
 *
 * @since 0.1.0
 * @category combinators
 */
export const requestJson = (
  ctx: TransportContext,
  send: (io: RequestIo) => Promise<Response>
): Effect.Effect<unknown, LlmError> =>
  Effect.scoped(
    Effect.gen(function* () {
      const { io, activity } = yield* requestIo
      const response = yield* attempt(ctx, () => send(io))
      return yield* readJsonBody(ctx, activity, response)
    })
  )

/**
 * A streaming call: `open(io)` resolves to the SDK's stream of parsed SSE events once the headers are
 * in. Events are pulled under the watchdog; the request is aborted when the stream ends, fails, times
 * out or is interrupted. The stream stops after the first event `isTerminal` accepts.
 *
 * @since 0.1.0
 * @category combinators
 */
export const eventStream = <A>(
  ctx: TransportContext,
  open: (io: RequestIo) => Promise<AsyncIterable<A>>,
  isTerminal: (event: A) => boolean
): Stream.Stream<A, LlmError> =>
  Stream.unwrapScoped(
    Effect.gen(function* () {
      const { io, activity } = yield* requestIo
      const iterable = yield* attempt(ctx, () => open(io))
      const iterator = iterable[Symbol.asyncIterator]()
      let finished = false
      const pull: Effect.Effect<A, Option.Option<LlmError>> = Effect.suspend(() =>
        finished
          ? Effect.fail(Option.none())
          : watched(ctx, activity, "waiting for the next stream event", () => iterator.next()).pipe(
              Effect.mapError(Option.some),
              Effect.flatMap((result) => {
                // The SDKs end quietly when the signal was aborted; anything else is the end of the body.
                if (result.done) return Effect.fail(Option.none())
                if (isTerminal(result.value)) finished = true
                return Effect.succeed(result.value)
              })
            )
      )
      return Stream.repeatEffectOption(pull)
    })
  )

/**
 * Parses the JSON text of tool-call arguments. Malformed text is kept in `rawArguments` with
 * `arguments: undefined`, so the executor can tell the model what was wrong.
 *
 * @since 0.1.0
 * @category decoding
 */
export const parseToolArguments = (
  raw: string
): { readonly arguments: unknown; readonly rawArguments?: string } => {
  if (raw.trim() === "") return { arguments: {} }
  try {
    return { arguments: JSON.parse(raw) as unknown }
  } catch {
    return { arguments: undefined, rawArguments: raw }
  }
}

/**
 * The JSON text to send back for a tool call: the exact text the model sent when it was malformed.
 *
 * @since 0.1.0
 * @category encoding
 */
export const toolArgumentsText = (call: { readonly arguments: unknown; readonly rawArguments?: string | undefined }): string =>
  call.rawArguments ?? JSON.stringify(call.arguments ?? {})
