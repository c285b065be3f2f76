/**
 * The openagents HTTP API mounted in your own Effect server: agents defined in code, the API's Layer,
 * its OpenAPI document, a route of your own beside it, on Node's HTTP server.
 *
 *   OPENAGENTS_API_TOKENS=secret npx tsx examples/server/main.ts        (PORT=8080 to choose the port)
 *   curl -H 'Authorization: Bearer secret' -d '{"agentId":"assistant","inputText":"hi"}' http://127.0.0.1:8080/v1/runs
 *
 * In your project, import from "openagents" and "openagents/server" instead of the sources.
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect, Layer } from "effect"
import { createServer } from "node:http"
import { AgentRuntime, EventBus, InMemorySessionStore, MockModel, Skills } from "../../src/index.js"
import { Server } from "../../src/server/index.js"

/** The runtime: one agent (the offline mock model here; use AnthropicModel or OpenAiChatModel for real). */
const RuntimeLive = AgentRuntime.layer({
  agents: [{ id: "assistant", name: "Assistant", model: MockModel.layer() }]
}).pipe(Layer.provideMerge(Layer.mergeAll(InMemorySessionStore.layer, EventBus.layer(), Skills.layerNone)))

/** A route of your own, answered before the API (which answers everything under /v1). */
const withHello = <E, R>(app: import("@effect/platform/HttpApp").Default<E, R>) =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
    request.url === "/hello" ? Effect.succeed(HttpServerResponse.text("hello from my server")) : app)

/** The app on the `HttpServer` you provide: the API, its OpenAPI document, your route. */
export const AppLive = (tokens: ReadonlyArray<string>) =>
  HttpApiBuilder.serve(withHello).pipe(
    Layer.provide(HttpApiBuilder.middlewareOpenApi({ path: "/openapi.json" })),
    Layer.provide(Server.layerApi({ tokens, maxBodyBytes: 256 * 1024 })),
    Layer.provide(RuntimeLive)
  )

if (import.meta.url === `file://${process.argv[1]}`) {
  const tokens = Server.tokensFromEnv()
  if (tokens.length === 0) {
    console.error("set OPENAGENTS_API_TOKENS to one or more comma-separated tokens")
    process.exit(2)
  }
  const port = Number(process.env["PORT"] ?? 8080)
  AppLive(tokens).pipe(
    Layer.provide(NodeHttpServer.layer(createServer, { port, host: "127.0.0.1" })),
    Layer.launch,
    NodeRuntime.runMain
  )
}
