/**
 * The package as a user gets it: `npm pack` (whose prepack builds dist/), the tarball installed into an
 * empty project, a strict TypeScript file type-checked against it, the Promise facade and the bin run
 * from it. The repo is copied first so that building dist/ never races the other tests' bin runs.
 * Installing needs the npm cache or registry; without either the test is skipped, saying why.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import * as fs from "node:fs"
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
  for (const entry of ["package.json", "tsconfig.json", "tsconfig.build.json", "README.md", "src", "bin", "schema"]) {
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

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true })
})

describe("the packed package, installed into an empty project", () => {
  it("ships dist/ without source maps, no sources or tests, and the bin", () => {
    const files = JSON.parse(fs.readFileSync(path.join(work, "files.json"), "utf8")) as Array<string>
    assert.include(files, "dist/index.js")
    assert.include(files, "dist/index.d.ts")
    assert.include(files, "dist/cli/main.js")
    assert.include(files, "dist/sqlite.js")
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

    fs.writeFileSync(
      path.join(app, "sqlite.json"),
      JSON.stringify({ agents: [{ id: "a" }], session: { type: "sqlite", config: { db_path: "./s.db" } } })
    )
    const failed = await sh(bin, ["run", "sqlite.json", "--input", "hi"], app).then(
      () => assert.fail("expected exit 2"),
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
  })
})
