/**
 * MCP client: the tools of a Model Context Protocol server, reached over stdio or streamable HTTP with the
 * official `@modelcontextprotocol/sdk` (an optional peer dependency, loaded on first use), offered to the
 * model as tools of their own (each under its name, with its JSON Schema).
 *
 * The server is connected to when the tools are built (the tool list is only known then): a server that
 * cannot start fails the build with a `ConfigError` naming the tool, the server and the reason. Calls go
 * through one connection for the runtime (`runtime`), one per session (`session`) or a fresh one per call
 * (`per_call`). A server that dies fails the call in flight and is started again on the next call.
 *
 * @since 0.2.0
 */
import type { Tool as SdkTool } from "@modelcontextprotocol/sdk/types.js"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as RcMap from "effect/RcMap"
import type * as Scope from "effect/Scope"
import * as ScopedRef from "effect/ScopedRef"
import { closest } from "../../internal/suggest.js"
import { ConfigError } from "../../kernel/Errors.js"
import * as Tool from "../Tool.js"
import * as Toolkit from "../Toolkit.js"
import * as Connection from "./internal/connection.js"
import * as Content from "./internal/content.js"

/**
 * A server run as a child process, spoken to over its stdin and stdout.
 *
 * @since 0.2.0
 * @category models
 */
export interface StdioServer {
  readonly command: string
  readonly args?: ReadonlyArray<string> | undefined
  /** Set for the server, besides HOME, PATH, SHELL, TERM, USER and LOGNAME (which it always gets). */
  readonly env?: Readonly<Record<string, string>> | undefined
  /** Names of variables of this process's environment passed on to the server. */
  readonly envPassthrough?: ReadonlyArray<string> | undefined
  readonly cwd?: string | undefined
  /** How long the server may take to start and answer `initialize` (default 30 000 ms). */
  readonly initTimeoutMs?: number | undefined
}

/**
 * A server reached over streamable HTTP.
 *
 * @since 0.2.0
 * @category models
 */
export interface HttpServer {
  readonly url: string
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** How long the server may take to answer `initialize` (default 30 000 ms). */
  readonly initTimeoutMs?: number | undefined
}

/**
 * Which connection a call goes through: one for the runtime (kept until the agent's tools are released:
 * the runtime closes, or the agent is reloaded), one per session (closed after `idleTimeoutMs` without
 * calls), or a fresh one per call.
 *
 * @since 0.2.0
 * @category models
 */
export type ConnectionMode = "runtime" | "session" | "per_call"

/**
 * What to connect to and what to offer.
 *
 * @since 0.2.0
 * @category models
 */
export interface Options {
  /** The id of the tool entry (in messages). */
  readonly id: string
  readonly server: StdioServer | HttpServer
  /** The server's tools to offer (default: all). */
  readonly tools?: ReadonlyArray<string> | undefined
  readonly connectionMode?: ConnectionMode | undefined
  /** Session mode: how long a session's connection stays open without calls (default 300 000 ms). */
  readonly idleTimeoutMs?: number | undefined
  /** Timeout of one call (default: the tool executor's). */
  readonly timeoutMs?: number | undefined
  /** Where the tool is declared, e.g. `agents[0].tools[2]` (the path of its errors; default `mcp.<id>`). */
  readonly where?: string | undefined
}

/**
 * A call of an MCP tool failed: the server answered with `isError`, the connection was lost, or the
 * request failed. The model sees its message as the tool's error.
 *
 * @since 0.2.0
 * @category errors
 */
export class McpError extends Data.TaggedError("McpError")<{
  readonly toolName: string
  readonly server: string
  readonly message: string
  readonly retryable: boolean
}> {}

/** Names the model may see: 1-64 letters, digits, `_` or `-`. */
const modelName = (name: string) => name.replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, 64) || "_"

const serverOf = (server: StdioServer | HttpServer): Connection.Server => {
  if ("url" in server) {
    return { _tag: "http", url: server.url, headers: server.headers ?? {}, initTimeoutMs: server.initTimeoutMs ?? 30_000 }
  }
  const passed: Record<string, string> = {}
  for (const name of server.envPassthrough ?? []) {
    const value = process.env[name]
    if (value !== undefined) passed[name] = value
  }
  return {
    _tag: "stdio",
    command: server.command,
    args: server.args ?? [],
    env: { ...passed, ...server.env },
    cwd: server.cwd,
    initTimeoutMs: server.initTimeoutMs ?? 30_000
  }
}

/** Every tool of the server (following `nextCursor`). */
const listTools = (connection: Connection.Connection) =>
  Effect.tryPromise({
    try: async (signal) => {
      const all: Array<SdkTool> = []
      let cursor: string | undefined
      do {
        const page = await connection.client.listTools(cursor ? { cursor } : {}, { signal, timeout: Connection.NO_SDK_TIMEOUT })
        all.push(...page.tools)
        cursor = page.nextCursor
      } while (cursor)
      return all
    },
    catch: (e) => new Connection.ConnectError({ reason: `tools/list failed: ${Connection.reasonOf(e)}`, hint: undefined })
  })

/** The connections of a mode: `use` runs on a live one (a lost one is replaced first). */
interface Connections {
  readonly use: <A>(
    sessionId: string,
    use: (connection: Connection.Connection) => Effect.Effect<A, McpError>
  ) => Effect.Effect<A, McpError | Connection.ConnectError | ConfigError>
  readonly releaseSession?: (sessionId: string) => Effect.Effect<void>
}

const connectionsOf = (
  mode: ConnectionMode,
  server: Connection.Server,
  where: string,
  first: Connection.Connection,
  idleTimeoutMs: number
): Effect.Effect<Connections, ConfigError | Connection.ConnectError, Scope.Scope> =>
  Effect.gen(function*() {
    const connect = Connection.connect(server, where)
    if (mode === "per_call") {
      return { use: (_sessionId, use) => Effect.scoped(Effect.flatMap(connect, use)) }
    }
    if (mode === "session") {
      const map = yield* RcMap.make({ lookup: (_sessionId: string) => connect, idleTimeToLive: Duration.millis(idleTimeoutMs) })
      // a lost connection is dropped while no call holds it, so the map never keeps a dead one
      const dropLost = (sessionId: string) =>
        Effect.flatMap(
          Effect.scoped(Effect.map(RcMap.get(map, sessionId), (c) => c.closed())),
          (lost) => (lost ? RcMap.invalidate(map, sessionId) : Effect.void)
        )
      return {
        use: (sessionId, use) =>
          Effect.zipRight(dropLost(sessionId), Effect.scoped(Effect.flatMap(RcMap.get(map, sessionId), use))),
        // a call in flight keeps its connection until it ends
        releaseSession: (sessionId) => RcMap.invalidate(map, sessionId)
      }
    }
    const ref = yield* ScopedRef.fromAcquire(Effect.succeed(first))
    const lock = yield* Effect.makeSemaphore(1)
    const live = Effect.flatMap(ScopedRef.get(ref), (connection) =>
      connection.closed()
        ? lock.withPermits(1)(Effect.flatMap(ScopedRef.get(ref), (again) =>
          again.closed() ? Effect.zipRight(ScopedRef.set(ref, connect), ScopedRef.get(ref)) : Effect.succeed(again)))
        : Effect.succeed(connection))
    return { use: (_sessionId, use) => Effect.flatMap(live, use) }
  })

const call = (connection: Connection.Connection, name: string, serverLabel: string, args: unknown) =>
  Effect.tryPromise({
    // the SDK sends `notifications/cancelled` to the server when the signal aborts (the run was cancelled)
    try: (signal) =>
      connection.client.callTool(
        { name, arguments: (args ?? {}) as Record<string, unknown> },
        undefined,
        { signal, timeout: Connection.NO_SDK_TIMEOUT }
      ),
    catch: (e) => {
      const lost = connection.closed()
      // an HTTP server that restarted forgets its sessions: the next call connects again
      if (Connection.isTransportFailure(e)) connection.lose()
      return new McpError({
        toolName: name,
        server: serverLabel,
        message: lost ? Connection.lostReason(connection) : Connection.callReason(connection, e),
        retryable: connection.closed()
      })
    }
  }).pipe(
    Effect.flatMap((result) => {
      const error = Content.errorOf(result)
      return error === undefined
        ? Effect.succeed(Content.output(result))
        : Effect.fail(new McpError({ toolName: name, server: serverLabel, message: error, retryable: false }))
    })
  )

/**
 * Connects to the server and makes a tool of each of its tools (those named in `tools`, or all). The
 * connections live in the Scope: closing it closes them (and ends a stdio server's process).
 *
 * @since 0.2.0
 * @category constructors
 */
export const tools = (options: Options): Effect.Effect<ReadonlyArray<Tool.Tool>, ConfigError, Scope.Scope> =>
  Effect.map(make(options), (made) => made.tools)

/** The tools and the connections they use. */
const make = (options: Options): Effect.Effect<{
  readonly tools: ReadonlyArray<Tool.Tool>
  readonly connections: Connections
}, ConfigError, Scope.Scope> => {
  const where = options.where ?? `mcp.${options.id}`
  const server = serverOf(options.server)
  const serverLabel = Connection.label(server)
  const mode = options.connectionMode ?? "runtime"
  const refused = (reason: string, hint: string | undefined) =>
    ConfigError.single(
      where,
      `mcp tool '${options.id}': server '${serverLabel}' could not be used: ${reason}`,
      hint ? { hint } : undefined
    )
  const asConfigError = (e: ConfigError | Connection.ConnectError) =>
    e._tag === "ConfigError" ? e : refused(e.reason, e.hint)
  return Effect.gen(function*() {
    // the preflight: in runtime mode its connection is the one kept; in the others it is closed at once
    const preflight = Effect.gen(function*() {
      const connection = yield* Connection.connect(server, where)
      return { connection, listed: yield* listTools(connection) }
    })
    const { connection, listed } = mode === "runtime" ? yield* preflight : yield* Effect.scoped(preflight)
    const offered = yield* select(listed, options.tools, (reason, hint) => refused(reason, hint))
    const connections = yield* connectionsOf(mode, server, where, connection, options.idleTimeoutMs ?? 300_000)
    const tools = yield* Effect.forEach(offered, (sdkTool) =>
      Effect.try({
        try: () => {
          const made = Tool.fromJsonSchema(modelName(sdkTool.name), {
            description: sdkTool.description ?? sdkTool.title ?? `Tool '${sdkTool.name}' of the MCP server ${serverLabel}`,
            jsonSchema: sdkTool.inputSchema as Record<string, unknown>,
            // an MCP tool may have side effects: a durable run replays its recorded result
            durableIdempotent: false,
            ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
            handler: (params, context) =>
              connections.use(context.sessionId, (c) => call(c, sdkTool.name, serverLabel, params)).pipe(
                Effect.catchTags({
                  McpConnectError: (e) =>
                    Effect.fail(new McpError({ toolName: sdkTool.name, server: serverLabel, message: e.reason, retryable: true })),
                  ConfigError: (e) =>
                    Effect.fail(new McpError({ toolName: sdkTool.name, server: serverLabel, message: e.message, retryable: false }))
                })
              )
          })
          // the model gets the schema without `$schema` (some providers refuse it); Ajv used it to pick the draft
          const { $schema: _dialect, ...jsonSchema } = made.jsonSchema
          return { ...made, jsonSchema }
        },
        catch: (e) => refused(`its tool '${sdkTool.name}' cannot be offered: ${(e as Error).message}`, undefined)
      }))
    return { tools, connections }
  }).pipe(Effect.mapError(asConfigError))
}

const select = (
  listed: ReadonlyArray<SdkTool>,
  wanted: ReadonlyArray<string> | undefined,
  refused: (reason: string, hint: string | undefined) => ConfigError
): Effect.Effect<ReadonlyArray<SdkTool>, ConfigError> => {
  const names = listed.map((t) => t.name)
  const missing = (wanted ?? []).filter((name) => !names.includes(name))
  if (missing.length > 0) {
    const suggestion = closest(missing[0]!, names)
    return Effect.fail(refused(
      `it has no tool ${missing.map((m) => `'${m}'`).join(", ")} (its tools: ${names.join(", ") || "none"})`,
      suggestion ? `did you mean '${suggestion}'?` : "fix the names in `tools`"
    ))
  }
  const offered = wanted === undefined ? listed : listed.filter((t) => wanted.includes(t.name))
  const seen = new Map<string, string>()
  for (const t of offered) {
    const name = modelName(t.name)
    const before = seen.get(name)
    if (before !== undefined) {
      return Effect.fail(refused(`its tools '${before}' and '${t.name}' both become '${name}'`, "offer one of them with `tools`"))
    }
    seen.set(name, t.name)
  }
  return Effect.succeed(offered)
}

/**
 * The server's tools as a toolkit (see {@link tools}); in session mode its `releaseSession` closes the
 * session's connection.
 *
 * @since 0.2.0
 * @category constructors
 */
export const toolkit = (options: Options): Effect.Effect<Toolkit.Service, ConfigError, Scope.Scope> =>
  Effect.map(make(options), ({ connections, tools }) => {
    const kit = Toolkit.make(...tools)
    return connections.releaseSession ? { ...kit, releaseSession: connections.releaseSession } : kit
  })

/**
 * The server's tools as a toolkit Layer: connected when the Layer is built, closed when its scope closes.
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<Toolkit.Toolkit, ConfigError> =>
  Layer.scoped(Toolkit.Toolkit, toolkit(options))
