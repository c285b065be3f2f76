/**
 * examples/server/main.ts, the API mounted in a user's own Effect server, runs as docs/server.md says.
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as HttpServer from "@effect/platform/HttpServer"
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Exit, Layer, Scope } from "effect"
import { createServer } from "node:http"
import { AppLive } from "../../examples/server/main.js"

describe("examples/server/main.ts", () => {
  it("serves the API, its OpenAPI document and the user's own route", async () => {
    const scope = Effect.runSync(Scope.make())
    try {
      const context = await Effect.runPromise(
        Layer.build(AppLive(["tok"]).pipe(Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" }))))
          .pipe(Scope.extend(scope))
      )
      const address = Context.get(context, HttpServer.HttpServer).address
      const url = `http://127.0.0.1:${address._tag === "TcpAddress" ? address.port : 0}`
      expect(await (await fetch(`${url}/hello`)).text()).toBe("hello from my server")
      expect((await fetch(`${url}/v1/agents`)).status).toBe(401)
      const run = await fetch(`${url}/v1/runs`, {
        method: "POST",
        headers: { authorization: "Bearer tok", "content-type": "application/json" },
        body: JSON.stringify({ agentId: "assistant", inputText: "hi" })
      })
      expect(((await run.json()) as any).finalOutput).toBe("Echo: hi (history=0)")
      expect(((await (await fetch(`${url}/openapi.json`)).json()) as any).paths["/v1/runs"]).toBeDefined()
    } finally {
      await Effect.runPromise(Scope.close(scope, Exit.void))
    }
  }, 60_000)
})
