/**
 * `http_request` against a real HTTP server on 127.0.0.1: refused as a loopback address by default,
 * allowed with `allowPrivate` or an exact `allowedHosts` entry; methods, the response cap (the body is
 * not read past it and the connection is closed), the timeout (on the Effect clock), no redirects; and
 * 35 hostile URLs and arguments, each refused before any connection.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import * as HttpRequest from "../../../src/tools/builtin/HttpRequest.js"
import { guardedLookup } from "../../../src/tools/builtin/internal/addresses.js"
import { httpHostile } from "./hostile.js"
import { testServer } from "./server.js"
import { call, eventually, refusal, success } from "./support.js"

describe("http_request", () => {
  it.scoped("refuses the loopback server by default, before connecting", () =>
    Effect.gen(function*() {
      const server = yield* testServer
      const message = refusal(yield* call(HttpRequest.make(), { url: server.url("/hello") }))
      assert.strictEqual(
        message,
        "http_request: argument 'url': the host \"127.0.0.1\" is a loopback address: private, loopback and link-local addresses are refused"
      )
      assert.deepStrictEqual(server.seen, [])
    }))

  it.scoped("allow_private lets it through", () =>
    Effect.gen(function*() {
      const server = yield* testServer
      const result = success(yield* call(HttpRequest.make({ allowPrivate: true }), { url: server.url("/hello") }))
      assert.strictEqual(result.status, 200)
      assert.strictEqual(result.body, "hello world")
      assert.strictEqual(result.headers["content-type"], "text/plain")
      assert.isFalse(result.truncated)
    }))

  it.scoped("an exact allowed_hosts entry allows that host; other hosts are refused", () =>
    Effect.gen(function*() {
      const server = yield* testServer
      const tool = HttpRequest.make({ allowedHosts: ["127.0.0.1"] })
      assert.strictEqual(success(yield* call(tool, { url: server.url("/hello") })).body, "hello world")
      assert.match(refusal(yield* call(tool, { url: `http://localhost:${server.port}/hello` })), /the host "localhost" is not allowed \(allowed: 127\.0\.0\.1\)/)
      assert.match(refusal(yield* call(tool, { url: "https://example.com/" })), /not allowed/)
      // a wildcard entry never allows a private address
      const wild = HttpRequest.make({ allowedHosts: ["*.0.0.1"] })
      assert.match(refusal(yield* call(wild, { url: server.url("/hello") })), /"127\.0\.0\.1" is a loopback address/)
    }))

  it.scoped("methods beyond GET and HEAD need allowed_methods; the body and headers are sent", () =>
    Effect.gen(function*() {
      const server = yield* testServer
      assert.match(refusal(yield* call(HttpRequest.make({ allowPrivate: true }), { url: server.url("/echo"), method: "POST", body: "x" })), /POST is not allowed \(allowed: GET, HEAD\)/)
      const tool = HttpRequest.make({ allowPrivate: true, allowedMethods: ["GET", "POST"] })
      const result = success(yield* call(tool, { url: server.url("/echo"), method: "POST", body: "ping", headers: { "x-test": "1" } }))
      const echoed = JSON.parse(result.body)
      assert.strictEqual(echoed.method, "POST")
      assert.strictEqual(echoed.body, "ping")
      assert.strictEqual(echoed.headers["x-test"], "1")
      assert.match(refusal(yield* call(HttpRequest.make({ allowPrivate: true, allowedMethods: ["POST"], maxRequestBytes: 10 }), { url: server.url("/echo"), method: "POST", body: "x".repeat(11) })), /body.*11 bytes, more than 10/)
    }))

  it.scoped("an endless body is read up to the cap and the connection closed", () =>
    Effect.gen(function*() {
      const server = yield* testServer
      const result = success(yield* call(HttpRequest.make({ allowPrivate: true, maxResponseBytes: 100_000 }), { url: server.url("/big") }))
      assert.strictEqual(result.body.length, 100_000)
      assert.strictEqual(result.bytes, 100_000)
      assert.isTrue(result.truncated)
      assert.isTrue(yield* Effect.promise(() => eventually(() => server.big.closed)), "the server saw the client hang up")
      assert.isBelow(server.big.sent, 64 * 1024 * 1024, "far less than the server would have sent")
    }))

  it.scoped("redirects are returned, not followed", () =>
    Effect.gen(function*() {
      const server = yield* testServer
      const result = success(yield* call(HttpRequest.make({ allowPrivate: true }), { url: server.url("/redirect") }))
      assert.strictEqual(result.status, 302)
      assert.strictEqual(result.headers["location"], "http://169.254.169.254/latest/meta-data/")
      assert.deepStrictEqual(server.seen, ["/redirect"])
    }))

  it.scoped("a server that never answers: the timeout (on the Effect clock) fails the call and closes the connection", () =>
    Effect.gen(function*() {
      const server = yield* testServer
      const fiber = yield* Effect.fork(call(HttpRequest.make({ allowPrivate: true, timeoutMs: 5000 }), { url: server.url("/slow"), timeout_ms: 2000 }))
      assert.isTrue(yield* Effect.promise(() => eventually(() => server.seen.includes("/slow"))))
      yield* TestClock.adjust("1999 millis")
      assert.isNull(fiber.unsafePoll(), "not finished before the timeout")
      yield* TestClock.adjust("1 millis")
      const message = refusal(yield* Fiber.join(fiber))
      assert.match(message, /http_request: argument 'timeout_ms': no complete answer from "127\.0\.0\.1:\d+" within 2000 ms/)
      assert.isTrue(yield* Effect.promise(() => eventually(() => server.slow.closed)))
    }))

  it.scoped("hostile URLs and arguments: each refused, the server never reached", () =>
    Effect.gen(function*() {
      const server = yield* testServer
      const tool = HttpRequest.make()
      const cases = httpHostile(server.port)
      assert.isAtLeast(cases.length, 35)
      for (const c of cases) assert.match(refusal(yield* call(tool, c.args)), c.expect, c.label)
      assert.deepStrictEqual(server.seen, [])
      assert.isFalse(tool.durableIdempotent)
    }))

  it.scoped("an exact allowed_hosts name may resolve to a private address", () =>
    Effect.gen(function*() {
      const server = yield* testServer
      const tool = HttpRequest.make({ allowedHosts: ["localhost"] })
      assert.strictEqual(success(yield* call(tool, { url: `http://localhost:${server.port}/hello` })).body, "hello world")
    }))

  it.effect("the socket's lookup checks the addresses again when it connects (DNS rebinding)", () =>
    Effect.gen(function*() {
      const lookup = (allow: boolean, options: object) =>
        Effect.async<unknown, Error>((resume) => {
          guardedLookup(() => allow)("localhost", options as never, ((error: Error | null, address: unknown) =>
            resume(error ? Effect.fail(error) : Effect.succeed(address))) as never)
        })
      const refused = yield* Effect.flip(lookup(false, {}))
      assert.match(refused.message, /localhost resolves to .*, a loopback address: refused/)
      assert.match(String(yield* lookup(true, {})), /^(127\.0\.0\.1|::1)$/)
      assert.isArray(yield* lookup(true, { all: true }))
    }))
})
