import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Plugins from "../../../src/config/Plugins.js"
import type { RuntimeEvent } from "../../../src/kernel/EventTaxonomy.js"
import { AgentRuntime } from "../../../src/runtime/AgentRuntime.js"
import * as Mcp from "../../../src/tools/mcp/Mcp.js"
import { cli, useCli } from "../../support/cli.js"
import { runtimeLayer, scripted, withEvents } from "../../support/runtime.js"
import { alive, eventually, httpServer, marker as contentOf, SERVER, tempFile } from "./support.js"

const { dir, err } = useCli("oa-mcp-run-")

const server = { command: process.execPath, args: [SERVER] }
const mcpTool = (config: Record<string, unknown> = {}, id = "files") => ({ id, type: "mcp", config: { server, ...config } })
const agentJson = (tools: ReadonlyArray<unknown>, script?: ReadonlyArray<unknown>) => ({
  agents: [{ id: "a", tools, ...(script ? { llm: { provider: "mock", script } } : {}) }]
})
const finished = (events: ReadonlyArray<RuntimeEvent>) =>
  events.flatMap((e) => (e.name === "tool.finished" ? [e.payload] : []))

describe("agent runs with MCP tools", () => {
  it.live("from agent.json over stdio: the model calls server tools by name and gets their results", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const [result, events] = yield* withEvents(rt.runDetailed({ agentId: "a", inputText: "go" }))
      assert.strictEqual(result.stopReason, "completed")
      assert.strictEqual(result.finalOutput, "done")
      assert.deepStrictEqual(finished(events).map((f) => [f.toolId, f.result, f.error]), [
        ["echo", "echo: hi", undefined],
        ["add", { sum: 3 }, undefined],
        ["calc", finished(events)[2]!.result, undefined],
        ["fail", undefined, "failed: why not"]
      ])
    }).pipe(Effect.provide(Plugins.runtimeLayer(agentJson(
      [{ id: "calc", type: "calc" }, mcpTool({ tools: ["echo", "add", "fail"] })],
      [
        { tool_calls: [{ name: "echo", arguments: { text: "hi" } }, { name: "add", arguments: { a: 1, b: 2 } }] },
        { tool_calls: [{ name: "calc", arguments: { expression: "3+4" } }, { name: "fail", arguments: { reason: "why not" } }] },
        { text: "done" }
      ]
    )))))

  it.live("from code over streamable HTTP: AgentDefinition.toolkits with Mcp.layer", () =>
    Effect.gen(function*() {
      const { url } = yield* httpServer
      yield* Effect.gen(function*() {
        const rt = yield* AgentRuntime
        const [result, events] = yield* withEvents(rt.runDetailed({ agentId: "h", inputText: "go" }))
        assert.strictEqual(result.finalOutput, "over http: done")
        assert.deepStrictEqual(finished(events).map((f) => f.result), ["echo: remote"])
      }).pipe(Effect.provide(runtimeLayer([{
        id: "h",
        model: scripted([{ toolCalls: [{ name: "echo", arguments: { text: "remote" } }] }, { text: "over http: done" }]),
        toolkits: [{ source: "mcp 'remote'", layer: Mcp.layer({ id: "remote", server: { url } }) }]
      }])))
    }).pipe(Effect.scoped))

  it.live("a server that dies mid-run: the call gets a tool error, the run goes on to its final answer", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const [result, events] = yield* withEvents(rt.runDetailed({ agentId: "a", inputText: "go" }))
      assert.strictEqual(result.stopReason, "completed")
      assert.strictEqual(result.finalOutput, "survived")
      const [crash, echo] = finished(events)
      assert.strictEqual(crash!.toolId, "crash")
      assert.strictEqual(crash!.errorTag, "ToolExecutionError")
      assert.match(crash!.error ?? "", /server closed the connection|Connection closed/)
      // started again on the next call
      assert.strictEqual(echo!.result, "echo: after")
    }).pipe(Effect.provide(Plugins.runtimeLayer(agentJson([mcpTool()], [
      { tool_calls: [{ name: "crash", arguments: {} }] },
      { tool_calls: [{ name: "echo", arguments: { text: "after" } }] },
      { text: "survived" }
    ])))))

  it.live("cancelling the run while `slow` runs cancels the call on the server", () => {
    const marker = tempFile("cancelled")
    return Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const chunks = yield* rt.runStream({ agentId: "a", runId: "r-slow", inputText: "go" }).pipe(
        Stream.tap((chunk) =>
          chunk.kind === "tool.started"
            ? Effect.zipRight(eventually(() => contentOf(marker) === "started"), rt.cancel("r-slow"))
            : Effect.void
        ),
        Stream.runCollect
      )
      const last = [...chunks].at(-1)!
      assert.strictEqual(last.kind, "run.finished")
      assert.strictEqual(last.kind === "run.finished" ? last.result.stopReason : undefined, "cancelled")
      assert.isTrue(yield* eventually(() => contentOf(marker) === "cancelled"), "the server saw the cancellation")
    }).pipe(Effect.provide(Plugins.runtimeLayer(agentJson([mcpTool({ server: { ...server, env: { MCP_MARKER: marker } } })], [
      { tool_calls: [{ name: "slow", arguments: { ms: 30_000 } }] },
      { text: "never" }
    ]))))
  })

  it.live("the runtime's connection ends with the runtime: its server process is gone", () =>
    Effect.gen(function*() {
      const pid = yield* Effect.gen(function*() {
        const rt = yield* AgentRuntime
        const one = yield* rt.run({ agentId: "a", sessionId: "s1", inputText: "/tool pid {}" })
        const two = yield* rt.run({ agentId: "a", sessionId: "s2", inputText: "/tool pid {}" })
        assert.strictEqual(one, two, "one connection for the runtime")
        return Number(/\d+/.exec(String(one))?.[0])
      }).pipe(Effect.provide(Plugins.runtimeLayer(agentJson([mcpTool()]))))
      assert.isTrue(pid > 0)
      assert.isTrue(yield* eventually(() => !alive(pid)))
    }))

  it.live("session mode: one connection per session, closed by closeSession and releaseSession", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const pid = (sessionId: string) =>
        Effect.map(rt.run({ agentId: "a", sessionId, inputText: "/tool pid {}" }), (out) => Number(/\d+/.exec(String(out))?.[0]))
      const one = yield* pid("s1")
      assert.strictEqual(yield* pid("s1"), one)
      const two = yield* pid("s2")
      assert.notStrictEqual(one, two)
      yield* rt.closeSession("s1")
      assert.isTrue(yield* eventually(() => !alive(one)), "closeSession closed the session's connection")
      assert.isTrue(alive(two), "the other session's connection stays")
      yield* rt.releaseSession("s2")
      assert.isTrue(yield* eventually(() => !alive(two)), "releaseSession closed it")
      const reopened = yield* pid("s1")
      assert.notStrictEqual(reopened, one)
    }).pipe(Effect.provide(Plugins.runtimeLayer(agentJson([mcpTool({ connection_mode: "session" })])))))

  it.live("a tool name used twice refuses the agent's runs, naming both; `tools` can leave the server's out", () =>
    Effect.gen(function*() {
      const clash = yield* Effect.flip(Effect.flatMap(AgentRuntime, (rt) => rt.run({ agentId: "a", inputText: "x" })).pipe(
        Effect.provide(Plugins.runtimeLayer(agentJson([{ id: "echo", type: "calc" }, mcpTool()])))
      ))
      assert.strictEqual(clash._tag, "ConfigError")
      assert.strictEqual(
        clash.message,
        "agents.a.tools: two tools are named 'echo': tool 'echo' and tool 'echo' of mcp tool 'files' (agents[0].tools[1])"
      )
      const output = yield* Effect.flatMap(AgentRuntime, (rt) => rt.run({ agentId: "a", inputText: "/tool add {\"a\": 2, \"b\": 2}" })).pipe(
        Effect.provide(Plugins.runtimeLayer(agentJson([{ id: "echo", type: "calc" }, mcpTool({ tools: ["add"] })])))
      )
      assert.strictEqual(output, "Tool[add] => {\"sum\":4}")
    }))

  it.live("a server that cannot start fails the run at its start with a ConfigError naming the tool, the server and why", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Effect.flatMap(AgentRuntime, (rt) => rt.run({ agentId: "a", inputText: "x" })).pipe(
        Effect.provide(Plugins.runtimeLayer(agentJson([mcpTool({ server: { command: "oa-no-such-mcp-server" } })])))
      ))
      assert.strictEqual(error._tag, "ConfigError")
      assert.match(
        error.message,
        /^agents\[0\]\.tools\[0\]: mcp tool 'files': server 'oa-no-such-mcp-server' could not be used: .*ENOENT/
      )
    }))

  it("openagents run: a server that exits at start is a clear message, without a stack trace", async () => {
    const file = path.join(dir(), "agent.json")
    fs.writeFileSync(file, JSON.stringify(agentJson([mcpTool({ server: { ...server, args: [SERVER, "--exit"] } })])))
    const code = await cli("run", file, "--input", "x")
    const text = err.join("")
    assert.notStrictEqual(code, 0)
    assert.match(text, /agents\[0\]\.tools\[0\]: mcp tool 'files': server '.*server\.mjs --exit' could not be used: .*Connection closed.*refusing to start/)
    assert.notMatch(text, /\n\s+at /)
  })
})
