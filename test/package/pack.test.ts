/**
 * The package as a user gets it: `npm pack` (whose prepack builds dist/), the tarball installed into an
 * empty project, a strict TypeScript file type-checked against it, the Promise facade and the bin run
 * from it; a user's test suite runs openagents/testing under vitest (the conformance suite against a
 * provider Layer, an agent on the mock); `openagents init` scaffolds a project that validates and runs.
 * The repo is copied first so that building dist/ never races the other tests' bin runs.
 * Installing needs the npm cache or registry; without either the test is skipped, saying why.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import { promisify } from "node:util"

const exec = promisify(execFile)
const REPO = path.resolve(".")
const NPM = process.platform === "win32" ? "npm.cmd" : "npm"
const TIMEOUT = 300_000

let work = ""
let app = ""
let skipReason: string | undefined
let tarball = ""

const sh = (cmd: string, args: ReadonlyArray<string>, cwd: string, env: Record<string, string> = {}) =>
  exec(cmd, args, { cwd, env: { ...process.env, NO_COLOR: "1", ...env }, maxBuffer: 64 * 1024 * 1024, timeout: TIMEOUT })

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "oa-pack-"))
  const src = path.join(work, "src-copy")
  fs.mkdirSync(src)
  for (const entry of ["package.json", "tsconfig.json", "tsconfig.build.json", "README.md", "src", "bin", "schema", "scripts"]) {
    fs.cpSync(path.join(REPO, entry), path.join(src, entry), { recursive: true })
  }
  fs.symlinkSync(path.join(REPO, "node_modules"), path.join(src, "node_modules"), "dir")
  const packed = await sh(NPM, ["pack", "--json", "--pack-destination", work], src)
  const info = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>
  tarball = path.join(work, info[0]!.filename)
  fs.writeFileSync(path.join(work, "files.json"), JSON.stringify(info[0]!.files.map((f) => f.path)))

  app = path.join(work, "app")
  fs.mkdirSync(app)
  fs.writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "app", version: "1.0.0", private: true, type: "module" }))
  try {
    await sh(NPM, ["install", "--no-audit", "--no-fund", "--prefer-offline", tarball], app)
  } catch (e) {
    skipReason = `installing the tarball failed (no npm cache and no registry?): ${(e as Error).message.split("\n")[0]}`
  }
}, TIMEOUT)

/** Where a package resolves from the installed bin's bundle: the driver must not resolve, from the app or above it. */
const whereIs = (name: string) => {
  try {
    return `${name} resolves to ${createRequire(path.join(app, "node_modules/openagents/dist/cli/bundle/main.js")).resolve(name)}`
  } catch {
    return `${name} does not resolve`
  }
}

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true })
})

describe("the packed package, installed into an empty project", () => {
  it("ships dist/ without source maps, no sources or tests, and the bin", () => {
    const files = JSON.parse(fs.readFileSync(path.join(work, "files.json"), "utf8")) as Array<string>
    assert.include(files, "dist/index.js")
    assert.include(files, "dist/index.d.ts")
    assert.include(files, "dist/cli/main.js")
    assert.include(files, "dist/cli/bundle/main.js")
    assert.include(files, "dist/sqlite.js")
    assert.include(files, "dist/testing/index.js")
    assert.include(files, "dist/testing/index.d.ts")
    assert.include(files, "bin/openagents.js")
    assert.deepStrictEqual(files.filter((f) => f.endsWith(".map")), [])
    assert.deepStrictEqual(files.filter((f) => f.startsWith("src/") || f.startsWith("test/")), [])
  })

  it("installs without tsx, a second effect, or the SQLite driver; effect is the app's own", (ctx) => {
    if (skipReason) return ctx.skip(skipReason)
    const modules = path.join(app, "node_modules")
    assert.isFalse(fs.existsSync(path.join(modules, "tsx")), "tsx is a dev dependency")
    assert.isFalse(fs.existsSync(path.join(modules, "esbuild")), "esbuild comes with tsx")
    assert.isFalse(fs.existsSync(path.join(modules, "better-sqlite3")), "the SQLite driver is an optional peer")
    assert.isTrue(fs.existsSync(path.join(modules, "effect")), "effect is a peer that npm installs")
    assert.isFalse(fs.existsSync(path.join(modules, "openagents", "node_modules", "effect")), "one copy of effect")
  })

  it("a strict TypeScript file type-checks against the package", async (ctx) => {
    if (skipReason) return ctx.skip(skipReason)
    fs.writeFileSync(
      path.join(app, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noUncheckedIndexedAccess: true,
          exactOptionalPropertyTypes: true,
          skipLibCheck: true,
          noEmit: true,
          types: []
        },
        include: ["check.ts"]
      })
    )
    fs.writeFileSync(
      path.join(app, "check.ts"),
      `import { Effect, Schema } from "effect"
import { AgentRuntime, createRuntime, MockModel, Tool, type RunStreamChunk } from "openagents"
import type { SqliteSessionStore } from "openagents/sqlite"

const add = Tool.make("add", {
  description: "Adds two numbers",
  parameters: Schema.Struct({ a: Schema.Number, b: Schema.Number }),
  handler: ({ a, b }) => Effect.succeed(a + b)
})
export const layer = AgentRuntime.layerInMemory({ agents: [{ id: "a", model: MockModel.layer(), tools: [add] }] })
export const store: typeof SqliteSessionStore.layer | undefined = undefined

const runtime = await createRuntime({ agents: [{ id: "a" }] })
const text: unknown = await runtime.run({ agentId: "a", sessionId: "s", inputText: "hi" })
for await (const chunk of runtime.runStream({ agentId: "a", inputText: "again" })) {
  const c: RunStreamChunk.RunStreamChunk = chunk
  if (c.kind === "llm.delta") console.log(c.payload.text.length, String(text))
}
await runtime.close()
`
    )
    const tsc = path.join(REPO, "node_modules", "typescript", "bin", "tsc")
    const result = await sh(process.execPath, [tsc, "-p", "tsconfig.json"], app).catch((e: { stdout?: string; message: string }) => {
      assert.fail(`tsc failed:\n${e.stdout ?? e.message}`)
    })
    assert.strictEqual(result.stdout, "")
  })

  it("the Promise facade runs a mock agent from the installed package", async (ctx) => {
    if (skipReason) return ctx.skip(skipReason)
    fs.writeFileSync(
      path.join(app, "run.mjs"),
      `import { createRuntime } from "openagents"
const runtime = await createRuntime({ agents: [{ id: "a", tools: [{ id: "calc", type: "calc" }] }] })
console.log(await runtime.run({ agentId: "a", sessionId: "s", inputText: "hello" }))
console.log(await runtime.run({ agentId: "a", sessionId: "s", inputText: '/tool calc {"expression": "6*7"}' }))
await runtime.close()
`
    )
    const { stdout } = await sh(process.execPath, ["run.mjs"], app)
    const lines = stdout.trim().split("\n")
    assert.strictEqual(lines[0], "Echo: hello (history=0)")
    assert.include(lines[1], "42")
  })

  it("the bin runs from dist/: --version, a run, and a clear error for the missing SQLite driver", async (ctx) => {
    if (skipReason) return ctx.skip(skipReason)
    const bin = path.join(app, "node_modules", ".bin", "openagents")
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")) as { version: string }
    assert.strictEqual((await sh(bin, ["--version"], app)).stdout, pkg.version + "\n")
    fs.writeFileSync(path.join(app, "agent.json"), JSON.stringify({ agents: [{ id: "a" }] }))
    assert.strictEqual((await sh(bin, ["run", "agent.json", "--input", "hi"], app)).stdout, "Echo: hi (history=0)\n")
    // a config without user code runs on the CLI's bundle (Node's ESM debug log names the modules loaded)
    const loaded = (await sh(bin, ["run", "agent.json", "--input", "hi"], app, { NODE_DEBUG: "esm" })).stderr
    assert.include(loaded, "/dist/cli/bundle/main.js")
    assert.notInclude(loaded, "/dist/cli/run.js")
    // the same on the CLI as modules rather than as its bundle
    assert.strictEqual((await sh(bin, ["run", "agent.json", "--input", "hi"], app, { OPENAGENTS_BUNDLE: "0" })).stdout, "Echo: hi (history=0)\n")

    // The README's tool module: it imports effect and openagents from the app's node_modules
    fs.writeFileSync(
      path.join(app, "tools.js"),
      `import { Effect, Schema } from "effect"
import { Tool } from "openagents"

const capitals = { France: "Paris", Japan: "Tokyo" }

export const lookup = Tool.make("lookup", {
  description: "The capital of a country",
  parameters: Schema.Struct({ country: Schema.String }),
  handler: ({ country }) => Effect.succeed(capitals[country] ?? "unknown")
})
`
    )
    fs.writeFileSync(path.join(app, "tools.json"), JSON.stringify({ agents: [{ id: "a", tools: [{ id: "lookup", impl: "./tools.js#lookup" }] }] }))
    const tool = await sh(bin, ["run", "tools.json", "--input", '/tool lookup {"country": "Japan"}'], app)
    assert.strictEqual(tool.stdout, 'Tool[lookup] => "Tokyo"\n')
    // user code shares effect with the runtime: a config with an impl runs on the CLI as modules
    const withImpl = (await sh(bin, ["run", "tools.json", "--input", "hi"], app, { NODE_DEBUG: "esm" })).stderr
    assert.include(withImpl, "/dist/cli/run.js")
    assert.notInclude(withImpl, "/dist/cli/bundle/")

    fs.writeFileSync(
      path.join(app, "sqlite.json"),
      JSON.stringify({ agents: [{ id: "a" }], session: { type: "sqlite", config: { db_path: "./s.db" } } })
    )
    const failed = await sh(bin, ["run", "sqlite.json", "--input", "hi"], app).then(
      (ok) => assert.fail(`expected exit 2, the run answered ${JSON.stringify(ok.stdout)}; ${whereIs("better-sqlite3")}; ${whereIs("@effect/sql-sqlite-node")}`),
      (e: { code?: number; stderr?: string }) => e
    )
    assert.strictEqual(failed.code, 2, failed.stderr)
    assert.include(failed.stderr, "npm install @effect/sql-sqlite-node")
    assert.notMatch(failed.stderr ?? "", /\n\s+at /)

    // A provider SDK is an optional peer too: its absence names the package to install
    fs.writeFileSync(path.join(app, "anthropic.json"), JSON.stringify({ agents: [{ id: "a", llm: { provider: "anthropic" } }] }))
    const noSdk = await sh(bin, ["run", "anthropic.json", "--input", "hi"], app, { ANTHROPIC_API_KEY: "sk-test" }).then(
      () => assert.fail("expected exit 2"),
      (e: { code?: number; stderr?: string }) => e
    )
    assert.strictEqual(noSdk.code, 2, noSdk.stderr)
    assert.include(noSdk.stderr, "npm install @anthropic-ai/sdk")

    // so are the cluster's packages: as modules, every other command runs without them, and `runner` /
    // `run --cluster` name what to install (the CLI's bundle carries them)
    assert.include((await sh(bin, ["--help"], app, { OPENAGENTS_BUNDLE: "0" })).stdout, "runner")
    fs.writeFileSync(
      path.join(app, "cluster.json"),
      JSON.stringify({ agents: [{ id: "a" }], session: { type: "postgres", config: { url: "postgres://127.0.0.1:1/none" } }, cluster: {} })
    )
    for (const [args, env] of [
      [["runner", "cluster.json"], { OPENAGENTS_BUNDLE: "0" }],
      [["run", "cluster.json", "--cluster", "--input", "hi"], { OPENAGENTS_BUNDLE: "0" }]
    ] as const) {
      const noCluster = await sh(bin, args, app, env).then(
        () => assert.fail(`expected exit 2 from ${args.join(" ")}`),
        (e: { code?: number; stderr?: string }) => e
      )
      assert.strictEqual(noCluster.code, 2, noCluster.stderr)
      assert.match(noCluster.stderr ?? "", /needs the @effect\/(cluster and @effect\/)?sql-pg package/, noCluster.stderr)
      assert.include(noCluster.stderr, "npm install @effect/")
      assert.notMatch(noCluster.stderr ?? "", /\n\s+at /)
    }
  })

  it("a user's conformance run: openagents/testing's suite against a provider Layer on the kit's wire server, under vitest", async (ctx) => {
    if (skipReason) return ctx.skip(skipReason)
    const dev = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")).devDependencies as Record<string, string>
    const pin = (name: string) => `${name}@${dev[name]!.replace(/^[\^~]/, "")}`
    await sh(NPM, ["install", "--no-audit", "--no-fund", "--prefer-offline", pin("vitest"), pin("@effect/vitest"), pin("openai")], app)
    fs.mkdirSync(path.join(app, "test"), { recursive: true })
    // The user's provider: here the package's own OpenAI Chat Layer, as a user's Layer would be
    fs.writeFileSync(
      path.join(app, "test", "provider.test.ts"),
      `import { describe, it } from "@effect/vitest"
import { OpenAiChatModel } from "openagents"
import { Conformance } from "openagents/testing"

Conformance.run(
  { describe, it },
  Conformance.httpTarget({
    name: "my chat provider",
    protocol: "chat",
    provider: "openai",
    apiKeyEnv: "OPENAI_API_KEY",
    reasoning: "surfaced",
    layer: (server) => OpenAiChatModel.layer({ model: "gpt-4o", apiKey: "sk-test", baseUrl: server.openAiBaseUrl })
  })
)
`
    )
    fs.writeFileSync(
      path.join(app, "test", "agent.test.ts"),
      `import { assert, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { AgentRuntime, Tool } from "openagents"
import { Chunks, collectChunks, expectToolCalls, MockModel, textOf, Timing } from "openagents/testing"

const add = Tool.make("add", {
  description: "Adds two numbers",
  parameters: Schema.Struct({ a: Schema.Number, b: Schema.Number }),
  handler: ({ a, b }) => Effect.succeed(a + b)
})
const agent = (script: ReadonlyArray<MockModel.MockStep>) =>
  AgentRuntime.layerInMemory({ agents: [{ id: "a", model: MockModel.layer({ script }), tools: [add] }] })

it.effect("calls add, then answers", () =>
  Effect.gen(function*() {
    const runtime = yield* AgentRuntime.AgentRuntime
    const chunks = yield* collectChunks(runtime.runStream({ agentId: "a", inputText: "2+3?" }))
    expectToolCalls(chunks, [{ name: "add", arguments: { a: 2, b: 3 }, result: 5 }])
    assert.strictEqual(textOf(chunks), "It is 5.")
  }).pipe(Effect.provide(agent([{ toolCalls: [{ name: "add", arguments: { a: 2, b: 3 } }] }, { text: "It is 5." }]))))

it.effect("a slow model meets the deadline on the TestClock", () =>
  Effect.gen(function*() {
    const runtime = yield* AgentRuntime.AgentRuntime
    const fiber = yield* Effect.fork(collectChunks(runtime.runStream({ agentId: "a", inputText: "hi", budget: { maxDurationMs: 1000 } })))
    Chunks.expectStopReason(yield* Effect.flatten(Timing.adjustUntilDone(fiber, 500)), "timeout")
  }).pipe(Effect.provide(agent([{ delayMs: 60_000, text: "too late" }]))))
`
    )
    const vitest = path.join(app, "node_modules", "vitest", "vitest.mjs")
    const report = path.join(work, "vitest.json")
    const ran = await sh(process.execPath, [vitest, "run", "--reporter=json", `--outputFile=${report}`], app).catch(
      (e: { stdout?: string; stderr?: string; message: string }) => assert.fail(`vitest failed:\n${e.stdout ?? ""}\n${e.stderr ?? e.message}`)
    )
    const results = JSON.parse(fs.readFileSync(report, "utf8")) as {
      numPassedTests: number
      numFailedTests: number
      numPendingTests: number
      testResults: Array<{ name: string }>
    }
    assert.strictEqual(results.numFailedTests, 0, ran.stdout)
    assert.deepStrictEqual(results.testResults.map((r) => path.basename(r.name)).sort(), ["agent.test.ts", "provider.test.ts"])
    // both consumption paths of every scenario, a few skipped as n/a for the chat protocol
    assert.isAbove(results.numPassedTests, 80)
  })

  it("openagents init scaffolds a project that validates and runs its tool module", async (ctx) => {
    if (skipReason) return ctx.skip(skipReason)
    const bin = path.join(app, "node_modules", ".bin", "openagents")
    const created = await sh(bin, ["init", "scaffolded", "--template", "tools"], app)
    assert.include(created.stdout, "created scaffolded/")
    assert.include((await sh(bin, ["validate", "scaffolded/agent.json"], app)).stdout, "is valid (1 agent, 2 tools)")
    const ran = await sh(bin, ["run", "scaffolded/agent.json", "--input", '/tool capital {"country": "Japan"}'], app)
    assert.strictEqual(ran.stdout, 'Tool[capital] => "Tokyo"\n')
    const again = await sh(bin, ["init", "scaffolded"], app).then(() => assert.fail("expected exit 2"), (e: { code?: number }) => e)
    assert.strictEqual(again.code, 2)
  })
})
