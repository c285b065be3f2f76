/**
 * The small commands: `init` (a scaffold that validates, never over a non-empty folder), `doctor`
 * (packages and key variables, values never printed, exit 1 only for a hard problem), `config show`
 * (the resolved config; `--redact` hides every secret), `version`, and the lazy start-up (a command
 * loads what it needs only).
 */
import { assert, describe, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { promisify } from "node:util"
import { redact, redactUrl } from "../../src/cli/internal/redact.js"
import { cli, useCli } from "../support/cli.js"

const harness = useCli("oa-cmd-")
const stdout = () => harness.out.join("")
const stderr = () => harness.err.join("")

describe("openagents init", () => {
  it("basic/mock: agent.json, package.json, README, .gitignore; the scaffold validates", async () => {
    const project = path.join(harness.dir(), "my-agent")
    assert.strictEqual(await cli("init", project), 0, stderr())
    assert.deepStrictEqual(fs.readdirSync(project).sort(), [".gitignore", "README.md", "agent.json", "package.json"])
    assert.include(stdout(), "created ")
    assert.include(stdout(), "npx openagents chat agent.json")
    const pkg = JSON.parse(fs.readFileSync(path.join(project, "package.json"), "utf8"))
    assert.strictEqual(pkg.name, "my-agent")
    assert.strictEqual(pkg.type, "module")
    assert.match(pkg.dependencies.openagents, /^\^\d+\.\d+\.\d+/)
    for (const peer of ["effect", "@effect/cli", "@effect/platform", "@effect/platform-node"]) assert.isString(pkg.dependencies[peer], peer)
    assert.isUndefined(pkg.dependencies.openai)
    harness.out.length = 0
    assert.strictEqual(await cli("validate", path.join(project, "agent.json")), 0, stderr())
    assert.include(stdout(), "is valid (1 agent, 1 tool)")
  })

  it("tools/openai and durable/anthropic: the tool module, the provider and its SDK, the store on disk", async () => {
    const tools = path.join(harness.dir(), "tools-app")
    assert.strictEqual(await cli("init", tools, "--template", "tools", "--provider", "openai"), 0, stderr())
    assert.include(fs.readdirSync(tools), "tools.js")
    const agent = JSON.parse(fs.readFileSync(path.join(tools, "agent.json"), "utf8"))
    assert.deepStrictEqual(agent.agents[0].llm, { provider: "openai", model: "gpt-4o-mini", api_key_env: "OPENAI_API_KEY" })
    assert.deepStrictEqual(agent.agents[0].tools[1], { id: "capital", impl: "./tools.js#capital" })
    assert.isString(JSON.parse(fs.readFileSync(path.join(tools, "package.json"), "utf8")).dependencies.openai)
    assert.include(fs.readFileSync(path.join(tools, "README.md"), "utf8"), "export OPENAI_API_KEY=")

    const durable = path.join(harness.dir(), "durable-app")
    assert.strictEqual(await cli("init", durable, "--template", "durable", "--provider", "anthropic"), 0, stderr())
    const d = JSON.parse(fs.readFileSync(path.join(durable, "agent.json"), "utf8"))
    assert.deepStrictEqual(d.session, { type: "jsonl_file", config: { root_dir: "./sessions" } })
    assert.isString(JSON.parse(fs.readFileSync(path.join(durable, "package.json"), "utf8")).dependencies["@anthropic-ai/sdk"])
    assert.include(fs.readFileSync(path.join(durable, "README.md"), "utf8"), "--durable")
  })

  it("refuses a non-empty folder (exit 2, nothing written); an empty one is fine; a bad template is a usage error", async () => {
    const taken = path.join(harness.dir(), "taken")
    fs.mkdirSync(taken)
    fs.writeFileSync(path.join(taken, "notes.txt"), "mine")
    assert.strictEqual(await cli("init", taken), 2)
    assert.include(stderr(), "is not empty (notes.txt); nothing was written")
    assert.deepStrictEqual(fs.readdirSync(taken), ["notes.txt"])
    const empty = path.join(harness.dir(), "empty")
    fs.mkdirSync(empty)
    assert.strictEqual(await cli("init", empty), 0, stderr())
    assert.strictEqual(await cli("init", path.join(harness.dir(), "x"), "--template", "fancy"), 2)
  })
})

describe("openagents doctor", () => {
  it("--format json: node, required and optional packages, key variables set or not, never their values", async () => {
    process.env["OPENAI_API_KEY"] = "sk-doctor-secret-value"
    delete process.env["ANTHROPIC_API_KEY"]
    try {
      assert.strictEqual(await cli("doctor", "--format", "json"), 0, stderr())
    } finally {
      delete process.env["OPENAI_API_KEY"]
    }
    const report = JSON.parse(stdout())
    assert.isTrue(report.ok)
    assert.isTrue(report.node.ok)
    assert.strictEqual(report.node.version, process.version)
    const effect = report.packages.find((p: { name: string }) => p.name === "effect")
    assert.deepInclude(effect, { required: true, found: true })
    const sqlite = report.packages.find((p: { name: string }) => p.name === "@effect/sql-sqlite-node")
    assert.deepInclude(sqlite, { required: false, found: true })
    assert.includeMembers(report.packages.map((p: { name: string }) => p.name), ["openai", "@anthropic-ai/sdk", "@modelcontextprotocol/sdk", "gpt-tokenizer"])
    assert.deepInclude(report.keys, { name: "OPENAI_API_KEY", set: true, neededBy: [] })
    assert.deepInclude(report.keys, { name: "ANTHROPIC_API_KEY", set: false, neededBy: [] })
    assert.notInclude(stdout(), "sk-doctor-secret-value")
    assert.deepStrictEqual(report.problems, [])
  })

  it("with --config: a provider whose key is not set is a problem, exit 1; text output says so", async () => {
    delete process.env["ANTHROPIC_API_KEY"]
    const config = path.join(harness.dir(), "agent.json")
    fs.writeFileSync(config, JSON.stringify({ agents: [{ id: "claude", llm: { provider: "anthropic" } }] }))
    assert.strictEqual(await cli("doctor", "--config", config), 1)
    assert.match(stdout(), /not set {2}ANTHROPIC_API_KEY {2}needed by claude/)
    assert.include(stdout(), "agent 'claude' uses llm.provider anthropic, and ANTHROPIC_API_KEY is not set")
    assert.match(stdout(), /ok {7}effect \d/)
  })
})

describe("openagents config show", () => {
  const secrets = {
    key: "sk-live-0123456789",
    header: "Bearer tok-abcdef",
    password: "hunter2-pass",
    query: "q-secret-777",
    plugin: "plugin-secret-888"
  }

  const write = () => {
    const file = path.join(harness.dir(), "agent.json")
    fs.writeFileSync(
      file,
      JSON.stringify({
        agents: [{
          id: "a",
          llm: {
            provider: "openai",
            api_key_env: "MY_OPENAI_KEY",
            api_base: `https://bob:${secrets.password}@llm.example.com/v1?api_key=${secrets.query}&region=eu`,
            extra_headers: { Authorization: secrets.header, "X-Team": "${TEAM_KEY}" }
          },
          memory: { impl: "./memory.js#memory", config: { api_key: secrets.plugin, url: "http://localhost:8000" } }
        }]
      })
    )
    return file
  }

  it("prints the resolved config: defaults applied, ${VAR} substituted, secrets shown without --redact", async () => {
    process.env["TEAM_KEY"] = secrets.key
    try {
      assert.strictEqual(await cli("config", "show", write()), 0, stderr())
    } finally {
      delete process.env["TEAM_KEY"]
    }
    const shown = JSON.parse(stdout())
    assert.strictEqual(shown.agents[0].llm.extra_headers["X-Team"], secrets.key)
    assert.strictEqual(shown.agents[0].pattern.type, "react", "a default")
    assert.isNumber(shown.agents[0].llm.timeout_ms)
  })

  it("--redact hides api keys, headers, passwords and secrets in URLs; names of variables stay", async () => {
    process.env["TEAM_KEY"] = secrets.key
    try {
      assert.strictEqual(await cli("config", "show", write(), "--redact"), 0, stderr())
    } finally {
      delete process.env["TEAM_KEY"]
    }
    const text = stdout()
    for (const secret of Object.values(secrets)) assert.notInclude(text, secret)
    const shown = JSON.parse(text)
    const llm = shown.agents[0].llm
    assert.deepStrictEqual(llm.extra_headers, { Authorization: "<redacted>", "X-Team": "<redacted>" })
    assert.strictEqual(llm.api_key_env, "MY_OPENAI_KEY")
    assert.match(llm.api_base, /^https:\/\/redacted@llm\.example\.com\/v1\?api_key=%3Credacted%3E&region=eu$/)
    assert.strictEqual(shown.agents[0].memory.config.api_key, "<redacted>")
    assert.strictEqual(shown.agents[0].memory.config.url, "http://localhost:8000")
  })

  it("redact: env objects, tokens and passwords by name, numbers untouched", () => {
    assert.deepStrictEqual(
      redact({
        mcp: { env: { GITHUB_TOKEN: "ghp_x", PATH: "/bin" }, env_passthrough: ["HOME"], url: "https://u:p@h/x" },
        auth_token: "t",
        password: "p",
        max_tokens: 5,
        token_env: "TOKEN_VAR"
      }),
      {
        mcp: { env: { GITHUB_TOKEN: "<redacted>", PATH: "<redacted>" }, env_passthrough: ["HOME"], url: "https://redacted@h/x" },
        auth_token: "<redacted>",
        password: "<redacted>",
        max_tokens: 5,
        token_env: "TOKEN_VAR"
      }
    )
    assert.strictEqual(redactUrl("not a url"), "not a url")
    assert.strictEqual(redactUrl("https://api.example.com/v1"), "https://api.example.com/v1")
  })

  it("a bad config is exit 2 with its problems", async () => {
    const file = path.join(harness.dir(), "bad.json")
    fs.writeFileSync(file, JSON.stringify({ agents: [{ id: "a", pattern: { type: "nope" } }] }))
    assert.strictEqual(await cli("config", "show", file), 2)
    assert.include(stderr(), "agents[0].pattern")
  })
})

describe("openagents version", () => {
  it("prints the package version, node and the platform", async () => {
    assert.strictEqual(await cli("version"), 0)
    assert.match(stdout(), /^openagents \d+\.\d+\.\d+ \(node v\d+\.\d+\.\d+, [a-z0-9]+-[a-z0-9]+\)\n$/)
  })
})

describe("lazy start-up", () => {
  /** The modules of src/ that `openagents ...args` loads, from Node's ESM debug log (`Storing <url> in ModuleLoadMap`). */
  const modulesOf = async (...args: Array<string>) => {
    const { stderr } = await promisify(execFile)(process.execPath, ["bin/openagents.js", ...args], {
      env: { ...process.env, NODE_DEBUG: "esm" },
      maxBuffer: 64 * 1024 * 1024
    })
    return [...new Set(Array.from(stderr.matchAll(/Storing (file:\/\/\S+\/src\/\S+)/g), (m) => m[1]!))]
  }

  it("version and doctor load neither the runtime nor the config loader; run loads no other command", async () => {
    for (const args of [["version"], ["doctor"]]) {
      const loaded = await modulesOf(...args)
      assert.isAbove(loaded.length, 3)
      const ours = loaded.filter((u) => /\/src\/(runtime|config|llm|sessions)\//.test(u))
      assert.deepStrictEqual(ours, [], args.join(" "))
    }
    const run = await modulesOf("run", "examples/assistant.json", "--input", "hi")
    assert.isTrue(run.some((u) => u.endsWith("/src/runtime/AgentRuntime.ts")))
    const commands = run.filter((u) => /\/src\/cli\/[a-zA-Z]+\.ts$/.test(u)).map((u) => path.basename(u))
    assert.deepStrictEqual(commands.sort(), ["main.ts", "run.ts"])
  })
})

describe("openagents runner", () => {
  it("--drain-timeout is in its help; a negative one is a usage error (exit 2), before anything is loaded", async () => {
    assert.strictEqual(await cli("runner", "--help"), 0, stderr())
    assert.include(stdout(), "--drain-timeout integer")
    const config = path.join(harness.dir(), "agent.json")
    fs.writeFileSync(config, JSON.stringify({ agents: [{ id: "a" }] }))
    assert.strictEqual(await cli("runner", config, "--drain-timeout", "-5"), 2)
    assert.include(stderr(), "--drain-timeout must be 0 or more milliseconds (got -5)")
  })
})
