/**
 * The real server for the console's browser tests: the runtime of an agent.json served by
 * `Server.layer` (with `Console.serve` as its fallback, as `openagents serve` mounts it) on 127.0.0.1
 * and a port the OS picks.
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as HttpServer from "@effect/platform/HttpServer"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as fs from "node:fs"
import * as http from "node:http"
import * as os from "node:os"
import * as path from "node:path"
import { loadRuntime } from "../../src/cli/internal/runner.js"
import { AgentRuntime } from "../../src/runtime/AgentRuntime.js"
import * as Console from "../../src/server/Console.js"
import * as Server from "../../src/server/Server.js"
import { SessionStore } from "../../src/sessions/SessionStore.js"

export interface RunningServer {
  readonly url: string
  readonly close: () => Promise<void>
}

export const start = async (config: Record<string, unknown>, options: { readonly token: string }): Promise<RunningServer> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "oa-console-server-"))
  const file = path.join(dir, "agent.json")
  fs.writeFileSync(file, JSON.stringify(config))
  const scope = Effect.runSync(Scope.make())
  const nodeServer = http.createServer()
  const port = await Effect.runPromise(
    Effect.gen(function*() {
      const { runtime, store } = yield* loadRuntime(file)
      const context = yield* Layer.build(
        Server.layer({ tokens: [options.token], fallback: Console.serve }).pipe(
          Layer.provide(Layer.merge(Layer.succeed(AgentRuntime, runtime), Layer.succeed(SessionStore, store))),
          Layer.provideMerge(NodeHttpServer.layer(() => nodeServer, { port: 0, host: "127.0.0.1" }))
        )
      )
      yield* Effect.addFinalizer(() => Effect.sync(() => nodeServer.closeAllConnections()))
      const address = Context.get(context, HttpServer.HttpServer).address
      return address._tag === "TcpAddress" ? address.port : 0
    }).pipe(Scope.extend(scope))
  )
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await Effect.runPromise(Scope.close(scope, Exit.void))
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}
