/**
 * Executors from agent.json: a list applied outermost-first, a policy `evaluate` and hooks loaded from
 * `.mjs` modules beside the config file, a whole run, and what `openagents validate` and `list-plugins`
 * say about them.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as fs from "node:fs"
import * as path from "node:path"
import * as ConfigLoader from "../../../src/config/ConfigLoader.js"
import * as Plugins from "../../../src/config/Plugins.js"
import { ConfigError, ToolPolicyDenied } from "../../../src/kernel/Errors.js"
import { AgentRuntime } from "../../../src/runtime/AgentRuntime.js"
import * as Tool from "../../../src/tools/Tool.js"
import * as Toolkit from "../../../src/tools/Toolkit.js"
import * as ToolExecutor from "../../../src/tools/ToolExecutor.js"
import { cli, useCli } from "../../support/cli.js"
import { withEvents } from "../../support/runtime.js"
import { call, context } from "../fixtures.js"

const { dir, out, err } = useCli("oa-executors-")

const write = (name: string, content: unknown) => {
  const p = path.join(dir(), name)
  fs.writeFileSync(p, typeof content === "string" ? content : JSON.stringify(content, null, 2))
  return p
}

const POLICY = `
export const evaluate = (request) =>
  String(request.arguments?.expression ?? "").includes("666")
    ? { allowed: false, reason: "that number is refused", rule: "no_evil" }
    : { allowed: true }
export const notAFunction = 42
`
const HOOKS = `
export const before = async (call) => {
  if (call.toolName === "calc" && call.arguments.expression === "1+1") return { arguments: { expression: "2+2" } }
  if (call.toolName === "calc" && call.arguments.expression === "bad") return { arguments: { expression: 7 } }
}
export function after(call, result) {
  return call.toolName === "calc" ? { result: { hooked: result } } : undefined
}
`

const executors = (policy: Record<string, unknown> = {}) => [
  { type: "hooks", config: { before: "./hooks.mjs#before", after: "./hooks.mjs#after" } },
  { type: "policy", config: { deny_tools: ["json_*"], evaluate: "./policy.mjs#evaluate", ...policy } },
  { type: "retry", config: { max_attempts: 2 } },
  { type: "default", config: { default_timeout_ms: 1000 } }
]

const agentJson = (extra: Record<string, unknown> = {}) => ({
  agents: [{
    id: "a",
    tools: [{ id: "calc", type: "calc" }, { id: "json_parse", type: "json_parse" }],
    tool_executor: executors(),
    ...extra
  }]
})

/** The executor an agent.json builds for its first agent. */
const executorOf = (file: string) =>
  Effect.gen(function*() {
    const built = yield* Plugins.fromConfig(yield* ConfigLoader.loadFile(file))
    const agent = built.agents[0]!
    const executor = yield* Effect.provide(ToolExecutor.ToolExecutor, agent.toolExecutor as Layer.Layer<ToolExecutor.ToolExecutor, ConfigError>)
    return { executor, toolkit: Toolkit.make(...agent.tools!) }
  })

describe("tool executors from agent.json", () => {
  it.effect("a list: hooks and an impl policy loaded beside the config, over retry and default", () =>
    Effect.gen(function*() {
      write("policy.mjs", POLICY)
      write("hooks.mjs", HOOKS)
      const { executor, toolkit } = yield* executorOf(write("agent.json", agentJson()))
      const run = (name: string, args: unknown) => executor.execute(call(name, args), toolkit, context)
      // the before hook rewrote 1+1, the after hook wrapped the result
      assert.deepStrictEqual(yield* run("calc", { expression: "1+1" }), { hooked: { expression: "2+2", result: 4 } })
      const evil = yield* Effect.flip(run("calc", { expression: "666*1" }))
      assert.instanceOf(evil, ToolPolicyDenied)
      assert.strictEqual(evil.message, "policy denied 'calc': that number is refused (rule: no_evil)")
      const json = yield* Effect.flip(run("json_parse", { text: "{}" }))
      assert.strictEqual((json as ToolPolicyDenied).rule, "deny_tools")
      const invalid = yield* Effect.flip(run("calc", { expression: "bad" }))
      assert.strictEqual(invalid._tag, "ToolValidationError")
      assert.include(invalid.message, "before hook")
    }))

  it.effect("a single ref keeps working, and a lone wrapper runs over default", () =>
    Effect.gen(function*() {
      write("policy.mjs", POLICY)
      const single = yield* executorOf(write("single.json", agentJson({ tool_executor: { type: "default" } })))
      assert.deepStrictEqual(yield* single.executor.execute(call("calc", { expression: "666" }), single.toolkit, context), {
        expression: "666",
        result: 666
      })
      const lone = yield* executorOf(write("lone.json", agentJson({ tool_executor: { type: "policy", config: { evaluate: "./policy.mjs#evaluate" } } })))
      assert.instanceOf(yield* Effect.flip(lone.executor.execute(call("calc", { expression: "666" }), lone.toolkit, context)), ToolPolicyDenied)
      assert.deepStrictEqual(yield* lone.executor.execute(call("calc", { expression: "1" }), lone.toolkit, context), { expression: "1", result: 1 })
    }))

  it.effect("fs_roots in agent.json are resolved against the config file's folder", () =>
    Effect.gen(function*() {
      fs.mkdirSync(path.join(dir(), "data"))
      const config = agentJson({ tool_executor: [{ type: "policy", config: { fs_roots: ["./data"], fs_base_dir: "./data" } }] })
      const { executor } = yield* executorOf(write("fs.json", config))
      const open = Toolkit.make(
        Tool.fromJsonSchema("read_file", { description: "reads", jsonSchema: { type: "object" }, handler: () => Effect.succeed("read") })
      )
      assert.strictEqual(yield* executor.execute(call("read_file", { path: "a.txt" }), open, context), "read")
      const error = yield* Effect.flip(executor.execute(call("read_file", { path: "../agent.json" }), open, context))
      assert.strictEqual((error as ToolPolicyDenied).rule, "fs_roots")
      assert.include(error.message, path.join(dir(), "data"))
    }))

  it.effect("a broken impl reference fails to build, at the config key that named it", () =>
    Effect.gen(function*() {
      write("policy.mjs", POLICY)
      const at = (config: unknown) =>
        Effect.flip(executorOf(write("broken.json", config))).pipe(Effect.map((e) => (e as ConfigError).issues.map((i) => `${i.path}: ${i.message}`)))
      const missing = yield* at(agentJson({ tool_executor: executors({ evaluate: "./policy.mjs#nope" }) }))
      assert.match(missing[0]!, /^agents\[0\]\.tool_executor\[1\]\.config\.evaluate: module '\.\/policy\.mjs' has no export 'nope'/)
      const notFn = yield* at(agentJson({ tool_executor: executors({ evaluate: "./policy.mjs#notAFunction" }) }))
      assert.match(notFn[0]!, /tool_executor\[1\]\.config\.evaluate: '\.\/policy\.mjs#notAFunction' is number, not a function/)
      const noModule = yield* at(agentJson({ tool_executor: [{ type: "hooks", config: { after: "./missing.mjs#after" } }] }))
      assert.match(noModule[0]!, /^agents\[0\]\.tool_executor\[0\]\.config\.after: cannot import '\.\/missing\.mjs'/)
    }))

  it.effect("a whole run from agent.json: denied calls go back to the model, the run completes", () =>
    Effect.gen(function*() {
      write("policy.mjs", POLICY)
      write("hooks.mjs", HOOKS)
      const file = write("run.json", agentJson({
        llm: {
          provider: "mock",
          script: [
            { tool_calls: [{ id: "c1", name: "json_parse", arguments: { text: "{}" } }] },
            { tool_calls: [{ id: "c2", name: "calc", arguments: { expression: "1+1" } }] },
            { text: "The answer is 4." }
          ]
        }
      }))
      const [result, events] = yield* withEvents(Effect.flatMap(AgentRuntime, (rt) => rt.runDetailed({ agentId: "a", inputText: "go" }))).pipe(
        Effect.provide(Plugins.runtimeLayer(file))
      )
      assert.strictEqual(result.stopReason, "completed")
      assert.strictEqual(result.finalOutput, "The answer is 4.")
      const finished = events.flatMap((e) => (e.name === "tool.finished" ? [e.payload] : []))
      assert.strictEqual(finished[0]!.errorTag, "ToolPolicyDenied")
      assert.strictEqual(finished[0]!.error, "policy denied 'json_parse': tool 'json_parse' matches 'json_*' in deny_tools (rule: deny_tools)")
      assert.deepStrictEqual(finished[1]!.result, { hooked: { expression: "2+2", result: 4 } })
    }))
})

describe("openagents validate and list-plugins", () => {
  it("validate reports executor problems at their paths, and accepts a good list", async () => {
    write("policy.mjs", POLICY)
    write("hooks.mjs", HOOKS)
    const bad = agentJson({
      tool_executor: [
        { type: "policy", config: { deny_tool: ["x"] } },
        { type: "retry", config: { max_attempts: 0, jitter: "lots" } },
        { type: "default" }
      ]
    })
    assert.strictEqual(await cli("validate", write("bad.json", bad)), 2)
    const text = err.join("")
    assert.include(text, "agents[0].tool_executor[0].config.deny_tool: unknown key (did you mean 'deny_tools'?)")
    assert.include(text, "agents[0].tool_executor[1].config.max_attempts: must be a positive integer (got 0)")
    assert.include(text, "agents[0].tool_executor[1].config.jitter:")
    err.length = 0
    assert.strictEqual(await cli("validate", write("broken.json", agentJson({ tool_executor: executors({ evaluate: "./policy.mjs#nope" }) }))), 2)
    assert.include(err.join(""), "agents[0].tool_executor[1].config.evaluate")
    assert.strictEqual(await cli("validate", write("good.json", agentJson())), 0, err.join(""))
  })

  it("list-plugins shows the executors", async () => {
    assert.strictEqual(await cli("list-plugins"), 0)
    const text = out.join("")
    for (const name of ["retry", "policy", "hooks", "max_attempts", "deny_tools", "fs_roots", "allow_hosts", "before"]) {
      assert.include(text, name)
    }
  })
})
