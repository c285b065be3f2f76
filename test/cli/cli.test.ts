import { assert, describe, it } from "@effect/vitest"
import { execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { cli, useCli } from "../support/cli.js"

const { dir, out, err } = useCli("oa-cli-")

const file = (name: string, content: unknown) => {
  const p = path.join(dir(), name)
  fs.writeFileSync(p, typeof content === "string" ? content : JSON.stringify(content))
  return p
}
const agent = (extra: Record<string, unknown> = {}) => ({ agents: [{ id: "a", ...extra }] })

describe("openagents validate: every mistake exits 2 with its path and a clear message", () => {
  const cases: ReadonlyArray<readonly [string, unknown, string, RegExp]> = [
    ["no agents", { agents: [] }, "agents", /at least one/i],
    ["unknown top-level key", { ...agent(), sesion: {} }, "sesion", /unknown key.*did you mean 'session'/],
    ["unknown agent key", { agents: [{ id: "a", instruction: "x" }] }, "agents[0].instruction", /unknown key.*'instructions'/],
    ["misspelled llm option", agent({ llm: { temprature: 1 } }), "agents[0].llm.temprature", /did you mean 'temperature'/],
    ["unknown provider", agent({ llm: { provider: "antropic" } }), "agents[0].llm.provider", /antropic.*did you mean 'anthropic'/],
    ["temperature out of range", agent({ llm: { temperature: 3 } }), "agents[0].llm.temperature", /between 0 and 2/],
    ["openai_compatible without api_base", agent({ llm: { provider: "openai_compatible" } }), "agents[0].llm", /api_base/],
    ["unknown tool type", agent({ tools: [{ id: "c", type: "calcc" }] }), "agents[0].tools[0].type", /did you mean 'calc'/],
    ["tool with type and impl", agent({ tools: [{ id: "c", type: "calc", impl: "./t.js#x" }] }), "agents[0].tools[0]", /only one of 'type' or 'impl'|both/],
    ["duplicate tool id", agent({ tools: [{ id: "c", type: "calc" }, { id: "c", type: "calc" }] }), "agents[0].tools[1].id", /duplicate tool id/],
    ["duplicate agent id", { agents: [{ id: "a" }, { id: "a" }] }, "agents[1].id", /duplicate/i],
    ["non-positive max_steps", agent({ runtime: { max_steps: 0 } }), "agents[0].runtime.max_steps", /positive/],
    ["unknown memory type", agent({ memory: { type: "bufer" } }), "agents[0].memory.type", /did you mean 'buffer'/],
    ["bad memory config key", agent({ memory: { type: "window_buffer", config: { window: 3 } } }), "agents[0].memory.config.window", /unknown key/],
    ["jsonl session without root_dir", { ...agent(), session: { type: "jsonl_file" } }, "session.config", /root_dir/],
    ["script on a non-mock provider", agent({ llm: { provider: "anthropic", script: [] } }), "agents[0].llm.script", /mock/],
    ["bad script error kind", agent({ llm: { script: [{ error: { kind: "flaky" } }] } }), "agents[0].llm.script[0].error.kind", /rate_limit/],
    ["output_schema that is not a schema", agent({ output_schema: { type: "objekt" } }), "agents[0].output_schema", /./],
    ["unset environment variable", agent({ instructions: "${OA_TEST_SURELY_UNSET}" }), "agents[0].instructions", /OA_TEST_SURELY_UNSET/],
    ["impl without an export", agent({ tools: [{ id: "c", impl: "./tools" }] }), "agents[0].tools[0].impl", /#/]
  ]
  for (const [name, config, where, message] of cases) {
    it(name, async () => {
      const code = await cli("validate", file("agent.json", config))
      const text = err.join("")
      assert.strictEqual(code, 2, text)
      const line = text.split("\n").find((l) => l.trim().startsWith(`${where}:`) || l.trim().startsWith(`${where}.`))
      assert.isDefined(line, `no problem reported at ${where}:\n${text}`)
      assert.match(text.slice(text.indexOf(line!)), message)
    })
  }

  it("invalid JSON names line and column; a missing file and a directory are explained", async () => {
    assert.strictEqual(await cli("validate", file("broken.json", '{\n  "agents": [\n    {"id": "a",}\n  ]\n}')), 2)
    assert.match(err.join(""), /line 3, column \d+/)
    err.length = 0
    assert.strictEqual(await cli("validate", path.join(dir(), "missing.json")), 2)
    assert.match(err.join(""), /not found/)
    err.length = 0
    assert.strictEqual(await cli("validate", dir()), 2)
    assert.match(err.join(""), /director/)
  })

  it("a config nested 100,000 levels deep is a config error naming the file, not a stack overflow", async () => {
    const deep = "[".repeat(100_000) + "]".repeat(100_000)
    for (const [name, text] of [
      ["deep-root.json", deep],
      ["deep-agents.json", `{"agents": ${deep}}`],
      ["deep-schema.json", `{"agents": [{"id": "a", "output_schema": {"default": ${deep}}}]}`],
      ["deep-open.json", "[".repeat(100_000)]
    ] as const) {
      err.length = 0
      const p = file(name, text)
      assert.strictEqual(await cli("validate", p), 2, err.join(""))
      const text_ = err.join("")
      assert.include(text_, p)
      assert.match(text_, /nested more than 100 levels deep at line 1, column \d+/)
      assert.notMatch(text_, /Maximum call stack|\n\s+at /)
    }
  })

  it("a named pipe is refused at once with exit 2 (reading it would block)", async () => {
    const fifo = path.join(dir(), "agent.json")
    execFileSync("mkfifo", [fifo])
    assert.strictEqual(await cli("validate", fifo), 2)
    assert.match(err.join(""), /is a named pipe \(FIFO\), not a regular config file/)
    assert.include(err.join(""), fifo)
  })

  it("a config with several mistakes lists all of them", async () => {
    const code = await cli("validate", file("agent.json", {
      agents: [{ id: "a", llm: { provider: "mok" }, tools: [{ id: "x", type: "nope" }], runtime: { max_steps: -1 } }],
      extra: 1
    }))
    assert.strictEqual(code, 2)
    const text = err.join("")
    for (const p of ["agents[0].llm.provider", "agents[0].tools[0].type", "agents[0].runtime.max_steps", "extra"]) {
      assert.include(text, p)
    }
    assert.match(text, /4 problems/)
  })

  it("broken impl references of any seam are found by validate, not at the first run", async () => {
    file("tools.mjs", "export const ok = { nope: true }\n")
    const memory = file("memory.json", agent({ memory: { impl: "./missing-module.mjs#memory" } }))
    assert.strictEqual(await cli("validate", memory), 2)
    assert.match(err.join(""), /agents\[0\]\.memory\.impl: cannot import '\.\/missing-module\.mjs'/)
    err.length = 0
    const tool = file("tool.json", agent({ tools: [{ id: "t", impl: "./tools.mjs#ok" }] }))
    assert.strictEqual(await cli("validate", tool), 2)
    assert.match(err.join(""), /agents\[0\]\.tools\[0\]\.impl: expected a Tool/)
    err.length = 0
    const runtime = file("runtime.json", { ...agent(), runtime: { impl: "./tools.mjs#ok" } })
    assert.strictEqual(await cli("validate", runtime), 2)
    assert.match(err.join(""), /runtime\.impl: a custom runtime cannot be loaded/)
  })

  it("a valid config passes with exit 0", async () => {
    const code = await cli("validate", path.resolve("examples/assistant.json"))
    assert.strictEqual(code, 0)
    assert.match(out.join(""), /OK: .*assistant\.json is valid \(1 agent, 4 tools\)/)
  })
})

describe("openagents run", () => {
  it("text: streams the answer, exit 0", async () => {
    const code = await cli("run", path.resolve("examples/assistant.json"), "--input", `/tool calc {"expression": "6*7"}`)
    assert.strictEqual(code, 0)
    assert.strictEqual(out.join(""), `Tool[calc] => {"expression":"6*7","result":42}\n`)
  })

  it("json: one RunResult object; events: one chunk per line, gap-free", async () => {
    const cfg = path.resolve("examples/assistant.json")
    assert.strictEqual(await cli("run", cfg, "--input", "hello", "--format", "json", "--session", "s1"), 0)
    const result = JSON.parse(out.join(""))
    assert.strictEqual(result.finalOutput, "Echo: hello (history=0)")
    assert.strictEqual(result.sessionId, "s1")
    assert.strictEqual(result.stopReason, "completed")
    out.length = 0
    assert.strictEqual(await cli("run", cfg, "--input", "/tool calc {\"expression\": \"1+1\"}", "--format", "events"), 0)
    const chunks = out.join("").trim().split("\n").map((l) => JSON.parse(l))
    assert.deepStrictEqual(chunks.map((c) => c.sequence), chunks.map((_, i) => i))
    assert.strictEqual(chunks[0].kind, "run.started")
    assert.strictEqual(chunks.at(-1).kind, "run.finished")
    assert.includeMembers(chunks.map((c) => c.kind), ["tool.started", "tool.finished", "llm.delta", "llm.finished"])
  })

  it("exit 3 for a limit, 1 for a failure, 2 for an unknown agent or a missing --agent", async () => {
    const cfg = path.resolve("examples/assistant.json")
    assert.strictEqual(await cli("run", cfg, "--input", "/tool calc {\"expression\": \"1\"}", "--max-steps", "1"), 3)
    assert.match(err.join(""), /max_steps.*Step limit of 1/)
    err.length = 0
    const failing = file("fail.json", agent({ llm: { script: [{ error: { kind: "auth", message: "bad key" } }] } }))
    assert.strictEqual(await cli("run", failing, "--input", "x"), 1)
    assert.match(err.join(""), /LlmAuth: bad key/)
    err.length = 0
    assert.strictEqual(await cli("run", cfg, "--input", "x", "--agent", "asistant"), 2)
    assert.match(err.join(""), /Did you mean 'assistant'/)
    err.length = 0
    const two = file("two.json", { agents: [{ id: "a" }, { id: "b" }] })
    assert.strictEqual(await cli("run", two, "--input", "x"), 2)
    assert.match(err.join(""), /--agent is required.*a, b/)
    assert.strictEqual(await cli("run", two, "--input", "x", "--agent", "b"), 0)
    assert.strictEqual(await cli("run", cfg, "--input-file", path.join(dir(), "missing.txt")), 2)
    err.length = 0
    assert.strictEqual(await cli("run", cfg, "--input", "x", "--max-steps", "0"), 2)
    assert.match(err.join(""), /--max-steps must be at least 1 \(got 0\)/)
  })

  it("schema prints the JSON Schema; list-plugins lists every seam", async () => {
    assert.strictEqual(await cli("schema"), 0)
    const schema = JSON.parse(out.join(""))
    assert.deepStrictEqual(schema, JSON.parse(fs.readFileSync("schema/agent.schema.json", "utf8")))
    out.length = 0
    assert.strictEqual(await cli("list-plugins"), 0)
    for (const name of ["window_buffer", "react", "calc", "passthrough", "in_memory", "sqlite", "anthropic"]) {
      assert.include(out.join(""), name)
    }
    // every description starts in one column, even after the longest names
    const rows = out.join("").split("\n").filter((l) => /^  \S/.test(l))
    const columns = new Set(rows.map((l) => /^  \S+\s+/.exec(l)![0].length))
    assert.strictEqual(columns.size, 1, rows.filter((l) => /^  \S+ \S/.test(l)).join("\n"))
  })
})

describe("openagents run in a real process", () => {
  it("SIGINT cancels the run: exit 130 and a run.finished with stopReason cancelled", async () => {
    const cfg = file("slow.json", agent({ llm: { script: [{ delay_ms: 600000, text: "never" }] } }))
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "run", cfg, "--input", "x", "--format", "events"], {
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    child.stdout.setEncoding("utf8")
    await new Promise<void>((resolve) =>
      child.stdout.on("data", (d: string) => {
        stdout += d
        if (stdout.includes("run.started")) resolve()
      })
    )
    child.kill("SIGINT")
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve))
    assert.strictEqual(code, 130)
    const last = JSON.parse(stdout.trim().split("\n").at(-1)!)
    assert.strictEqual(last.kind, "run.finished")
    assert.strictEqual(last.result.stopReason, "cancelled")
  })

  it("the bin script runs the example like `npm start`", async () => {
    const child = spawn(process.execPath, ["bin/openagents.js", "run", "examples/assistant.json", "--input", "hi"], {
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve))
    assert.strictEqual(code, 0)
    assert.strictEqual(stdout, "Echo: hi (history=0)\n")
  })

  it("the bin script: a 100,000-deep config and a named pipe are exit 2 with a one-screen message, no stack trace", async () => {
    const fifo = path.join(dir(), "pipe.json")
    execFileSync("mkfifo", [fifo])
    for (const config of [file("deep.json", "[".repeat(100_000) + "]".repeat(100_000)), fifo]) {
      const child = spawn(process.execPath, ["bin/openagents.js", "validate", config], { stdio: ["ignore", "pipe", "pipe"] })
      let stderr = ""
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
      const code = await new Promise<number | null>((resolve) => child.on("exit", resolve))
      assert.strictEqual(code, 2, stderr)
      assert.include(stderr, `Invalid config ${config}:`)
      assert.notMatch(stderr, /Maximum call stack|\n\s+at /)
      assert.isBelow(stderr.split("\n").length, 6)
    }
  })
})
