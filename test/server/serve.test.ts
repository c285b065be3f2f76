/**
 * `openagents serve`: its refusals (no token, --no-auth off loopback, bad flags) in-process, and a real
 * child process that prints its URL, serves the API and the console, and stops cleanly on SIGTERM.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { cli, useCli } from "../support/cli.js"
import { startServeChild } from "../support/serveChild.js"
import { CONFIG } from "./support.js"

const harness = useCli("oa-serve-")
const writeConfig = () => {
  const file = path.join(harness.dir(), "agent.json")
  fs.writeFileSync(file, JSON.stringify(CONFIG))
  return file
}

describe("openagents serve", () => {
  it("refuses to start without a token", async () => {
    const file = writeConfig()
    delete process.env["OA_TEST_NO_TOKENS"]
    expect(await cli("serve", file, "--port", "0", "--token-env", "OA_TEST_NO_TOKENS")).toBe(2)
    expect(harness.err.join("")).toContain("no API token: OA_TEST_NO_TOKENS is unset or empty")
  })

  it("refuses --no-auth on a host that is not loopback", async () => {
    const file = writeConfig()
    expect(await cli("serve", file, "--port", "0", "--host", "0.0.0.0", "--no-auth")).toBe(2)
    expect(harness.err.join("")).toContain("--no-auth is allowed on a loopback host only")
  })

  it("reports a config error as `run` does", async () => {
    const file = path.join(harness.dir(), "bad.json")
    fs.writeFileSync(file, JSON.stringify({ agents: [{ id: "a", llm: { provider: "nope" } }] }))
    process.env["OA_TEST_TOKENS"] = "t"
    expect(await cli("serve", file, "--port", "0", "--token-env", "OA_TEST_TOKENS")).toBe(2)
    const servedErr = harness.err.join("")
    harness.err.length = 0
    expect(await cli("run", file, "--input", "x")).toBe(2)
    expect(servedErr).toBe(harness.err.join(""))
  })

  it("serves on the port the OS chose, the API with a token, the console without, and stops on SIGTERM", async () => {
    const file = writeConfig()
    const served = await startServeChild(["--import", "tsx", "src/cli/main.ts", "serve", file, "--port", "0"], {
      ...process.env,
      OPENAGENTS_API_TOKENS: "alpha, beta"
    })
    try {
      const url = served.url
      expect(url).not.toMatch(/:0$/)
      expect((await fetch(`${url}/healthz`)).status).toBe(200)
      expect((await fetch(`${url}/v1/agents`)).status).toBe(401)
      expect((await fetch(`${url}/v1/agents`, { headers: { authorization: "Bearer beta" } })).status).toBe(200)
      const page = await fetch(`${url}/`)
      expect(page.status).toBe(200)
      expect(page.headers.get("content-type")).toContain("text/html")
      expect((await fetch(`${url}/nope`)).status).toBe(404)
      expect(await served.stop()).toBe(0)
      const { err, out } = served.output()
      expect(out).toContain("SIGTERM: stopping")
      expect(out + err).not.toContain("alpha")
    } finally {
      served.kill()
    }
  }, 60_000)
})
