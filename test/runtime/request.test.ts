/**
 * decodeRunRequest: every problem of a run request together, each at its path, like config problems.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { RunBudget, RunRequest } from "../../src/kernel/Run.js"
import type { ConfigError } from "../../src/kernel/Errors.js"
import { decodeRunRequest } from "../../src/runtime/internal/request.js"

const problems = (input: unknown): ReadonlyArray<string> => {
  const result = decodeRunRequest(input)
  assert.isTrue(Either.isLeft(result), "expected the request to be refused")
  const error = (result as Either.Left<ConfigError, RunRequest>).left
  assert.strictEqual(error._tag, "ConfigError")
  return error.issues.map((i) => `${i.path}: ${i.message}`)
}

describe("decodeRunRequest", () => {
  it("builds exactly what the RunRequest Schema decodes, defaults and undefined keys included", () => {
    const Answer = Schema.Struct({ a: Schema.Number })
    const inputs: ReadonlyArray<Record<string, unknown>> = [
      { agentId: "a", inputText: "x", runId: "r" },
      { agentId: "a", inputText: "", runId: "r", sessionId: undefined, budget: { maxSteps: 3, maxValidationRetries: undefined } },
      {
        agentId: "a",
        inputText: "x",
        runId: "r",
        sessionId: "s",
        parentRunId: "p",
        metadata: { k: 1 },
        contextHints: { durable: { rerun: ["c"] } },
        budget: { maxSteps: 2, maxDurationMs: 10, maxToolCalls: 0, maxCostUsd: 0.5, maxValidationRetries: 1, maxResumeAttempts: 0 },
        deps: { db: "x" },
        outputType: Answer,
        durable: true,
        resumeFromCheckpoint: "r:step:1"
      },
      { agentId: "a", inputText: "x", runId: "r", budget: new RunBudget({ maxSteps: 4 }) }
    ]
    const plain = (r: RunRequest) => ({ ...r, budget: r.budget ? { ...r.budget } : r.budget })
    for (const input of inputs) {
      const built = Either.getOrThrow(decodeRunRequest(input))
      const decoded = Schema.decodeUnknownSync(RunRequest)(input)
      assert.instanceOf(built, RunRequest)
      if (built.budget) assert.instanceOf(built.budget, RunBudget)
      assert.deepStrictEqual(plain(built), plain(decoded), JSON.stringify(input))
    }
    // a request without a runId gets a new one each time
    const a = Either.getOrThrow(decodeRunRequest({ agentId: "a", inputText: "x" }))
    const b = Either.getOrThrow(decodeRunRequest({ agentId: "a", inputText: "x" }))
    assert.notStrictEqual(a.runId, b.runId)
    assert.match(a.runId, /^[0-9a-f-]{36}$/)
  })

  it("accepts a minimal request and applies the defaults", () => {
    const result = decodeRunRequest({ agentId: "a", inputText: "hi" })
    assert.isTrue(Either.isRight(result))
    const request = Either.getOrThrow(result)
    assert.instanceOf(request, RunRequest)
    assert.strictEqual(request.sessionId, "default")
    assert.isTrue(request.runId.length > 0)
    assert.strictEqual(request.durable, false)
    assert.deepStrictEqual(request.metadata, {})
  })

  it("accepts every field, a RunRequest itself, an empty inputText and undefined optional fields", () => {
    const full = {
      agentId: "a",
      sessionId: "s",
      inputText: "",
      runId: "r",
      parentRunId: "p",
      metadata: { k: 1 },
      contextHints: { h: true },
      budget: { maxSteps: 3, maxDurationMs: 1000, maxToolCalls: 0, maxValidationRetries: 0, maxCostUsd: 0.5, maxResumeAttempts: 1 },
      deps: { anything: true },
      outputType: Schema.Struct({ x: Schema.Number }),
      durable: true,
      resumeFromCheckpoint: "r:step:1",
      sessionIdUnused: undefined
    }
    const { sessionIdUnused: _, ...valid } = full
    const request = Either.getOrThrow(decodeRunRequest(valid))
    assert.strictEqual(request.budget?.maxSteps, 3)
    assert.instanceOf(request.budget, RunBudget)
    assert.strictEqual(request.parentRunId, "p")
    assert.isTrue(Either.isRight(decodeRunRequest(request)))
    assert.isTrue(Either.isRight(decodeRunRequest({ agentId: "a", inputText: "x", runId: undefined, budget: undefined })))
  })

  it("budget limits: messages name the path and what it must be", () => {
    assert.deepStrictEqual(problems({ agentId: "a", inputText: "x", budget: { maxSteps: 0 } }), [
      "request.budget.maxSteps: must be a positive integer (got 0)"
    ])
    assert.deepStrictEqual(
      problems({
        agentId: "a",
        inputText: "x",
        budget: { maxSteps: 1.5, maxDurationMs: -1, maxToolCalls: -1, maxCostUsd: "1", maxValidationRetries: 0.5 }
      }),
      [
        "request.budget.maxSteps: must be a positive integer (got 1.5)",
        "request.budget.maxDurationMs: must be a positive integer (got -1)",
        "request.budget.maxToolCalls: must be a non-negative integer (got -1)",
        "request.budget.maxCostUsd: must be a non-negative number (got \"1\")",
        "request.budget.maxValidationRetries: must be a non-negative integer (got 0.5)"
      ]
    )
    assert.deepStrictEqual(problems({ agentId: "a", inputText: "x", budget: 5 }), ["request.budget: must be an object (got 5)"])
  })

  it("unknown keys are refused with a did-you-mean, at the top and in the budget", () => {
    const result = decodeRunRequest({ agentId: "a", inputText: "x", sesionId: "s", budget: { maxStep: 2, frobnicate: 1 } })
    const error = Either.getLeft(result).pipe((o) => (o._tag === "Some" ? o.value : assert.fail("expected Left")))
    assert.deepStrictEqual(error.issues.map((i) => `${i.path}: ${i.message}`), [
      "request.sesionId: unknown key (did you mean 'sessionId'?)",
      "request.budget.maxStep: unknown key (did you mean 'maxSteps'?)",
      "request.budget.frobnicate: unknown key"
    ])
    assert.include(error.issues[2]!.hint ?? "", "maxSteps, maxDurationMs")
    assert.include(error.message, "Invalid run request: 3 problems")
  })

  it("empty ids are refused; inputText must be a string; required keys must be there", () => {
    assert.deepStrictEqual(problems({ agentId: "", sessionId: " ", inputText: 42, runId: "", parentRunId: "" }), [
      "request.agentId: must be a non-empty string (got \"\")",
      "request.sessionId: must be a non-empty string (got \" \")",
      "request.inputText: must be a string (got 42)",
      "request.runId: must be a non-empty string (got \"\")",
      "request.parentRunId: must be a non-empty string (got \"\")"
    ])
    assert.deepStrictEqual(problems({}), [
      "request.agentId: required key is missing",
      "request.inputText: required key is missing"
    ])
    assert.deepStrictEqual(problems({ agentId: "a", inputText: "x", durable: "yes", outputType: { type: "object" } }), [
      "request.durable: must be a boolean (true or false) (got \"yes\")",
      "request.outputType: must be an Effect Schema (got an object)"
    ])
  })

  it("a request that is not an object is one problem at the root", () => {
    assert.deepStrictEqual(problems(null), ["request: must be an object (got null)"])
    assert.deepStrictEqual(problems("hi"), ["request: must be an object (got \"hi\")"])
    assert.deepStrictEqual(problems([1]), ["request: must be an object (got an array)"])
  })
})
