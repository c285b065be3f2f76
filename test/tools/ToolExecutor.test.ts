import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import * as TestClock from "effect/TestClock"
import {
  ToolExecutionError,
  ToolNotFound,
  ToolTimeout,
  ToolValidationError
} from "../../src/kernel/Errors.js"
import * as Builtin from "../../src/tools/builtin/index.js"
import * as Tool from "../../src/tools/Tool.js"
import * as Toolkit from "../../src/tools/Toolkit.js"
import * as ToolExecutor from "../../src/tools/ToolExecutor.js"
import { call, context } from "./fixtures.js"

class UpstreamError extends Schema.TaggedError<UpstreamError>()("UpstreamError", {
  message: Schema.String,
  retryable: Schema.Boolean
}) {}

const noParams = Schema.Struct({})

const failing = Tool.make("failing", {
  description: "Always fails with a typed error",
  parameters: Schema.Struct({ retryable: Schema.Boolean }),
  handler: ({ retryable }) => Effect.fail(new UpstreamError({ message: "upstream said no", retryable }))
})
const dies = Tool.make("dies", {
  description: "Dies with a defect",
  parameters: noParams,
  handler: () => Effect.die(new Error("kaboom"))
})
const throwsInside = Tool.make("throws_inside", {
  description: "Throws inside Effect.sync",
  parameters: noParams,
  handler: () =>
    Effect.sync(() => {
      throw new Error("thrown inside sync")
    })
})
const throwsOutside = Tool.make("throws_outside", {
  description: "Throws before it returns an Effect",
  parameters: noParams,
  handler: () => {
    throw new TypeError("thrown by the handler itself")
  }
})
const dieString = Tool.make("dies_with_string", {
  description: "Dies with a string",
  parameters: noParams,
  handler: () => Effect.die("plain string defect")
})
const usesContext = Tool.make("uses_context", {
  description: "Reports what it was given",
  parameters: Schema.Struct({ n: Schema.NumberFromString }),
  handler: ({ n }, ctx) => Effect.as(ctx.emit(`n=${n}`), { n, callId: ctx.callId, runId: ctx.runId })
})

const builtins = [
  Builtin.Calc.make(),
  Builtin.CurrentTime.make(),
  Builtin.JsonParse.make(),
  Builtin.TextTransform.make()
]

const toolkit = Toolkit.make(...builtins, failing, dies, throwsInside, throwsOutside, dieString, usesContext)

/** A tool that sleeps and records whether it was interrupted. */
const sleeper = (name: string, interrupted: Ref.Ref<boolean>, options?: { readonly timeoutMs?: number }) =>
  Tool.make(name, {
    description: "Sleeps for a minute",
    parameters: noParams,
    ...options,
    handler: () =>
      Effect.sleep("1 minute").pipe(
        Effect.as("woke up"),
        Effect.onInterrupt(() => Ref.set(interrupted, true))
      )
  })

const executor = ToolExecutor.make()

describe("ToolExecutor", () => {
  describe("success", () => {
    it.effect("runs a builtin and returns its result", () =>
      Effect.gen(function*() {
        assert.deepStrictEqual(
          yield* executor.execute(call("calc", { expression: "2 ** 10" }), toolkit, context),
          { expression: "2 ** 10", result: 1024 }
        )
        assert.deepStrictEqual(
          yield* executor.execute(call("text_transform", { text: "ab", operation: "reverse" }), toolkit, context),
          { operation: "reverse", result: "ba" }
        )
        assert.deepStrictEqual(
          yield* executor.execute(call("json_parse", { text: "{\"a\":[1,2]}", path: "a[1]" }), toolkit, context),
          { value: 2 }
        )
      }))

    it.effect("passes the decoded parameters and the context to the handler", () =>
      Effect.gen(function*() {
        const emitted: Array<string> = []
        const result = yield* executor.execute(call("uses_context", { n: "7" }), toolkit, {
          ...context,
          callId: "call-42",
          emit: (text) => Effect.sync(() => emitted.push(text))
        })
        assert.deepStrictEqual(result, { n: 7, callId: "call-42", runId: "run-1" })
        assert.deepStrictEqual(emitted, ["n=7"])
      }))

    it.effect("undefined arguments without rawArguments count as no arguments", () =>
      Effect.gen(function*() {
        yield* TestClock.setTime(Date.UTC(2026, 0, 2, 3, 4, 5))
        const result = yield* executor.execute(call("current_time", undefined), toolkit, context)
        assert.strictEqual((result as { iso: string }).iso, "2026-01-02T03:04:05.000Z")
      }))

    it.effect("rawArguments beside parsed arguments are fine", () =>
      Effect.gen(function*() {
        const result = yield* executor.execute(
          call("calc", { expression: "1+1" }, "{\"expression\": \"1+1\"}"),
          toolkit,
          context
        )
        assert.deepStrictEqual(result, { expression: "1+1", result: 2 })
      }))
  })

  describe("unknown tool", () => {
    it.effect("fails with ToolNotFound and a did-you-mean suggestion", () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(executor.execute(call("calk", { expression: "1" }), toolkit, context))
        assert.instanceOf(error, ToolNotFound)
        const notFound = error as ToolNotFound
        assert.strictEqual(notFound.toolName, "calk")
        assert.strictEqual(notFound.suggestion, "calc")
        assert.deepStrictEqual(notFound.available, [...toolkit.tools.keys()])
        assert.isTrue(
          notFound.message.startsWith("Tool 'calk' is not available. Did you mean 'calc'? Available tools: [calc, "),
          notFound.message
        )
        assert.strictEqual(notFound.retryable, false)
      }))

    it.effect("suggests across case and small typos, not for unrelated names", () =>
      Effect.gen(function*() {
        const typo = yield* Effect.flip(executor.execute(call("Text_Transfrom", {}), toolkit, context))
        assert.strictEqual((typo as ToolNotFound).suggestion, "text_transform")
        const unrelated = yield* Effect.flip(executor.execute(call("weather_forecast", {}), toolkit, context))
        assert.instanceOf(unrelated, ToolNotFound)
        assert.isUndefined((unrelated as ToolNotFound).suggestion)
        assert.notInclude(unrelated.message, "Did you mean")
      }))

    it.effect("an empty toolkit lists no tools", () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(executor.execute(call("calc", {}), Toolkit.empty, context))
        assert.strictEqual(error.message, "Tool 'calc' is not available. Available tools: []")
      }))
  })

  describe("invalid arguments", () => {
    const invalid = (name: string, args: unknown) =>
      Effect.flip(executor.execute(call(name, args), toolkit, context)).pipe(
        Effect.map((error) => {
          assert.instanceOf(error, ToolValidationError)
          assert.strictEqual((error as ToolValidationError).toolName, name)
          assert.strictEqual(error.retryable, false)
          return error.message
        })
      )

    it.effect("a field of the wrong type is named", () =>
      Effect.gen(function*() {
        const message = yield* invalid("calc", { expression: 42 })
        assert.include(message, "[\"expression\"]")
        assert.include(message, "Expected string, actual 42")
      }))

    it.effect("a missing field is named", () =>
      Effect.gen(function*() {
        const message = yield* invalid("json_parse", { path: "a" })
        assert.include(message, "[\"text\"]")
        assert.include(message, "is missing")
      }))

    it.effect("an unexpected field is named", () =>
      Effect.gen(function*() {
        const message = yield* invalid("calc", { expression: "1", query: "1" })
        assert.include(message, "[\"query\"]")
        assert.include(message, "is unexpected")
      }))

    it.effect("every bad field is reported, not only the first", () =>
      Effect.gen(function*() {
        const message = yield* invalid("text_transform", { text: 1, operation: "shout" })
        assert.include(message, "[\"text\"]")
        assert.include(message, "[\"operation\"]")
      }))

    it.effect("arguments that are not an object", () =>
      Effect.gen(function*() {
        const message = yield* invalid("calc", "2+2")
        assert.include(message, "actual \"2+2\"")
      }))

    it.effect("a transformation that fails to decode is a validation error", () =>
      Effect.gen(function*() {
        const message = yield* invalid("uses_context", { n: "seven" })
        assert.include(message, "[\"n\"]")
      }))

    it.effect("rawArguments with undefined arguments: the model sent invalid JSON", () =>
      Effect.gen(function*() {
        const raw = "{\"expression\": \"1 +"
        const error = yield* Effect.flip(executor.execute(call("calc", undefined, raw), toolkit, context))
        assert.instanceOf(error, ToolValidationError)
        assert.strictEqual(error.message, `arguments are not valid JSON: ${raw}`)
      }))

    it.effect("the raw text in that message is cut at 200 characters", () =>
      Effect.gen(function*() {
        const raw = "x".repeat(500)
        const error = yield* Effect.flip(executor.execute(call("calc", undefined, raw), toolkit, context))
        assert.strictEqual(error.message, `arguments are not valid JSON: ${"x".repeat(200)}`)
      }))

    it.effect("the handler does not run on invalid arguments", () =>
      Effect.gen(function*() {
        const ran = yield* Ref.make(false)
        const tool = Tool.make("guarded", {
          description: "Records that it ran",
          parameters: Schema.Struct({ x: Schema.Number }),
          handler: () => Ref.set(ran, true)
        })
        yield* Effect.flip(executor.execute(call("guarded", { x: "1" }), Toolkit.make(tool), context))
        assert.isFalse(yield* Ref.get(ran))
      }))
  })

  describe("handler failures", () => {
    it.effect("a typed failure becomes ToolExecutionError with its message", () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(executor.execute(call("calc", { expression: "1/0" }), toolkit, context))
        assert.instanceOf(error, ToolExecutionError)
        assert.deepStrictEqual(
          { ...error },
          { ...new ToolExecutionError({ toolName: "calc", message: "Division by zero at position 2", retryable: false }) }
        )
      }))

    it.effect("each builtin's failure carries its message", () =>
      Effect.gen(function*() {
        const time = yield* Effect.flip(executor.execute(call("current_time", { timezone: "Mars/Base" }), toolkit, context))
        assert.instanceOf(time, ToolExecutionError)
        assert.include(time.message, "Unknown timezone 'Mars/Base'")
        const json = yield* Effect.flip(executor.execute(call("json_parse", { text: "{}", path: "a.b" }), toolkit, context))
        assert.instanceOf(json, ToolExecutionError)
        assert.strictEqual(json.message, "Path 'a.b' not found: (root) has no key \"a\" (keys: none)")
      }))

    it.effect("a retryable failure stays retryable", () =>
      Effect.gen(function*() {
        const retryable = yield* Effect.flip(executor.execute(call("failing", { retryable: true }), toolkit, context))
        assert.instanceOf(retryable, ToolExecutionError)
        assert.strictEqual(retryable.message, "upstream said no")
        assert.isTrue(retryable.retryable)
        const permanent = yield* Effect.flip(executor.execute(call("failing", { retryable: false }), toolkit, context))
        assert.isFalse(permanent.retryable)
      }))

    const defects = [
      ["dies", "kaboom"],
      ["throws_inside", "thrown inside sync"],
      ["throws_outside", "thrown by the handler itself"],
      ["dies_with_string", "plain string defect"]
    ] as const
    for (const [name, message] of defects) {
      it.effect(`a defect (${name}) becomes ToolExecutionError, not a crash`, () =>
        Effect.gen(function*() {
          const exit = yield* Effect.exit(executor.execute(call(name, {}), toolkit, context))
          assert.isTrue(Exit.isFailure(exit))
          if (Exit.isFailure(exit)) {
            // a typed failure, with no defect left in the cause
            assert.isTrue(Cause.isFailType(exit.cause), Cause.pretty(exit.cause))
            const error = Cause.failureOption(exit.cause)
            assert.isTrue(Option.isSome(error))
            if (Option.isSome(error)) {
              assert.instanceOf(error.value, ToolExecutionError)
              assert.strictEqual(error.value.message, message)
              assert.strictEqual((error.value as ToolExecutionError).toolName, name)
              assert.isFalse(error.value.retryable)
            }
          }
        }))
    }

    // a handler failing with `undefined`, a symbol, a BigInt or a circular object still gives a typed failure
    const oddErrors = [
      ["undefined", undefined],
      ["a symbol", Symbol("s")],
      ["a BigInt", 10n],
      ["a circular object", (() => {
        const o: Record<string, unknown> = {}
        o["self"] = o
        return o
      })()]
    ] as const
    for (const [label, value] of oddErrors) {
      it.effect(`failing with ${label} becomes ToolExecutionError`, () =>
        Effect.gen(function*() {
          const tool = Tool.make("odd", { description: "odd", parameters: noParams, handler: () => Effect.fail(value) })
          const exit = yield* Effect.exit(executor.execute(call("odd", {}), Toolkit.make(tool), context))
          assert.isTrue(Exit.isFailure(exit) && Cause.isFailType(exit.cause), String(exit))
        }))
    }
  })

  describe("timeouts", () => {
    it.effect("a slow tool times out with ToolTimeout and its handler is interrupted", () =>
      Effect.gen(function*() {
        const interrupted = yield* Ref.make(false)
        const kit = Toolkit.make(sleeper("slow", interrupted))
        const fiber = yield* Effect.fork(ToolExecutor.make({ defaultTimeoutMs: 1_000 }).execute(call("slow", {}), kit, context))
        yield* TestClock.adjust("999 millis")
        assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)), "done before its timeout")
        yield* TestClock.adjust("1 millis")
        const error = yield* Effect.flip(Fiber.join(fiber))
        assert.instanceOf(error, ToolTimeout)
        assert.deepStrictEqual({ ...error }, { ...new ToolTimeout({ toolName: "slow", timeoutMs: 1_000 }) })
        assert.strictEqual(error.message, "Tool 'slow' timed out after 1000ms")
        assert.isTrue(error.retryable)
        assert.isTrue(yield* Ref.get(interrupted), "the handler was not interrupted")
      }))

    it.effect("the default timeout is 30 seconds", () =>
      Effect.gen(function*() {
        const interrupted = yield* Ref.make(false)
        const kit = Toolkit.make(sleeper("slow", interrupted))
        const fiber = yield* Effect.fork(executor.execute(call("slow", {}), kit, context))
        yield* TestClock.adjust("29999 millis")
        assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
        yield* TestClock.adjust("1 millis")
        const error = yield* Effect.flip(Fiber.join(fiber))
        assert.strictEqual((error as ToolTimeout).timeoutMs, 30_000)
      }))

    it.effect("a tool that finishes in time is not cut short", () =>
      Effect.gen(function*() {
        const interrupted = yield* Ref.make(false)
        const kit = Toolkit.make(sleeper("slow", interrupted))
        const fiber = yield* Effect.fork(ToolExecutor.make({ defaultTimeoutMs: 120_000 }).execute(call("slow", {}), kit, context))
        yield* TestClock.adjust("1 minute")
        assert.strictEqual(yield* Fiber.join(fiber), "woke up")
        assert.isFalse(yield* Ref.get(interrupted))
      }))

    it.effect("a tool's own shorter timeoutMs overrides the executor default", () =>
      Effect.gen(function*() {
        const interrupted = yield* Ref.make(false)
        const kit = Toolkit.make(sleeper("quick", interrupted, { timeoutMs: 50 }))
        const fiber = yield* Effect.fork(ToolExecutor.make({ defaultTimeoutMs: 10_000 }).execute(call("quick", {}), kit, context))
        yield* TestClock.adjust("50 millis")
        const error = yield* Effect.flip(Fiber.join(fiber))
        assert.instanceOf(error, ToolTimeout)
        assert.strictEqual((error as ToolTimeout).timeoutMs, 50)
        assert.isTrue(yield* Ref.get(interrupted))
      }))

    it.effect("a tool's own longer timeoutMs overrides the executor default", () =>
      Effect.gen(function*() {
        const interrupted = yield* Ref.make(false)
        const kit = Toolkit.make(sleeper("patient", interrupted, { timeoutMs: 5_000 }))
        const fiber = yield* Effect.fork(ToolExecutor.make({ defaultTimeoutMs: 100 }).execute(call("patient", {}), kit, context))
        yield* TestClock.adjust("4999 millis")
        assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)), "the executor default applied")
        yield* TestClock.adjust("1 millis")
        const error = yield* Effect.flip(Fiber.join(fiber))
        assert.strictEqual((error as ToolTimeout).timeoutMs, 5_000)
      }))

    it.effect("a builtin's timeout_ms config reaches the executor", () =>
      Effect.gen(function*() {
        const calc = Builtin.Calc.make({ timeoutMs: 250 })
        assert.strictEqual(calc.timeoutMs, 250)
      }))
  })

  describe("interruption", () => {
    it.effect("interrupting the executing fiber interrupts the handler; the result is interruption, not an error", () =>
      Effect.gen(function*() {
        const started = yield* Deferred.make<void>()
        const interrupted = yield* Deferred.make<void>()
        const hang = Tool.make("hang", {
          description: "Waits forever",
          parameters: noParams,
          handler: () =>
            Deferred.succeed(started, undefined).pipe(
              Effect.zipRight(Effect.never),
              Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined))
            )
        })
        const fiber = yield* Effect.fork(executor.execute(call("hang", {}), Toolkit.make(hang), context))
        yield* Deferred.await(started)
        const exit = yield* Fiber.interrupt(fiber)
        assert.isTrue(Exit.isInterrupted(exit))
        if (Exit.isFailure(exit)) {
          assert.isTrue(Cause.isInterruptedOnly(exit.cause), Cause.pretty(exit.cause))
          assert.isTrue(Option.isNone(Cause.failureOption(exit.cause)))
        }
        assert.isTrue(yield* Deferred.isDone(interrupted), "the handler did not see the interruption")
      }))

    it.effect("interruption reaches a handler that is sleeping, before its timeout", () =>
      Effect.gen(function*() {
        const interrupted = yield* Ref.make(false)
        const kit = Toolkit.make(sleeper("slow", interrupted))
        const fiber = yield* Effect.fork(executor.execute(call("slow", {}), kit, context))
        yield* TestClock.adjust("10 seconds")
        const exit = yield* Fiber.interrupt(fiber)
        assert.isTrue(Exit.isInterrupted(exit))
        assert.isTrue(yield* Ref.get(interrupted))
      }))
  })

  describe("layer", () => {
    it.effect("layer() provides the executor with its options", () =>
      Effect.gen(function*() {
        const interrupted = yield* Ref.make(false)
        const program = Effect.gen(function*() {
          const tools = yield* Toolkit.Toolkit
          const toolExecutor = yield* ToolExecutor.ToolExecutor
          const sum = yield* toolExecutor.execute(call("calc", { expression: "40 + 2" }), tools, context)
          const slow = yield* Effect.fork(toolExecutor.execute(call("slow", {}), tools, context))
          yield* TestClock.adjust("200 millis")
          const timeout = yield* Effect.flip(Fiber.join(slow))
          return { sum, timeout }
        })
        const { sum, timeout } = yield* program.pipe(
          Effect.provide(Layer.merge(
            ToolExecutor.layer({ defaultTimeoutMs: 200 }),
            Toolkit.layer(Builtin.Calc.make(), sleeper("slow", interrupted))
          ))
        )
        assert.deepStrictEqual(sum, { expression: "40 + 2", result: 42 })
        assert.instanceOf(timeout, ToolTimeout)
        assert.strictEqual((timeout as ToolTimeout).timeoutMs, 200)
      }))
  })
})
