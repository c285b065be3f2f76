/**
 * `openagents serve CONFIG`: the HTTP API (and the web console at `/`) over the runtime of a config file,
 * until SIGINT or SIGTERM. See docs/server.md.
 *
 * @since 0.4.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as HttpServer from "@effect/platform/HttpServer"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as http from "node:http"
import { AgentRuntime } from "../runtime/AgentRuntime.js"
import * as Console from "../server/Console.js"
import * as Server from "../server/Server.js"
import { SessionStore } from "../sessions/SessionStore.js"
import { configArg } from "./internal/args.js"
import { clusterRuntime } from "./internal/cluster.js"
import { CliExit, EXIT, printLine } from "./internal/exit.js"
import { loadRuntime } from "./internal/runner.js"
import { signalled } from "./internal/signals.js"

/**
 * The options of `openagents serve`.
 *
 * @since 0.4.0
 * @category options
 */
export const options = {
  config: configArg,
  port: Options.integer("port").pipe(Options.withDescription("Port to listen on (0: one the OS picks)"), Options.withDefault(8787)),
  host: Options.text("host").pipe(Options.withDescription("Address to listen on"), Options.withDefault("127.0.0.1")),
  tokenEnv: Options.text("token-env").pipe(
    Options.withDescription("Environment variable holding the API's bearer tokens, comma-separated"),
    Options.withDefault("OPENAGENTS_API_TOKENS")
  ),
  noAuth: Options.boolean("no-auth").pipe(Options.withDescription("Accept requests without a token (loopback hosts only)")),
  cors: Options.text("cors").pipe(
    Options.withDescription("An origin allowed by CORS (repeatable); CORS is off without one"),
    Options.repeated
  ),
  maxBody: Options.integer("max-body").pipe(
    Options.withDescription("Largest request body accepted, in bytes"),
    Options.withDefault(1024 * 1024)
  ),
  cluster: Options.boolean("cluster").pipe(
    Options.withDescription("Submit the runs to the cluster of the config's cluster block (openagents runner) instead of running them here")
  )
}

/**
 * `openagents serve`.
 *
 * @since 0.4.0
 * @category handlers
 */
export const handler = (opts: {
  readonly config: string
  readonly port: number
  readonly host: string
  readonly tokenEnv: string
  readonly noAuth: boolean
  readonly cors: ReadonlyArray<string>
  readonly maxBody: number
  readonly cluster: boolean
}) =>
  Effect.scoped(
    Effect.gen(function*() {
      const tokens = Server.tokensFromEnv(opts.tokenEnv)
      if (opts.noAuth && !Server.isLoopback(opts.host)) {
        return yield* new CliExit({
          code: EXIT.usage,
          message: `--no-auth is allowed on a loopback host only (127.0.0.1, ::1, localhost), not '${opts.host}'\n` +
            `  hint: set ${opts.tokenEnv} to one or more comma-separated tokens`
        })
      }
      if (!opts.noAuth && tokens.length === 0) {
        return yield* new CliExit({
          code: EXIT.usage,
          message: `no API token: ${opts.tokenEnv} is unset or empty\n` +
            `  hint: export ${opts.tokenEnv}=<token>[,<token>...], or pass --no-auth to serve on a loopback host without one`
        })
      }
      if (opts.port < 0 || opts.port > 65535) {
        return yield* new CliExit({ code: EXIT.usage, message: `--port must be 0..65535 (got ${opts.port})` })
      }
      if (opts.maxBody < 1) {
        return yield* new CliExit({ code: EXIT.usage, message: `--max-body must be at least 1 (got ${opts.maxBody})` })
      }
      const { loaded, runtime: local, store } = yield* loadRuntime(opts.config)
      const runtime = opts.cluster ? yield* clusterRuntime(loaded, local) : local
      // an idle keep-alive connection is closed by the client (undici: 4 s) or a proxy (often 60 s) before
      // the server closes it: a request sent on a connection the server is closing would be reset
      const nodeServer = http.createServer({ keepAliveTimeout: 65_000, headersTimeout: 66_000 })
      const served = Server.layer({
        tokens: opts.noAuth ? "none" : tokens,
        corsOrigins: opts.cors,
        maxBodyBytes: opts.maxBody,
        fallback: Console.serve
      }).pipe(
        Layer.provide(Layer.merge(Layer.succeed(AgentRuntime, runtime), Layer.succeed(SessionStore, store))),
        // a burst of clients (1,000 SSE readers at once) must not overflow the default accept queue of 511
        Layer.provideMerge(NodeHttpServer.layer(() => nodeServer, { port: opts.port, host: opts.host, backlog: 4096 }))
      )
      const context = yield* Layer.build(served).pipe(
        Effect.mapError((e) =>
          new CliExit({ code: EXIT.failed, message: `cannot listen on ${opts.host}:${opts.port}: ${String((e.cause as Error)?.message ?? e)}` })
        )
      )
      // shutting down: runs end first (cancelled, a durable one resumable from its journal), then the
      // connections still open (SSE readers) are closed so the server can stop
      yield* Effect.addFinalizer(() => Effect.sync(() => nodeServer.closeAllConnections()))
      const address = Context.get(context, HttpServer.HttpServer).address
      const port = address._tag === "TcpAddress" ? address.port : opts.port
      const host = opts.host.includes(":") ? `[${opts.host}]` : opts.host
      yield* printLine(
        `openagents serving ${opts.config} on http://${host}:${port} (API under /v1, console at /` +
          `${opts.cluster ? "; runs go to the cluster" : ""})`
      )
      if (opts.noAuth) yield* printLine("warning: --no-auth: requests need no token")
      const signal = yield* signalled
      yield* printLine(`${signal}: stopping (cancelling runs in progress)`)
      yield* runtime.close
    })
  )

/**
 * The `serve` command.
 *
 * @since 0.4.0
 * @category commands
 */
export const command = Command.make("serve", options, handler).pipe(
  Command.withDescription("Serve the HTTP API and the web console for an agent.json file")
)
