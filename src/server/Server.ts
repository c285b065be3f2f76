/**
 * The HTTP API as Layers: `layerApi` implements `Api` over an `AgentRuntime` and a `SessionStore` (mount it
 * in any Effect server with `HttpApiBuilder`), `layer` serves it, its OpenAPI document and the guards
 * (bearer tokens, body size, CORS, redaction) on an `HttpServer`. See docs/server.md.
 *
 * @since 0.4.0
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import type * as HttpRouter from "@effect/platform/HttpRouter"
import type * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type { AgentRuntime } from "../runtime/AgentRuntime.js"
import type { SessionStore } from "../sessions/SessionStore.js"
import { Api } from "./Api.js"
import * as Auth from "./internal/auth.js"
import * as Handlers from "./internal/handlers.js"
import * as Redact from "./internal/redact.js"
import { approvals } from "./internal/approvals.js"
import { layerRuns, runs } from "./internal/runs.js"

/**
 * Whether `host` is a loopback address, the only kind `tokens: "none"` should listen on.
 *
 * @since 0.4.0
 * @category security
 */
export const isLoopback: (host: string) => boolean = Auth.isLoopback

/**
 * Options of the server.
 *
 * @since 0.4.0
 * @category models
 */
export interface Options {
  /** The accepted bearer tokens; `"none"` turns authentication off (for loopback only: see `serve`). */
  readonly tokens: ReadonlyArray<string> | "none"
  /** Origins allowed by CORS; CORS is off (no headers) without them. */
  readonly corsOrigins?: ReadonlyArray<string> | undefined
  /** The largest request body accepted, in bytes (default 1 MiB); larger ones get 413. */
  readonly maxBodyBytes?: number | undefined
  /** Key patterns whose values are hidden in responses and events (default: api keys, tokens, passwords, ...). */
  readonly redactKeys?: ReadonlyArray<string> | undefined
  /** Chunks kept per run for re-attach with `Last-Event-ID` (default 10,000). */
  readonly maxChunksPerRun?: number | undefined
  /** Finished runs kept for `GET /v1/runs/{runId}` and replay (default 1,000). */
  readonly maxFinishedRuns?: number | undefined
  /** How long `/readyz` waits for the session store to answer a read before answering 503 (default 5 seconds). */
  readonly readyTimeout?: Duration.DurationInput | undefined
  /** The interval of SSE heartbeat comments (default 15 seconds). */
  readonly heartbeat?: Duration.DurationInput | undefined
  /**
   * Answers a request the API does not (the web console's files: `Console.serve`); tried first for GETs
   * outside `/v1`, without a token.
   */
  readonly fallback?:
    | ((path: string) => Effect.Effect<Option.Option<HttpServerResponse.HttpServerResponse>>)
    | undefined
}

/**
 * The tokens of the environment variable `name` (comma-separated).
 *
 * @since 0.4.0
 * @category constructors
 */
export const tokensFromEnv = (name = "OPENAGENTS_API_TOKENS"): ReadonlyArray<string> => Auth.parseTokens(process.env[name])

/**
 * `Api` implemented over the `AgentRuntime` and `SessionStore` in context: what `HttpApiBuilder.serve`,
 * `HttpApiBuilder.httpApp` or `HttpApiBuilder.toWebHandler` serve. Runs started through it belong to
 * the layer's scope (closing it cancels them).
 *
 * @since 0.4.0
 * @category layers
 */
export const layerApi = (options: Options): Layer.Layer<import("@effect/platform/HttpApi").Api, never, AgentRuntime | SessionStore> =>
  Layer.provideMerge(HttpApiBuilder.api(Api), guards(options)).pipe(
    Layer.provide(Layer.mergeAll(Handlers.health(options.readyTimeout ?? "5 seconds"), Handlers.agents, runs, Handlers.sessions, approvals, Handlers.traces)),
    Layer.provide(Handlers.authorization(options.tokens === "none" ? undefined : options.tokens)),
    Layer.provide(layerRuns({
      maxChunksPerRun: options.maxChunksPerRun,
      maxFinishedRuns: options.maxFinishedRuns,
      redact: Redact.make(options.redactKeys),
      heartbeat: options.heartbeat ?? "15 seconds"
    }))
  )

const decoder = new TextDecoder()

/**
 * The API's guards, applied to every request it answers: the body size limit (413 past it) and the
 * redaction of every JSON response (secrets under the configured keys hidden).
 */
const guards = (options: Options) => {
  const maxBody = options.maxBodyBytes ?? 1024 * 1024
  const redact = Redact.make(options.redactKeys)
  return HttpApiBuilder.middleware((app) =>
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const length = Number(request.headers["content-length"] ?? "0")
      if (length > maxBody) {
        return HttpServerResponse.unsafeJson(
          { _tag: "PayloadTooLarge", message: `the request body is ${length} bytes; this server accepts at most ${maxBody}` },
          { status: 413 }
        )
      }
      const response = yield* Effect.provideService(app, HttpIncomingMessage.MaxBodySize, Option.some(FileSystem.Size(maxBody)))
      if (response.body._tag !== "Uint8Array" || request.url.startsWith("/openapi.json")) return response
      const type = response.headers["content-type"] ?? response.body.contentType
      if (!type.includes("json")) return response
      return HttpServerResponse.setBody(
        response,
        HttpServerResponse.unsafeJson(redact(JSON.parse(decoder.decode(response.body.body)))).body
      )
    })
  )
}

/**
 * Serves the `fallback` (the console's files) for GETs outside `/v1` that it knows, the API for the rest.
 *
 * @since 0.4.0
 * @category middleware
 */
export const middleware = (options: Pick<Options, "fallback">) =>
<E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R | HttpServerRequest.HttpServerRequest> =>
  options.fallback === undefined ? app : Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const path = request.url.split("?")[0]!
    if (request.method === "GET" && !path.startsWith("/v1/")) {
      const found = yield* options.fallback!(path)
      if (Option.isSome(found)) return found.value
    }
    return yield* app
  })

/**
 * The API served on the `HttpServer` in context, with `/openapi.json`, the guards of `middleware` and
 * CORS when origins are given.
 *
 * @since 0.4.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<
  never,
  never,
  HttpServer.HttpServer | HttpRouter.HttpRouter.DefaultServices | AgentRuntime | SessionStore
> =>
  HttpApiBuilder.serve(middleware(options)).pipe(
    Layer.provide(HttpApiBuilder.middlewareOpenApi({ path: "/openapi.json" })),
    Layer.provide(
      options.corsOrigins && options.corsOrigins.length > 0
        ? HttpApiBuilder.middlewareCors({ allowedOrigins: options.corsOrigins })
        : Layer.empty
    ),
    Layer.provide(layerApi(options))
  )
