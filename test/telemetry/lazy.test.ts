/**
 * Telemetry off costs nothing at start-up: the CLI's `run` of a config without telemetry imports no
 * OpenTelemetry module at all (watched by a module hook in a real child process); with it on, it does.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const BIN = path.resolve("bin/openagents.js")
const HOOK = path.resolve("test/telemetry/fixtures/watch-imports.mjs")
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "oa-lazy-"))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

/** The OpenTelemetry modules `openagents run <config>` imported, and its exit code. */
const importsOf = (config: Record<string, unknown>) =>
  new Promise<{ code: number | null; imports: ReadonlyArray<string>; stderr: string }>((resolve, reject) => {
    const file = path.join(dir, `${Math.random().toString(36).slice(2)}.json`)
    fs.writeFileSync(file, JSON.stringify(config))
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("OTEL_")))
    const child = spawn(process.execPath, ["--import", HOOK, BIN, "run", file, "--input", "hi", "--format", "json"], {
      stdio: ["ignore", "ignore", "pipe"],
      env
    })
    let stderr = ""
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    child.on("error", reject)
    child.on("close", (code) => {
      const line = stderr.split("\n").find((l) => l.startsWith("OTEL-IMPORTS "))
      resolve({ code, imports: line ? JSON.parse(line.slice("OTEL-IMPORTS ".length)) : ["<no report>"], stderr })
    })
  })

describe("telemetry is loaded only when on", () => {
  it("off: no OpenTelemetry module is imported; on: the SDK is", async () => {
    const agents = [{ id: "a", llm: { provider: "mock" } }]
    const off = await importsOf({ agents })
    assert.strictEqual(off.code, 0, off.stderr)
    assert.deepStrictEqual(off.imports, [])
    const disabled = await importsOf({ agents, telemetry: { enabled: false } })
    assert.deepStrictEqual(disabled.imports, [])
    const on = await importsOf({ agents, telemetry: { enabled: true, metrics: false, exporter: { type: "none" } } })
    assert.strictEqual(on.code, 0, on.stderr)
    assert.include(on.imports, "@effect/opentelemetry/Tracer")
    assert.include(on.imports, "@opentelemetry/sdk-trace-base")
  }, 120_000)
})
