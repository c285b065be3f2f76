/**
 * A real HTTP server on 127.0.0.1 for the `http_request` tests: /hello, /echo, /redirect, /big (endless
 * body, counts what it sent until the client hung up), /slow (never answers).
 */
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as Effect from "effect/Effect"

export interface TestServer {
  readonly port: number
  readonly url: (path: string) => string
  /** Requests received, by path. */
  readonly seen: Array<string>
  /** Bytes /big sent before its client closed the connection (undefined while it runs). */
  readonly big: { sent: number; closed: boolean }
  readonly slow: { closed: boolean }
}

export const testServer = Effect.acquireRelease(
  Effect.async<{ server: http.Server; state: TestServer }>((resume) => {
    const seen: Array<string> = []
    const big = { sent: 0, closed: false }
    const slow = { closed: false }
    const server = http.createServer((req, res) => {
      seen.push(req.url ?? "")
      const chunks: Array<Buffer> = []
      req.on("data", (c: Buffer) => chunks.push(c))
      req.on("end", () => {
        switch (req.url) {
          case "/hello":
            res.writeHead(200, { "content-type": "text/plain" }).end("hello world")
            return
          case "/echo":
            res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({
              method: req.method,
              headers: req.headers,
              body: Buffer.concat(chunks).toString("utf8")
            }))
            return
          case "/redirect":
            res.writeHead(302, { location: "http://169.254.169.254/latest/meta-data/" }).end()
            return
          case "/big": {
            res.writeHead(200, { "content-type": "text/plain" })
            const chunk = Buffer.alloc(64 * 1024, "z")
            const pump = () => {
              while (!big.closed && big.sent < 1024 * 1024 * 1024) {
                big.sent += chunk.length
                if (!res.write(chunk)) return void res.once("drain", pump)
              }
            }
            res.on("close", () => {
              big.closed = true
            })
            pump()
            return
          }
          case "/slow":
            res.on("close", () => {
              slow.closed = true
            })
            return
          default:
            res.writeHead(404).end("not found")
        }
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as AddressInfo).port
      resume(Effect.succeed({ server, state: { port, url: (p) => `http://127.0.0.1:${port}${p}`, seen, big, slow } }))
    })
  }),
  ({ server }) =>
    Effect.async<void>((resume) => {
      server.closeAllConnections()
      server.close(() => resume(Effect.void))
    })
).pipe(Effect.map(({ state }) => state))
