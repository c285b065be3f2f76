import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import * as fs from "node:fs"
import * as net from "node:net"
import * as Mcp from "../../../src/tools/mcp/Mcp.js"
import type * as Tool from "../../../src/tools/Tool.js"
import * as ToolExecutor from "../../../src/tools/ToolExecutor.js"
import * as Toolkit from "../../../src/tools/Toolkit.js"
import { call, context } from "../fixtures.js"
import { alive, eventually, httpServer, httpServerOn, marker as contentOf, stdio, tempFile } from "./support.js"

const executor = ToolExecutor.make()
const run = (tools: ReadonlyArray<Tool.Tool>, name: string, args: unknown, sessionId = "session-1") =>
  executor.execute(call(name, args), Toolkit.make(...tools), { ...context, sessionId })
const pidOf = (tools: ReadonlyArray<Tool.Tool>, sessionId = "session-1") =>
  Effect.map(run(tools, "pid", {}, sessionId), Number)

describe("Mcp over stdio", () => {
  it.scoped("offers each server tool under its name with its JSON Schema (no $schema), not durable-idempotent", () =>
    Effect.gen(function*() {
      const tools = yield* Mcp.tools({ id: "files", server: stdio() })
      assert.deepStrictEqual(tools.map((t) => t.name), ["echo", "add", "slow", "fail", "crash", "picture", "env", "pid"])
      const add = tools.find((t) => t.name === "add")!
      assert.strictEqual(add.description, "Adds two numbers")
      assert.deepStrictEqual(add.jsonSchema, {
        type: "object",
        properties: { a: { type: "number" }, b: { type: "number" } },
        required: ["a", "b"],
        additionalProperties: false
      })
      assert.isFalse(add.durableIdempotent)
    }))

  it.scoped("calls tools: text, structured content, images described, isError as a tool error", () =>
    Effect.gen(function*() {
      const tools = yield* Mcp.tools({ id: "files", server: stdio() })
      assert.strictEqual(yield* run(tools, "echo", { text: "hi" }), "echo: hi")
      assert.deepStrictEqual(yield* run(tools, "add", { a: 2, b: 3 }), { sum: 5 })
      assert.strictEqual(yield* run(tools, "picture", {}), "a red dot\n[image: image/png, 16 bytes]")
      const failed = yield* Effect.flip(run(tools, "fail", { reason: "disk full" }))
      assert.strictEqual(failed._tag, "ToolExecutionError")
      assert.strictEqual(failed.message, "failed: disk full")
    }))

  it.scoped("validates arguments against the server's schema before calling", () =>
    Effect.gen(function*() {
      const tools = yield* Mcp.tools({ id: "files", server: stdio() })
      const error = yield* Effect.flip(run(tools, "add", { a: "two", b: 3 }))
      assert.strictEqual(error._tag, "ToolValidationError")
      assert.match(error.message, /\/a must be number/)
      const extra = yield* Effect.flip(run(tools, "echo", { text: "x", loud: true }))
      assert.strictEqual(extra._tag, "ToolValidationError")
    }))

  it.scoped("honours `tools`, and refuses names the server does not have with a suggestion", () =>
    Effect.gen(function*() {
      const tools = yield* Mcp.tools({ id: "files", server: stdio(), tools: ["add", "echo"] })
      assert.deepStrictEqual(tools.map((t) => t.name), ["echo", "add"])
      const error = yield* Effect.flip(Mcp.tools({ id: "files", server: stdio(), tools: ["ad"], where: "agents[0].tools[1]" }))
      assert.strictEqual(error._tag, "ConfigError")
      assert.strictEqual(error.issues[0]!.path, "agents[0].tools[1]")
      assert.match(error.message, /mcp tool 'files': server '.*server\.mjs' could not be used: it has no tool 'ad' \(its tools: echo, add,/)
      assert.strictEqual(error.hint, "did you mean 'add'?")
    }))

  it.scoped("passes env and the env_passthrough variables to the server", () =>
    Effect.gen(function*() {
      process.env["OA_MCP_PASSED"] = "from-parent"
      process.env["OA_MCP_KEPT"] = "not-passed"
      const tools = yield* Mcp.tools({
        id: "files",
        server: stdio([], { env: { OA_MCP_SET: "set" }, envPassthrough: ["OA_MCP_PASSED"] })
      })
      assert.strictEqual(yield* run(tools, "env", { name: "OA_MCP_SET" }), "set")
      assert.strictEqual(yield* run(tools, "env", { name: "OA_MCP_PASSED" }), "from-parent")
      assert.strictEqual(yield* run(tools, "env", { name: "OA_MCP_KEPT" }), "(unset)")
    }))

  describe("preflight", () => {
    it.scoped("a command that does not exist", () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(Mcp.tools({ id: "files", server: { command: "oa-no-such-mcp-server" } }))
        assert.strictEqual(error._tag, "ConfigError")
        assert.match(error.message, /^mcp\.files: mcp tool 'files': server 'oa-no-such-mcp-server' could not be used: .*ENOENT/)
        assert.match(error.hint ?? "", /'oa-no-such-mcp-server' was not found/)
        assert.notInclude(error.message, "    at ")
      }))

    it.scoped("a server that exits at start: the reason includes its stderr", () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(Mcp.tools({ id: "files", server: stdio(["--exit"]) }))
        assert.match(error.message, /could not be used: .*Connection closed.*server stderr: fixture: refusing to start/)
        assert.match(error.hint ?? "", /exited during start-up/)
      }))

    it.effect("a server that does not answer initialize within init_timeout_ms (TestClock), and its process is stopped", () =>
      Effect.gen(function*() {
        const scope = yield* Scope.make()
        const marker = tempFile("pid")
        const server = stdio(["--hang"], { initTimeoutMs: 5000, env: { MCP_MARKER: marker } })
        const fiber = yield* Effect.fork(Scope.extend(Mcp.tools({ id: "files", server }), scope))
        assert.isTrue(yield* eventually(() => fs.existsSync(marker)), "the server started")
        yield* TestClock.adjust("5 seconds")
        const exit = yield* Fiber.await(fiber)
        assert.isTrue(Exit.isFailure(exit))
        const error = Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined
        assert.match(error?.message ?? "", /could not be used: no answer to initialize within 5000 ms/)
        assert.match(error?.hint ?? "", /init_timeout_ms/)
        yield* Scope.close(scope, Exit.void)
        const pid = Number(fs.readFileSync(marker, "utf8"))
        assert.isTrue(yield* eventually(() => !alive(pid)), "the server's process was stopped")
      }))
  })

  it.scoped("a server that dies during a call: a tool error for that call; the next call starts it again", () =>
    Effect.gen(function*() {
      const tools = yield* Mcp.tools({ id: "files", server: stdio() })
      const before = yield* pidOf(tools)
      const error = yield* Effect.flip(run(tools, "crash", {}))
      assert.strictEqual(error._tag, "ToolExecutionError")
      assert.match(error.message, /server closed the connection|Connection closed/)
      assert.isTrue(yield* eventually(() => !alive(before)))
      const after = yield* pidOf(tools)
      assert.notStrictEqual(after, before)
      assert.strictEqual(yield* run(tools, "echo", { text: "back" }), "echo: back")
    }))

  it.scoped("interrupting a call cancels it on the server", () =>
    Effect.gen(function*() {
      const marker = tempFile("cancelled")
      const tools = yield* Mcp.tools({ id: "files", server: stdio([], { env: { MCP_MARKER: marker } }) })
      const fiber = yield* Effect.fork(run(tools, "slow", { ms: 20_000 }))
      assert.isTrue(yield* eventually(() => contentOf(marker) === "started"), "the call reached the server")
      yield* Fiber.interrupt(fiber)
      assert.isTrue(yield* eventually(() => contentOf(marker) === "cancelled"), "the server saw the cancellation")
      // the connection is still usable
      assert.strictEqual(yield* run(tools, "echo", { text: "still here" }), "echo: still here")
    }))

  it.live("a call longer than timeout_ms is a ToolTimeout, and the request is cancelled on the server", () =>
    Effect.gen(function*() {
      const marker = tempFile("cancelled")
      const tools = yield* Mcp.tools({ id: "files", server: stdio([], { env: { MCP_MARKER: marker } }), timeoutMs: 1000 })
      const error = yield* Effect.flip(run(tools, "slow", { ms: 20_000 }))
      assert.strictEqual(error._tag, "ToolTimeout")
      assert.isTrue(yield* eventually(() => contentOf(marker) === "cancelled"), "the server saw the cancellation")
    }).pipe(Effect.scoped))

  it.effect("runtime mode: one connection, closed (its process ended) when the scope closes", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const tools = yield* Scope.extend(Mcp.tools({ id: "files", server: stdio() }), scope)
      const pid = yield* pidOf(tools, "a")
      assert.strictEqual(yield* pidOf(tools, "b"), pid)
      yield* Scope.close(scope, Exit.void)
      assert.isTrue(yield* eventually(() => !alive(pid)))
    }))

  it.live("session mode: one connection per session, closed after idle_timeout_ms without calls", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const tools = yield* Scope.extend(
        Mcp.tools({ id: "files", server: stdio(), connectionMode: "session", idleTimeoutMs: 2000 }),
        scope
      )
      const a = yield* pidOf(tools, "a")
      assert.strictEqual(yield* pidOf(tools, "a"), a)
      const b = yield* pidOf(tools, "b")
      assert.notStrictEqual(a, b)
      assert.isTrue(yield* eventually(() => !alive(a) && !alive(b)), "idle connections are closed")
      const again = yield* pidOf(tools, "a")
      assert.notStrictEqual(again, a)
      yield* Scope.close(scope, Exit.void)
      assert.isTrue(yield* eventually(() => !alive(again)))
    }))

  it.scoped("per_call mode: a fresh server per call", () =>
    Effect.gen(function*() {
      const tools = yield* Mcp.tools({ id: "files", server: stdio(), connectionMode: "per_call" })
      const first = yield* pidOf(tools)
      const second = yield* pidOf(tools)
      assert.notStrictEqual(first, second)
      assert.isTrue(yield* eventually(() => !alive(first)))
    }))
})

describe("Mcp over streamable HTTP", () => {
  it.scoped("lists and calls the tools of a server on 127.0.0.1, with its headers", () =>
    Effect.gen(function*() {
      const { url } = yield* httpServer
      const tools = yield* Mcp.tools({ id: "remote", server: { url, headers: { "x-token": "secret" } }, tools: ["echo", "add", "fail"] })
      assert.deepStrictEqual(tools.map((t) => t.name), ["echo", "add", "fail"])
      assert.strictEqual(yield* run(tools, "echo", { text: "over http" }), "echo: over http")
      assert.deepStrictEqual(yield* run(tools, "add", { a: 1, b: 1 }), { sum: 2 })
      assert.strictEqual((yield* Effect.flip(run(tools, "fail", {}))).message, "failed: no reason")
    }))

  it.scoped("preflight: a refused connection and a refused token are clear errors", () =>
    Effect.gen(function*() {
      const { url } = yield* httpServer
      const badToken = yield* Effect.flip(Mcp.tools({ id: "remote", server: { url, headers: { "x-token": "wrong" } } }))
      assert.match(badToken.message, /mcp tool 'remote': server 'http:\/\/127\.0\.0\.1:\d+\/mcp' could not be used: .*bad token: HTTP 401/)
      assert.match(badToken.hint ?? "", /server\.headers/)
      // a port nobody listens on
      const port = yield* Effect.promise(() =>
        new Promise<number>((resolve) => {
          const probe = net.createServer().listen(0, "127.0.0.1", () => {
            const { port } = probe.address() as net.AddressInfo
            probe.close(() => resolve(port))
          })
        })
      )
      const refused = yield* Effect.flip(Mcp.tools({ id: "remote", server: { url: `http://127.0.0.1:${port}/mcp` } }))
      assert.match(refused.message, /could not be used: fetch failed: connect ECONNREFUSED 127\.0\.0\.1:\d+/)
      assert.match(refused.hint ?? "", /nothing answers at http:\/\/127\.0\.0\.1:\d+\/mcp/)
    }))

  it.scoped("a server that goes away: a tool error, not a crash; back on its port, calls work again", () =>
    Effect.gen(function*() {
      const server = yield* httpServer
      const tools = yield* Mcp.tools({ id: "remote", server: { url: server.url } })
      server.process.kill()
      yield* Effect.promise(() => new Promise((r) => server.process.once("exit", r)))
      const error = yield* Effect.flip(run(tools, "echo", { text: "anyone?" }))
      assert.strictEqual(error._tag, "ToolExecutionError")
      assert.match(error.message, /ECONNREFUSED|fetch failed/)
      const again = yield* Effect.flip(run(tools, "echo", { text: "anyone?" }))
      assert.match(again.message, /ECONNREFUSED|fetch failed/)
      yield* httpServerOn(Number(new URL(server.url).port))
      assert.strictEqual(yield* run(tools, "echo", { text: "back" }), "echo: back")
    }))
})
