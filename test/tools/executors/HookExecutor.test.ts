import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { ToolNotFound, ToolPolicyDenied, ToolValidationError } from "../../../src/kernel/Errors.js"
import * as HookExecutor from "../../../src/tools/executors/HookExecutor.js"
import * as PolicyExecutor from "../../../src/tools/executors/PolicyExecutor.js"
import * as Tool from "../../../src/tools/Tool.js"
import * as Toolkit from "../../../src/tools/Toolkit.js"
import * as ToolExecutor from "../../../src/tools/ToolExecutor.js"
import { call, context } from "../fixtures.js"

const seen: Array<unknown> = []
const Add = Tool.make("add", {
  description: "adds",
  parameters: Schema.Struct({ a: Schema.Number, b: Schema.Number }),
  handler: (params) => Effect.sync(() => (seen.push(params), params.a + params.b))
})
const toolkit = Toolkit.make(Add)

const exec = (hooks: HookExecutor.Hooks, args: unknown, name = "add") =>
  HookExecutor.make(ToolExecutor.make(), hooks).execute(call(name, args), toolkit, context)

describe("HookExecutor", () => {
  it.effect("before rewrites the arguments the tool gets", () =>
    Effect.gen(function*() {
      seen.length = 0
      const before: HookExecutor.Hooks["before"] = (c) => ({ arguments: { ...(c.arguments as object), b: 100 } })
      assert.strictEqual(yield* exec({ before }, { a: 1, b: 2 }), 101)
      assert.deepStrictEqual(seen, [{ a: 1, b: 100 }])
    }))

  it.effect("rewritten arguments are validated again: an invalid rewrite is a tool error naming the hook", () =>
    Effect.gen(function*() {
      seen.length = 0
      const error = yield* Effect.flip(exec({ before: () => ({ arguments: { a: "one", b: 2 } }) }, { a: 1, b: 2 }))
      assert.instanceOf(error, ToolValidationError)
      assert.include(error.message, "rewritten by the before hook are invalid")
      assert.include(error.message, "Expected number")
      assert.deepStrictEqual(seen, [])
    }))

  it.effect("before returning nothing lets the call through as it is; it sees the call", () =>
    Effect.gen(function*() {
      const calls: Array<HookExecutor.HookCall> = []
      assert.strictEqual(yield* exec({ before: (c) => void calls.push(c) }, { a: 1, b: 2 }), 3)
      assert.deepStrictEqual(calls, [{ toolName: "add", arguments: { a: 1, b: 2 }, callId: "call-1", runId: "run-1", sessionId: "session-1", agentId: "agent-1" }])
    }))

  it.effect("a before hook that fails or throws refuses the call; a tool error it fails with is passed on", () =>
    Effect.gen(function*() {
      seen.length = 0
      const thrown = yield* Effect.flip(exec({ before: () => { throw new Error("not on Sundays") } }, { a: 1, b: 2 }))
      assert.instanceOf(thrown, ToolPolicyDenied)
      assert.strictEqual(thrown.message, "policy denied 'add': not on Sundays (rule: hook.before)")
      const rejected = yield* Effect.flip(exec({ before: () => Promise.reject(new Error("later")) }, { a: 1, b: 2 }))
      assert.strictEqual((rejected as ToolPolicyDenied).rule, "hook.before")
      const typed = yield* Effect.flip(
        exec({ before: () => Effect.fail(new ToolPolicyDenied({ toolName: "add", rule: "budget", reason: "over budget" })) }, { a: 1, b: 2 })
      )
      assert.strictEqual((typed as ToolPolicyDenied).rule, "budget")
      assert.deepStrictEqual(seen, [])
    }))

  it.effect("after replaces the result, or keeps it; failing withholds it", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* exec({ after: (_c, result) => ({ result: { sum: result } }) }, { a: 1, b: 2 }), { sum: 3 })
      assert.strictEqual(yield* exec({ after: () => Promise.resolve(undefined) }, { a: 1, b: 2 }), 3)
      assert.strictEqual(yield* exec({ after: () => Effect.succeed({ result: "redacted" }) }, { a: 1, b: 2 }), "redacted")
      const withheld = yield* Effect.flip(exec({ after: () => { throw new Error("contains a secret") } }, { a: 1, b: 2 }))
      assert.strictEqual(withheld.message, "policy denied 'add': contains a secret (rule: hook.after)")
    }))

  it.effect("after sees the rewritten arguments; errors of the inner executor skip it", () =>
    Effect.gen(function*() {
      const afterSaw: Array<unknown> = []
      const hooks: HookExecutor.Hooks = {
        before: () => ({ arguments: { a: 5, b: 5 } }),
        after: (c, r) => void afterSaw.push([c.arguments, r])
      }
      assert.strictEqual(yield* exec(hooks, { a: 1, b: 2 }), 10)
      assert.deepStrictEqual(afterSaw, [[{ a: 5, b: 5 }, 10]])
      assert.instanceOf(yield* Effect.flip(exec(hooks, {}, "nope")), ToolNotFound)
      assert.strictEqual(afterSaw.length, 1)
    }))

  it.effect("composed outside a policy, the policy judges the rewritten arguments", () =>
    Effect.gen(function*() {
      const executor = yield* Effect.provide(
        ToolExecutor.ToolExecutor,
        HookExecutor.layer({ before: () => ({ arguments: { a: 1, b: 2, path: "/etc/passwd" } }) }).pipe(
          Layer.provide(PolicyExecutor.layer({ fsRoots: ["/srv/data"] })),
          Layer.provide(ToolExecutor.layer())
        )
      )
      const lenient = Toolkit.make(Tool.fromJsonSchema("add", { description: "adds", jsonSchema: { type: "object" }, handler: () => Effect.succeed(0) }))
      const error = yield* Effect.flip(executor.execute(call("add", { a: 1, b: 2 }), lenient, context))
      assert.instanceOf(error, ToolPolicyDenied)
      assert.strictEqual((error as ToolPolicyDenied).rule, "fs_roots")
    }))
})
