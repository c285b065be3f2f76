/**
 * How the providers drive the SDKs from Effect: every request runs under an AbortController aborted when
 * the call ends (interrupting the fiber aborts the HTTP request), and a watchdog on the Effect clock fails with
 * `LlmTimeout` when a body or a stream stays silent for `idleTimeoutMs` (the SDKs' own timeout only
 * covers the wait for response headers).
 *
 * Silence is measured in bytes, not in parsed events: the body of each response notes when bytes
 * arrive, so keep-alives the SDKs skip (Anthropic `ping` events, SSE `:` comments such as OpenRouter's)
 * keep a slow but live stream going, while a stalled one is aborted. A response read to its end is not
 * aborted, so its connection goes back to the pool (an abort costs a new connection per call).
 *
 * The per-event path is kept cheap on purpose (a streamed delta must cost about what the raw SDK costs):
 * the SDK's async iterator is drained by one loop at the SDK boundary; while the calling fiber waits with
 * nothing to run, that loop hands each event over itself (a callback with nothing to run costs no fiber
 * wake or step), otherwise into a buffer the fiber takes events from without suspending; and there is
 * one watchdog fiber per request that sleeps until the last activity plus the idle period (a deadline),
 * never a race or a timer per event.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { constVoid } from "effect/Function"
import * as Fiber from "effect/Fiber"
import type { LlmError } from "../../kernel/Errors.js"
import { Activity } from "./activity.js"
import { Delivery, pump } from "./delivery.js"
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
 * What a provider gets to send one request: the signal that aborts it (pass it in the SDK call's
 * request options).
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestIo {
  readonly signal: AbortSignal
}

/**
 * What a streaming call resolves to once the headers are in: the SDK's stream and the raw response
 * it reads (the SDKs' `.withResponse()`).
 *
 * @since 0.2.0
 * @category models
 */
export interface Opened<A> {
  readonly data: AsyncIterable<A>
  readonly response: Response
}

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304])

/**
 * The body as an async iterable that notes activity each time the SDK asks for the next chunk. Both
 * SDKs iterate `response.body` with `for await` when it is async-iterable, and ask for the next chunk as
 * soon as they have parsed the previous one (keep-alives included), so the time of the ask is the time
 * the last bytes arrived, give or take their parsing; noting it there costs no promise step per chunk
 * (re-wrapping the body in a `TransformStream` cost several microseconds per chunk).
 */
const trackedBody = (body: ReadableStream<Uint8Array>, activity: Activity): AsyncIterable<Uint8Array> => ({
  [Symbol.asyncIterator]() {
    const it = body[Symbol.asyncIterator]()
    const iterator: AsyncIterableIterator<Uint8Array> = {
      next: () => {
        activity.touch()
        return it.next()
      },
      return: () => (it.return ? it.return() : Promise.resolve({ done: true as const, value: undefined })),
      [Symbol.asyncIterator]: () => iterator
    }
    return iterator
  }
})

/**
 * Makes the SDK read `response.body` through {@link trackedBody}. The SDKs build their stream over
 * the response object and read its body only when iterated, so this is done after `.withResponse()`
 * and before the first `next()`. Shadows the prototype's getter on this one object.
 */
const track = (response: Response, activity: Activity): void => {
  const body = response.body
  if (body === null || NULL_BODY_STATUS.has(response.status)) return
  Object.defineProperty(response, "body", { value: trackedBody(body, activity), configurable: true })
}

/**
 * Runs `body` with one request's I/O and liveness: an AbortController that aborts the request when
 * `body` ends (succeeds, fails or is interrupted), unless the body was read to its end (then the
 * connection is reused), and the request's watchdog stopped. One `onExit` rather than a `Scope`
 * (`Effect.scoped`, `acquireRelease`, `forkScoped`), whose finalizer bookkeeping cost more per request
 * than the rest of the call's Effect steps.
 */
const withRequest = <A>(
  body: (io: RequestIo, activity: Activity) => Effect.Effect<A, LlmError>
): Effect.Effect<A, LlmError> =>
  Effect.clockWith((clock) => {
    const activity = new Activity(clock)
    const controller = new AbortController()
    return Effect.onExit(body({ signal: controller.signal }, activity), () => {
      activity.stop()
      if (!activity.complete) controller.abort()
      const watchdog = activity.watchdog
      return watchdog === undefined ? Effect.void : Fiber.interrupt(watchdog)
    })
  })

/**
 * Runs one SDK promise, classifying its failure (with the Effect clock for `retry-after` dates).
 *
 * @since 0.1.0
 * @category combinators
 */
export const attempt = <A>(ctx: ErrorContext, f: () => Promise<A>): Effect.Effect<A, LlmError> =>
  Effect.tryPromise({ try: f, catch: (e) => e }).pipe(Effect.catchAll((e) => failWith(ctx, e)))

const failWith = (ctx: ErrorContext, e: unknown): Effect.Effect<never, LlmError> =>
  Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.fail(classify(ctx, e, now)))

/**
 * Fails `activity` with the idle timeout once no byte has arrived for the idle period: one fiber per
 * request, sleeping until the deadline `last + idle` and again when bytes moved it on.
 */
const watchdog = (ctx: TransportContext, activity: Activity, what: string): Effect.Effect<void> => {
  const check = (): Effect.Effect<void> => {
    if (activity.ended || activity.failure !== undefined) return Effect.void
    const left = activity.last + ctx.idleTimeoutMs - activity.clock.unsafeCurrentTimeMillis()
    if (left <= 0) {
      // After the terminal event the response is whole: a server that keeps the body open is cut off, not failed.
      if (activity.terminal) activity.end()
      else activity.fail(idleTimeout(ctx, ctx.idleTimeoutMs, what))
      return Effect.void
    }
    return Effect.flatMap(activity.clock.sleep(Duration.millis(left)), check)
  }
  return Effect.suspend(check)
}

/** Starts the watchdog, which {@link withRequest} stops, then `andThen`; the silence counts from now. */
const startWatchdog = <A, E>(
  ctx: TransportContext,
  activity: Activity,
  what: string,
  andThen: () => Effect.Effect<A, E>
): Effect.Effect<A, E> =>
  Effect.suspend(() => {
    activity.touch()
    return Effect.flatMap(Effect.fork(watchdog(ctx, activity, what)), (fiber) => {
      activity.watchdog = fiber
      return andThen()
    })
  })

const readJsonBody = (ctx: TransportContext, activity: Activity, response: Response): Effect.Effect<unknown, LlmError> =>
  Effect.gen(function* () {
    const contentType = response.headers.get("content-type") ?? ""
    const body = response.body as (ReadableStream<Uint8Array> & AsyncIterable<Uint8Array>) | null
    if (body === null) return yield* Effect.fail(invalidResponse(ctx, `HTTP ${response.status} with an empty body`))
    yield* startWatchdog(ctx, activity, "reading the response body", () => Effect.void)
    // Read at the I/O boundary, each chunk noted for the watchdog.
    const chunks: Array<Uint8Array> = []
    void (async () => {
      try {
        for await (const chunk of body) {
          if (activity.stopped) return
          activity.touch()
          chunks.push(chunk)
        }
        activity.complete = true
        activity.end()
      } catch (e) {
        activity.fail(e)
      }
    })()
    yield* activity.park(() => activity.ended || activity.failure !== undefined)
    if (activity.failure !== undefined) {
      return yield* failWith(ctx, activity.failure.error).pipe(
        // A body that breaks off is the connection's fault, whatever the error looks like.
        Effect.catchTag("LlmInvalidRequest", (e) => Effect.fail(truncated(ctx, e.message)))
      )
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
  withRequest((io, activity) => Effect.flatMap(attempt(ctx, () => send(io)), (response) => readJsonBody(ctx, activity, response)))

/**
 * A streaming call in push form: `open(io)` resolves to the SDK's stream of parsed SSE events and its
 * response once the headers are in (`.withResponse()`); each event is handed to `onEvent` in order. What
 * `onEvent` returns runs in the calling fiber before the next event is handed over; `undefined` or
 * `Effect.void` means nothing to run (the common case, kept free of Effect steps and fiber wakes).
 *
 * `onEvent` itself is called in the calling fiber or, while that fiber waits with nothing to do, in the
 * loop that reads the SDK's iterator (see {@link Delivery}): it must do its synchronous work without
 * the fiber's context (FiberRefs, services); what needs them goes in the effect it returns. A throw is
 * a defect of the call, after the events before it. Events read after the first one `isTerminal`
 * accepts are read to the end of the body and dropped. A silence of `idleTimeoutMs` fails with
 * `LlmTimeout` after the events that did arrive; the request is aborted when the call ends, fails,
 * times out or is interrupted, and no event is handed over after that.
 *
 * @since 0.2.0
 * @category combinators
 */
export const streamEvents = <A>(
  ctx: TransportContext,
  open: (io: RequestIo) => Promise<Opened<A>>,
  isTerminal: (event: A) => boolean,
  onEvent: (event: A) => Effect.Effect<void, LlmError> | undefined
): Effect.Effect<void, LlmError> =>
  withRequest((io, activity) =>
    Effect.flatMap(attempt(ctx, () => open(io)), (opened) => {
      track(opened.response, activity)
      return startWatchdog(ctx, activity, "waiting for the next stream event", () => drive(ctx, activity, opened, isTerminal, onEvent))
    })
  )

/** Reads the stream into `onEvent` under the started watchdog (see {@link streamEvents}). */
const drive = <A>(
  ctx: TransportContext,
  activity: Activity,
  opened: Opened<A>,
  isTerminal: (event: A) => boolean,
  onEvent: (event: A) => Effect.Effect<void, LlmError> | undefined
): Effect.Effect<void, LlmError> => {
  const delivery = new Delivery<A>(activity, onEvent)
  void pump(opened.data[Symbol.asyncIterator](), isTerminal, delivery, activity)
  // One wait, evaluated each time the fiber runs out of work.
  const park = activity.park(() => delivery.ready || activity.ended || activity.failure !== undefined)
  let done = false
  // The next effect to run: an event's work, a wait, or the end. Driven by one `whileLoop`, an event
  // with work costs the fiber one step (the effect `onEvent` returned) and allocates nothing of ours.
  const next = (): Effect.Effect<void, LlmError> => {
    const work = delivery.next()
    if (work !== undefined) return work
    // Events that arrived before a failure are delivered first, as they would have been in order.
    if (activity.failure !== undefined) {
      done = true
      return failWith(ctx, activity.failure.error)
    }
    if (activity.ended) {
      done = true
      return Effect.void
    }
    return park
  }
  return Effect.whileLoop({ while: () => !done, body: next, step: constVoid })
}

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
