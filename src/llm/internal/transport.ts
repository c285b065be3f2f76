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

/**
 * One request's liveness: when bytes last arrived (on the Effect clock of the request), whether the
 * response is complete, and the first failure, if any. The watchdog and the SDK-boundary loops write
 * it; the requesting fiber parks on it when it has nothing to do.
 */
class Activity {
  last: number
  /** Nothing more will arrive: the watchdog stands down. */
  ended = false
  /** The body was read to its end: no abort needed, the connection can be reused. */
  complete = false
  /** The response is whole (its terminal event arrived): a silence or an error after it is no failure. */
  terminal = false
  /** The request was abandoned (its scope closed): late SDK errors are nobody's business. */
  stopped = false
  failure: { readonly error: unknown } | undefined = undefined
  /** The watchdog fiber, once started. */
  watchdog: Fiber.RuntimeFiber<void> | undefined = undefined
  private wake: (() => void) | undefined = undefined

  constructor(readonly clock: Clock.Clock) {
    this.last = clock.unsafeCurrentTimeMillis()
  }

  readonly touch = (): void => {
    this.last = this.clock.unsafeCurrentTimeMillis()
  }

  /** Records the first failure and wakes the fiber. */
  fail(error: unknown): void {
    if (this.failure !== undefined || this.stopped) return
    this.failure = { error }
    this.signal()
  }

  end(): void {
    this.ended = true
    this.signal()
  }

  private deferred = false

  /**
   * Wakes the fiber once the SDK has parsed the events of the chunk at hand: one wake per network read
   * rather than per event. Waking at once would resume the fiber (a scheduler hop and a new park) for
   * every event, since the SDK's generator hands them over one microtask at a time. `setImmediate` runs
   * after those microtasks; it orders work and measures no time, so the TestClock is not concerned.
   */
  signalSoon(): void {
    if (this.wake === undefined || this.deferred) return
    this.deferred = true
    defer(() => {
      this.deferred = false
      this.signal()
    })
  }

  /** Whether the fiber is suspended in {@link park}, with nothing to do. */
  get waiting(): boolean {
    return this.wake !== undefined
  }

  signal(): void {
    const wake = this.wake
    if (wake !== undefined) {
      this.wake = undefined
      wake()
    }
  }

  /** Suspends the fiber until `signal`; `ready` is checked first so a signal is never lost. */
  park(ready: () => boolean): Effect.Effect<void> {
    return Effect.async<void>((resume) => {
      if (ready()) return resume(Effect.void)
      this.wake = () => resume(Effect.void)
    })
  }

  stop(): void {
    this.stopped = true
    this.wake = undefined
  }
}

/** After the current microtasks (Node, Bun, Deno have `setImmediate`; elsewhere a microtask). */
const defer: (f: () => void) => void =
  typeof globalThis.setImmediate === "function" ? (f) => void globalThis.setImmediate(f) : (f) => queueMicrotask(f)

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

/** The events the SDK-boundary loop has read and the fiber has not taken yet. */
class EventBuffer<A> {
  private items: Array<A> = []
  private head = 0

  push(a: A): void {
    this.items.push(a)
  }

  get size(): number {
    return this.items.length - this.head
  }

  /** The next event; call only when `size > 0`. */
  take(): A {
    const a = this.items[this.head++]!
    if (this.head === this.items.length) {
      this.items = []
      this.head = 0
    }
    return a
  }
}

/**
 * Events after which the fiber is woken at once rather than after the chunk at hand: a network read can
 * hold hundreds of events, and keeping them all until the fiber drains them costs more in GC than the
 * extra wakes.
 */
const WAKE_BATCH = 32

/** What `onEvent` returned that the fiber must run: neither `undefined` nor `Effect.void` (nothing to do). */
const isWork = <E>(effect: Effect.Effect<void, E> | undefined): effect is Effect.Effect<void, E> =>
  effect !== undefined && effect !== Effect.void

/**
 * How events go from the SDK-boundary loop to `onEvent`, in order. While the fiber waits with nothing
 * to do, the loop hands each event to `onEvent` itself: an event with nothing to run (`undefined` or
 * `Effect.void`, as the run loop's sink returns) then costs no wake and no step of the fiber. The first
 * event that returns work is kept for the fiber, which is woken to run it; from then on events are
 * buffered, and the fiber hands them to `onEvent` itself, until it has nothing left and waits again.
 * So `onEvent` is never called while an effect it returned before has not run to its end.
 */
class Delivery<A> {
  readonly buffer = new EventBuffer<A>()
  /** The work an event handed over in the loop returned (or the defect it threw), for the fiber. */
  pending: Effect.Effect<void, LlmError> | undefined = undefined

  constructor(
    private readonly activity: Activity,
    private readonly onEvent: (event: A) => Effect.Effect<void, LlmError> | undefined
  ) {}

  /** In the SDK-boundary loop: one event. */
  offer(event: A): void {
    const activity = this.activity
    if (activity.waiting && this.pending === undefined && this.buffer.size === 0) {
      let work: Effect.Effect<void, LlmError> | undefined
      try {
        work = this.onEvent(event)
      } catch (e) {
        // As if thrown in the fiber: a defect, after the events before it.
        work = Effect.die(e)
      }
      if (isWork(work)) {
        this.pending = work
        // After the chunk at hand, as for buffered events: the events of the same read join the buffer.
        activity.signalSoon()
      }
      return
    }
    this.buffer.push(event)
    if (this.buffer.size >= WAKE_BATCH) activity.signal()
    else activity.signalSoon()
  }

  /** In the fiber: the next work, `undefined` when there is none left. */
  next(): Effect.Effect<void, LlmError> | undefined {
    const pending = this.pending
    if (pending !== undefined) {
      this.pending = undefined
      return pending
    }
    const buffer = this.buffer
    while (buffer.size > 0) {
      const work = this.onEvent(buffer.take())
      if (isWork(work)) return work
    }
    return undefined
  }

  get ready(): boolean {
    return this.pending !== undefined || this.buffer.size > 0
  }
}

/**
 * Reads the SDK's iterator into `delivery` up to the first event `isTerminal` accepts, then on to the
 * end of the body without keeping anything, so that the connection can be reused.
 */
const pump = async <A>(
  iterator: AsyncIterator<A>,
  isTerminal: (event: A) => boolean,
  delivery: Delivery<A>,
  activity: Activity
): Promise<void> => {
  try {
    while (true) {
      const result = await iterator.next()
      if (activity.stopped || activity.failure !== undefined) return
      // The SDKs end quietly when the signal was aborted; anything else is the end of the body.
      if (result.done) {
        activity.complete = true
        return activity.end()
      }
      if (activity.terminal) continue
      if (isTerminal(result.value)) activity.terminal = true
      delivery.offer(result.value)
    }
  } catch (e) {
    if (activity.terminal) activity.end()
    else activity.fail(e)
  }
}

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
