/**
 * The MCP fixture server (test/fixtures/mcp/server.mjs) over stdio and over streamable HTTP.
 */
import * as Effect from "effect/Effect"
import * as child from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type * as Mcp from "../../../src/tools/mcp/Mcp.js"

export const SERVER = path.resolve("test/fixtures/mcp/server.mjs")

/** The fixture over stdio (`node server.mjs ...flags`). */
export const stdio = (flags: ReadonlyArray<string> = [], more: Partial<Mcp.StdioServer> = {}): Mcp.StdioServer => ({
  command: process.execPath,
  args: [SERVER, ...flags],
  ...more
})

/** The fixture as an HTTP server on 127.0.0.1 (a free port, or `port`), stopped when the scope closes. */
export const httpServerOn = (port = 0) => Effect.acquireRelease(
  Effect.async<{ readonly url: string; readonly process: child.ChildProcess }, Error>((resume) => {
    const proc = child.spawn(process.execPath, [SERVER, "--http", "--port", String(port)], { stdio: ["ignore", "pipe", "inherit"] })
    let out = ""
    proc.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8")
      const match = /LISTENING (\d+)/.exec(out)
      if (match) resume(Effect.succeed({ url: `http://127.0.0.1:${match[1]}/mcp`, process: proc }))
    })
    proc.on("error", (e) => resume(Effect.fail(e)))
    return Effect.sync(() => proc.kill())
  }),
  ({ process: proc }) => Effect.sync(() => proc.kill())
)

/** The fixture as an HTTP server on a free port of 127.0.0.1. */
export const httpServer = httpServerOn()

/** A file path in a fresh temporary folder (for the `slow` tool's cancellation marker). */
export const tempFile = (name: string) => path.join(fs.mkdtempSync(path.join(os.tmpdir(), "oa-mcp-")), name)

/** Whether a process is alive. */
export const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Polls `check` every 20 ms (real time) until it holds or `ms` pass. */
export const eventually = (check: () => boolean, ms = 15_000) =>
  Effect.promise(async () => {
    const until = Date.now() + ms
    while (!check() && Date.now() < until) await new Promise((r) => setTimeout(r, 20))
    return check()
  })

/** The content of the `slow` tool's marker file ("" while there is none). */
export const marker = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "")
