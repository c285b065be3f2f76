/**
 * The runs group: start (JSON or SSE), status, cancel and re-attach. A run belongs to the server, not to
 * the request that started it: a client that disconnects leaves it running unless the request said
 * `cancelOnDisconnect: true`.
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { RunResult } from "../../kernel/Run.js"
import { AgentRuntime } from "../../runtime/AgentRuntime.js"
import { Api, Gone, NotFound } from "../Api.js"
import { bad, readJson } from "./body.js"
import { startFailure } from "./handlers.js"
import * as Registry from "./registry.js"
import * as Sse from "./sse.js"

/** What the runs handlers share with the rest of the server. */
export class Runs extends Context.Tag("openagents/server/Runs")<Runs, {
  readonly registry: Registry.Registry
  readonly redact: (u: unknown) => unknown
  readonly heartbeat: Duration.DurationInput
  /**
   * The run's chunks after `after` as an SSE response. The response's stream is interrupted when the
   * client goes away; the run goes on unless `cancelOnDisconnect`.
   */
  readonly sse: (entry: Registry.Entry, after: number, cancelOnDisconnect: boolean) => HttpServerResponse.HttpServerResponse
}>() {}

export const layerRuns = (options: Registry.Options & {
  readonly redact: (u: unknown) => unknown
  readonly heartbeat: Duration.DurationInput
}) =>
  Layer.scoped(
    Runs,
    Effect.gen(function*() {
      const runtime = yield* AgentRuntime
      const registry = yield* Registry.make(runtime, options)
      const { heartbeat, redact } = options
      const sse = (entry: Registry.Entry, after: number, cancelOnDisconnect: boolean) =>
        Sse.response(
          registry.read(entry, after).pipe(
            cancelOnDisconnect
              ? Stream.ensuring(Effect.suspend(() => entry.result === undefined ? runtime.cancel(entry.runId) : Effect.void))
              : (s) => s
          ),
          { heartbeat, redact }
        )
      return { registry, redact, heartbeat, sse }
    })
  )

/** Fields a client may not set over HTTP: code-only values (a Schema, dependencies) and the server's own. */
const CODE_ONLY = ["deps", "outputType"]

/** The request body as an object, or a 400 saying what is wrong with it. */
const readBody = (request: HttpServerRequest.HttpServerRequest) =>
  Effect.gen(function*() {
    const body = yield* readJson(request)
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      return yield* bad("request", "must be a JSON object with agentId and inputText")
    }
    const { cancelOnDisconnect, ...rest } = body as Record<string, unknown>
    if (cancelOnDisconnect !== undefined && typeof cancelOnDisconnect !== "boolean") {
      return yield* bad("request.cancelOnDisconnect", "must be a boolean (true or false)")
    }
    for (const key of CODE_ONLY) {
      if (key in rest) return yield* bad(`request.${key}`, "cannot be given over HTTP (set it in code)")
    }
    return { request: rest, cancelOnDisconnect: cancelOnDisconnect === true }
  })

const encodeResult = Schema.encodeSync(RunResult)

export const runs = HttpApiBuilder.group(Api, "runs", (handlers) =>
  Effect.gen(function*() {
    const runtime = yield* AgentRuntime
    const { redact, registry, sse } = yield* Runs
    const notFound = (runId: string) =>
      new NotFound({ message: `no run '${runId}' on this server`, hint: "runs finished long ago are no longer kept" })
    const lookup = (runId: string) =>
      Option.match(registry.get(runId), { onNone: () => Effect.fail(notFound(runId)), onSome: Effect.succeed })
    const json = (value: unknown, status = 200) => HttpServerResponse.unsafeJson(redact(value), { status })

    return handlers
      .handleRaw("start", ({ request }) =>
        Effect.gen(function*() {
          const body = yield* readBody(request)
          const entry = yield* Effect.mapError(registry.start(body.request), startFailure)
          if ((request.headers["accept"] ?? "").includes("text/event-stream")) {
            return sse(entry, -1, body.cancelOnDisconnect)
          }
          const result = yield* Deferred.await(entry.done).pipe(
            body.cancelOnDisconnect ? Effect.onInterrupt(() => runtime.cancel(entry.runId)) : (e) => e
          )
          return json(encodeResult(result))
        }))
      .handle("get", ({ path }) =>
        Effect.map(lookup(path.runId), (entry) => ({
          runId: entry.runId,
          agentId: entry.agentId,
          sessionId: entry.sessionId,
          status: entry.result === undefined ? "running" as const : "finished" as const,
          lastSequence: entry.dropped + entry.chunks.length - 1,
          ...(entry.result ? { result: entry.result } : {})
        })))
      .handle("cancel", ({ path }) =>
        Effect.gen(function*() {
          const known = Option.isSome(registry.get(path.runId))
          const cancelled = yield* runtime.cancel(path.runId)
          if (!known && !cancelled) return yield* notFound(path.runId)
          return { runId: path.runId, cancelled }
        }))
      .handleRaw("events", ({ path, request }) =>
        Effect.gen(function*() {
          const entry = yield* lookup(path.runId)
          const query = new URL(request.url, "http://localhost").searchParams.get("after") ?? undefined
          const after = Sse.resumeAfter(request.headers["last-event-id"], query)
          if (after === undefined) {
            return yield* bad("Last-Event-ID", "must be a chunk sequence (an integer, -1 for all)")
          }
          if (after + 1 < entry.dropped) {
            return yield* new Gone({
              message: `chunks before sequence ${entry.dropped} of run '${entry.runId}' are no longer kept ` +
                `(asked from ${after + 1}); GET /v1/runs/${entry.runId} has its result`
            })
          }
          return sse(entry, after, false)
        }))
  }))
