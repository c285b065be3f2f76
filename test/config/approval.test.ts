/**
 * The approval keys of agent.json: `approval_mode`, `approval_policy` and `editable_params` on a tool,
 * `runtime.approval_timeout_ms` on an agent; and the Promise client's approval operations.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Fiber, TestClock } from "effect"
import { createRuntime } from "../../src/client/Client.js"
import * as ConfigLoader from "../../src/config/ConfigLoader.js"
import * as Plugins from "../../src/config/Plugins.js"
import { AgentRuntime } from "../../src/runtime/AgentRuntime.js"

const config = (tool: Record<string, unknown>, runtime: Record<string, unknown> = {}) => ({
  agents: [{ id: "a", llm: { provider: "mock" }, tools: [{ id: "calc", type: "calc", ...tool }], runtime }]
})

const run = (cfg: Record<string, unknown>, expression: string, extra: Record<string, unknown> = {}) =>
  Effect.flatMap(AgentRuntime, (rt) =>
    rt.runDetailed({ agentId: "a", inputText: `/tool calc {"expression": "${expression}"}`, waitForApproval: false, ...extra })).pipe(
      Effect.provide(Plugins.runtimeLayer(cfg))
    )

describe("approval keys in agent.json", () => {
  it.effect("approval_mode always / never, and editable_params", () =>
    Effect.gen(function*() {
      const always = yield* run(config({ approval_mode: "always", editable_params: ["expression"] }), "6*7")
      assert.strictEqual(always.stopReason, "awaiting_approval")
      assert.deepStrictEqual(always.pendingApprovals?.[0]?.editableParams, ["expression"])
      const never = yield* run(config({ approval_mode: "never" }), "6*7")
      assert.strictEqual(never.stopReason, "completed")
    }))

  it.effect("approval_mode policy: a call needs approval when an argument matches its regular expression", () =>
    Effect.gen(function*() {
      const cfg = config({ approval_mode: "policy", approval_policy: { expression: "\\*" } })
      assert.strictEqual((yield* run(cfg, "6*7")).stopReason, "awaiting_approval")
      assert.strictEqual((yield* run(cfg, "1+1")).stopReason, "completed")
    }))

  it.effect("an approval_policy that is not a regular expression is a config error at its path", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(ConfigLoader.load(config({ approval_mode: "policy", approval_policy: { expression: "(" } })))
      assert.include(error.message, "agents[0].tools[0].approval_policy.expression")
    }))

  it.effect("runtime.approval_timeout_ms of the agent", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(run(config({ approval_mode: "always" }, { approval_timeout_ms: 2000 }), "6*7", { waitForApproval: true }))
      yield* TestClock.adjust("2 seconds")
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.stopReason, "approval_timeout")
    }))
})

describe("approvals on the Promise client", () => {
  it("pendingApprovals, approve with edited arguments, reject", async () => {
    const client = await createRuntime(config({ approval_mode: "always", editable_params: ["expression"] }))
    try {
      const stopped = await client.runDetailed({ agentId: "a", sessionId: "s", inputText: `/tool calc {"expression": "6*7"}`, waitForApproval: false })
      assert.strictEqual(stopped.stopReason, "awaiting_approval")
      const [pending] = await client.pendingApprovals("s")
      const refused = await client.approve(stopped.runId, pending!.callId, { arguments: { expression: 7 } }).then(Either.right, Either.left)
      assert.isTrue(Either.isLeft(refused))
      const result = await client.approve(stopped.runId, pending!.callId, { arguments: { expression: "2+3" } })
      assert.strictEqual(result?.runId, stopped.runId)
      assert.strictEqual(result?.stopReason, "completed")
      assert.include(String(result?.finalOutput), "5")

      const again = await client.runDetailed({ agentId: "a", sessionId: "s", inputText: `/tool calc {"expression": "1+1"}`, waitForApproval: false })
      const [next] = await client.pendingApprovals("s")
      const rejected = await client.reject(again.runId, next!.callId, "no")
      assert.strictEqual(rejected?.stopReason, "completed")
      assert.include(String(rejected?.finalOutput), "rejected by the approver: no")
      assert.deepStrictEqual(await client.pendingApprovals(), [])
    } finally {
      await client.close()
    }
  })
})
