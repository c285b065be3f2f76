/**
 * `session: { type: "postgres" }` in agent.json, end to end through the CLI (in-process `main(argv)`):
 * runs (one durable) store their sessions in PostgreSQL, which `sessions list|show|delete` and `replay` read.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Effect from "effect/Effect"
import { cli, useCli } from "../support/cli.js"
import { checkReachable, dropSchemas, freshSchema, pgUrl } from "../support/sessions-postgres.js"

beforeAll(() => Effect.runPromise(checkReachable))
afterAll(() => Effect.runPromise(dropSchemas))

const harness = useCli("oa-cli-postgres-")
const stdout = () => harness.out.join("")
const stderr = () => harness.err.join("")
const reset = () => {
  harness.out.length = 0
  harness.err.length = 0
}

const config = (session: Record<string, unknown>) => {
  const file = path.join(harness.dir(), "agent.json")
  fs.writeFileSync(file, JSON.stringify({ agents: [{ id: "a", llm: { provider: "mock" }, tools: [{ id: "calc", type: "calc" }] }], session }))
  return file
}

describe("sessions on the postgres store, through the CLI", () => {
  it("run (durable and not), sessions list and show, replay, delete", async () => {
    const schema = freshSchema()
    // the url through an environment variable, as a password would be
    process.env["OA_TEST_PG_URL_FOR_CLI"] = pgUrl
    const cfg = config({ type: "postgres", config: { url: "${OA_TEST_PG_URL_FOR_CLI}", schema, lock_timeout_ms: 200 } })
    assert.strictEqual(await cli("run", cfg, "--input", `/tool calc {"expression": "6*7"}`, "--session", "s1", "--durable"), 0, stderr())
    assert.strictEqual(await cli("run", cfg, "--input", "hello", "--session", "s2"), 0, stderr())
    reset()

    assert.strictEqual(await cli("sessions", "list", cfg, "--format", "json"), 0, stderr())
    const listed = JSON.parse(stdout()) as Array<{ sessionId: string; messages: number; checkpoints: number; runs: number }>
    assert.deepStrictEqual(listed.map((s) => s.sessionId), ["s1", "s2"])
    assert.strictEqual(listed[0]!.messages, 4)
    assert.isAbove(listed[0]!.checkpoints, 0)
    assert.strictEqual(listed[1]!.messages, 2)
    reset()

    assert.strictEqual(await cli("sessions", "show", cfg, "s1"), 0, stderr())
    assert.include(stdout(), "42")
    reset()
    assert.strictEqual(await cli("replay", cfg, "s1"), 0, stderr())
    assert.include(stdout(), "tool")
    reset()

    assert.strictEqual(await cli("sessions", "delete", cfg, "s2"), 0, stderr())
    reset()
    assert.strictEqual(await cli("sessions", "show", cfg, "s2"), 2)
    assert.include(stderr(), "no session 's2' in the postgres store")
    assert.include(stderr(), `(schema ${schema})`)
  })

  it("an unreachable server is exit 2 naming session.config.url, never the password", async () => {
    const cfg = config({ type: "postgres", config: { url: "postgres://me:s3cret@127.0.0.1:1/test", connect_timeout_ms: 2000 } })
    const code = await cli("sessions", "list", cfg)
    assert.notStrictEqual(code, 0)
    assert.include(stderr(), "session.config.url")
    assert.notInclude(stderr() + stdout(), "s3cret")
  })
})
