/**
 * One connection to an MCP server: a client of the SDK over stdio or streamable HTTP, opened in a Scope
 * and closed with it (which ends a stdio server's process).
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { ConfigError } from "../../../kernel/Errors.js"
import * as Sdk from "./sdk.js"

/** Where a server is and how to start it. */
export type Server =
  | {
    readonly _tag: "stdio"
    readonly command: string
    readonly args: ReadonlyArray<string>
    readonly env: Readonly<Record<string, string>>
    readonly cwd: string | undefined
    readonly initTimeoutMs: number
  }
  | {
    readonly _tag: "http"
    readonly url: string
    readonly headers: Readonly<Record<string, string>>
    readonly initTimeoutMs: number
  }

/** How messages name a server: its command line, or its URL. */
export const label = (server: Server): string =>
  server._tag === "stdio" ? [server.command, ...server.args].join(" ") : server.url

/** A connection; `closed` turns true when the server goes away (its process ended, the transport closed). */
export interface Connection {
  readonly client: Client
  readonly closed: () => boolean
  /** Marks the connection as lost (a request failed in transport), so that the next call replaces it. */
  readonly lose: () => void
  /** The last lines the server wrote to stderr (stdio only), to explain why it stopped. */
  readonly stderr: () => string
}

/** The server could not be reached or did not complete the MCP handshake. */
export class ConnectError extends Data.TaggedError("McpConnectError")<{
  readonly reason: string
  readonly hint: string | undefined
}> {}

const STDERR_TAIL = 2000
// the SDK times requests out after 60 s by default; our own timeouts (Effect's clock) govern instead
export const NO_SDK_TIMEOUT = 2_147_483_647

/** The message of an error and of its causes (`fetch failed` says little without `connect ECONNREFUSED`). */
export const reasonOf = (error: unknown): string => {
  const parts: Array<string> = []
  let current: unknown = error
  for (let depth = 0; depth < 4 && current !== undefined && current !== null; depth++) {
    const message = current instanceof Error ? current.message : typeof current === "string" ? current : undefined
    if (message && !parts.some((p) => p.includes(message))) parts.push(message)
    // the SDK's HTTP errors carry the status as `code`
    const code = (current as { code?: unknown }).code
    if (typeof code === "number" && code >= 100 && code < 600) parts.push(`HTTP ${code}`)
    current = current instanceof Error ? (current as { cause?: unknown }).cause : undefined
  }
  return parts.length > 0 ? parts.join(": ") : String(error)
}

const withStderr = (reason: string, stderr: string) => {
  const tail = stderr.trim().split("\n").slice(-3).join(" | ")
  return tail === "" ? reason : `${reason} (server stderr: ${tail})`
}

const hintOf = (server: Server, reason: string): string | undefined => {
  if (server._tag === "stdio" && /ENOENT/.test(reason)) {
    return `'${server.command}' was not found: check server.command (is it installed and on PATH?) and server.cwd`
  }
  if (server._tag === "http" && /ECONNREFUSED|ENOTFOUND|fetch failed/.test(reason)) {
    return `nothing answers at ${server.url}: is the server running, and is server.url right?`
  }
  if (/HTTP 40[13]\b/.test(reason)) return "the server refused the credentials: check server.headers"
  if (/Connection closed/i.test(reason)) return "the server exited during start-up: run the command by hand to see why"
  return undefined
}

/**
 * Connects to `server` and completes the MCP handshake within its `initTimeoutMs`. The connection is closed
 * when the Scope closes, also when the handshake fails or times out.
 */
export const connect = (server: Server, where: string): Effect.Effect<Connection, ConnectError | ConfigError, Scope.Scope> =>
  Effect.gen(function*() {
    const sdk = yield* Sdk.load(where)
    const state = { closed: false, stderr: "" }
    const client = new sdk.Client({ name: "openagents", version: "0.2.0" })
    client.onclose = () => {
      state.closed = true
    }
    // errors of the transport also surface as the failure of the request they concern
    client.onerror = () => {}
    const transport = (() => {
      if (server._tag === "http") {
        return new sdk.StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: { ...server.headers } } })
      }
      const stdio = new sdk.StdioClientTransport({
        command: server.command,
        args: [...server.args],
        env: { ...server.env },
        ...(server.cwd !== undefined ? { cwd: server.cwd } : {}),
        stderr: "pipe"
      })
      // piped (not inherited) so that the server's output does not mix with ours; its tail explains failures
      stdio.stderr?.on("data", (chunk: Buffer) => {
        state.stderr = (state.stderr + chunk.toString("utf8")).slice(-STDERR_TAIL)
      })
      return stdio
    })()
    // registered before connecting, so a server that hangs in its handshake is stopped too
    yield* Effect.addFinalizer(() =>
      Effect.promise(() => client.close().catch(() => undefined)).pipe(Effect.ignore)
    )
    yield* Effect.tryPromise({
      try: (signal) => client.connect(transport, { signal, timeout: NO_SDK_TIMEOUT }),
      catch: (error) => {
        const reason = reasonOf(error)
        return new ConnectError({ reason: withStderr(reason, state.stderr), hint: hintOf(server, reason) })
      }
    }).pipe(
      Effect.timeoutFail({
        duration: Duration.millis(server.initTimeoutMs),
        onTimeout: () =>
          new ConnectError({
            reason: withStderr(`no answer to initialize within ${server.initTimeoutMs} ms`, state.stderr),
            hint: "raise server.init_timeout_ms (milliseconds) if the server is slow to start"
          })
      })
    )
    return {
      client,
      closed: () => state.closed,
      lose: () => {
        state.closed = true
      },
      stderr: () => state.stderr
    }
  })

/** Why a connection went away, for the error of the call that met it. */
export const lostReason = (connection: Connection): string => withStderr("the server closed the connection", connection.stderr())

/** Adds the server's stderr to a call's failure reason. */
export const callReason = (connection: Connection, error: unknown): string => withStderr(reasonOf(error), connection.stderr())

/**
 * True when a request failed in transport (an HTTP error, a refused connection, a closed stream) rather
 * than with a JSON-RPC error answered by the server (negative `code`, except -32000 "connection closed").
 */
export const isTransportFailure = (error: unknown): boolean => {
  const code = (error as { code?: unknown } | null)?.code
  return !(typeof code === "number" && code < 0 && code !== -32000)
}
