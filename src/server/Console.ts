/**
 * The web console's static files, served by `openagents serve` at `/` (see docs/console.md).
 *
 * @since 0.4.0
 */
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

const page = `<!doctype html><html><head><meta charset="utf-8"><title>openagents</title></head>` +
  `<body><h1>openagents</h1><p>The API is under <a href="/openapi.json">/v1</a>.</p></body></html>`

/**
 * The response for a GET of `path` when it is one of the console's files (`/` and `/console/...`), else
 * none (the server answers 404).
 *
 * @since 0.4.0
 * @category handlers
 */
export const serve = (path: string): Effect.Effect<Option.Option<HttpServerResponse.HttpServerResponse>> =>
  Effect.succeed(
    path === "/" || path === "/index.html" ? Option.some(HttpServerResponse.html(page)) : Option.none()
  )
