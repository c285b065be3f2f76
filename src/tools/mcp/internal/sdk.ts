/**
 * The MCP SDK, loaded on first use: a config without MCP tools never loads it, and the package is an
 * optional peer dependency whose absence is an error naming it.
 */
import * as Effect from "effect/Effect"
import { ConfigError } from "../../../kernel/Errors.js"

/** The parts of `@modelcontextprotocol/sdk` the client uses. */
export interface Sdk {
  readonly Client: typeof import("@modelcontextprotocol/sdk/client/index.js").Client
  readonly StdioClientTransport: typeof import("@modelcontextprotocol/sdk/client/stdio.js").StdioClientTransport
  readonly StreamableHTTPClientTransport:
    typeof import("@modelcontextprotocol/sdk/client/streamableHttp.js").StreamableHTTPClientTransport
}

let loaded: Promise<Sdk> | undefined

const importSdk = (): Promise<Sdk> =>
  (loaded ??= Promise.all([
    import("@modelcontextprotocol/sdk/client/index.js"),
    import("@modelcontextprotocol/sdk/client/stdio.js"),
    import("@modelcontextprotocol/sdk/client/streamableHttp.js")
  ]).then(([client, stdio, http]) => ({
    Client: client.Client,
    StdioClientTransport: stdio.StdioClientTransport,
    StreamableHTTPClientTransport: http.StreamableHTTPClientTransport
  })).catch((error: unknown) => {
    loaded = undefined
    throw error
  }))

/** The SDK, or a ConfigError at `where` naming the package to install. */
export const load = (where: string): Effect.Effect<Sdk, ConfigError> =>
  Effect.tryPromise({
    try: importSdk,
    catch: (e) =>
      ConfigError.single(
        `${where}.type`,
        `the mcp tool needs the @modelcontextprotocol/sdk package: ${e instanceof Error ? e.message : String(e)}`,
        { hint: "install it: npm install @modelcontextprotocol/sdk" }
      )
  })
