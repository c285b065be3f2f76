import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Either, Fiber, Layer, Option, Schema, Stream, TestClock } from "effect"
import { RunFailed, SessionBusy, UnknownAgentError } from "../../src/kernel/Errors.js"
import { resultOf } from "../../src/kernel/RunStreamChunk.js"
import { LanguageModel } from "../../src/llm/LanguageModel.js"
import * as MockModel from "../../src/llm/MockModel.js"
import type { ModelRequest } from "../../src/kernel/Transcript.js"
import { AgentRuntime } from "../../src/runtime/AgentRuntime.js"
import * as Tool from "../../src/tools/Tool.js"
import { Add, collect, runtimeLayer, scripted, withEvents } from "../support/runtime.js"

const Boom = Tool.make("boom", {
  description: "always throws",
  parameters: Schema.Struct({}),
  handler: () => Effect.sync(() => { throw new Error("kaboom") })
})

describe("runs", () => {
  it.effect("the model receives the instructions, the session's history and the tools", () =>
    Effect.gen(function*() {
      const seen: Array<ModelRequest> = []
      const recording = Layer.effect(
        LanguageModel,
        Effect.map(MockModel.make(), (m) =>
          LanguageModel.of({
            ...m,
            stream: (request) => {
              seen.push(request)
              return m.stream(request)
            }
          }))
      )
      yield* Effect.gen(function*() {
        const rt = yield* AgentRuntime
        yield* rt.runDetailed({ agentId: "a", sessionId: "s", inputText: "first" })
        yield* rt.runDetailed({ agentId: "a", sessionId: "s", inputText: "second" })
      }).pipe(Effect.provide(runtimeLayer([{ id: "a", instructions: "Be brief.", tools: [Add], model: recording }])))
      assert.strictEqual(seen[1]!.system, "Be brief.")
      assert.deepStrictEqual(seen[1]!.messages, [
        { _tag: "user", content: "first" },
        { _tag: "assistant", content: [{ _tag: "text", text: "Echo: first (history=0)" }] },
        { _tag: "user", content: "second" }
      ])
      assert.deepStrictEqual(seen[1]!.tools.map((t) => t.name), ["add"])
      assert.strictEqual((seen[1]!.tools[0]!.parameters as { type: string }).type, "object")
    }))

  it.effect("tool errors go back to the model as tool results and the run goes on", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const thrown = yield* rt.runDetailed({ agentId: "a", inputText: "/tool boom {}" })
      assert.strictEqual(thrown.stopReason, "completed")
      assert.strictEqual(thrown.finalOutput, `Tool[boom] => {"error":"kaboom","type":"ToolExecutionError"}`)
      assert.strictEqual(thrown.usage.llmCalls, 2)

      const invalid = yield* rt.runDetailed({ agentId: "a", inputText: `/tool add {"a": "one", "b": 2}` })
      assert.strictEqual(invalid.stopReason, "completed")
      assert.match(invalid.finalOutput as string, /^Tool\[add\] => \{"error":".*\[\\"a\\"\].*Expected number.*","type":"ToolValidationError"\}$/s)

      const unknown = yield* rt.runDetailed({ agentId: "a", inputText: "/tool ad {}" })
      assert.strictEqual(unknown.stopReason, "completed")
      assert.match(unknown.finalOutput as string, /Tool 'ad' is not available. Did you mean 'add'\?.*"type":"ToolNotFound"/)
    }).pipe(Effect.provide(runtimeLayer([{ id: "a", tools: [Add, Boom] }]))))

  it.effect("structured output: invalid answers are fed back and retried, then accepted", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const Answer = Schema.Struct({ answer: Schema.String, confidence: Schema.Number })
      const chunks = yield* collect(rt.runStream({ agentId: "a", inputText: "q", outputType: Answer }))
      const result = resultOf(chunks)!
      assert.strictEqual(result.stopReason, "completed")
      assert.deepStrictEqual(result.finalOutput, { answer: "42", confidence: 0.9 })
      const retries = chunks.filter((c) => c.kind === "validation.retry")
      assert.deepStrictEqual(retries.map((c) => c.payload["attempt"]), [1, 2])
      assert.match(retries[0]!.payload["error"] as string, /not valid JSON/)
      assert.match(retries[1]!.payload["error"] as string, /confidence/)
      assert.strictEqual(result.usage.llmCalls, 3)
    }).pipe(Effect.provide(runtimeLayer([{
      id: "a",
      model: scripted([{ text: "sure!" }, { text: `{"answer": "42"}` }, { text: "```json\n{\"answer\": \"42\", \"confidence\": 0.9}\n```" }])
    }]))))

  it.effect("structured output still invalid after maxValidationRetries fails with OutputValidationError", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const [r, events] = yield* withEvents(rt.runDetailed({
        agentId: "a",
        inputText: "q",
        budget: { maxValidationRetries: 2 }
      }))
      assert.strictEqual(r.stopReason, "failed")
      assert.strictEqual(r.error?.tag, "OutputValidationError")
      assert.match(r.error!.message, /after 3 attempt\(s\)/)
      assert.strictEqual(events.filter((e) => e.name === "validation.retry").length, 2)
      assert.strictEqual(r.usage.llmCalls, 3)
    }).pipe(Effect.provide(runtimeLayer([{
      id: "a",
      outputSchema: { type: "object", properties: { n: { type: "integer" } }, required: ["n"] },
      model: scripted([{ text: `{"n": "x"}` }])
    }]))))

  it.effect("cancel(runId) interrupts an in-flight tool, which observes it; one run.finished", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const interrupted = yield* Deferred.make<void>()
      const Hang = Tool.make("hang", {
        description: "never ends",
        parameters: Schema.Struct({}),
        handler: () =>
          Deferred.succeed(started, undefined).pipe(
            Effect.zipRight(Effect.never),
            Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined))
          )
      })
      yield* Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const fiber = yield* Effect.fork(collect(rt.runStream({ agentId: "a", runId: "r1", inputText: "/tool hang {}" })))
      yield* Deferred.await(started)
      assert.isTrue(yield* rt.cancel("r1"))
      const chunks = yield* Fiber.join(fiber)
      assert.isTrue(yield* Deferred.isDone(interrupted))
      const finished = chunks.filter((c) => c.kind === "run.finished")
      assert.strictEqual(finished.length, 1)
      assert.strictEqual(finished[0]!.result!.stopReason, "cancelled")
      assert.strictEqual(finished[0]!.result!.usage.toolCalls, 1)
      assert.deepStrictEqual(chunks.map((c) => c.sequence), chunks.map((_, i) => i))
      assert.isFalse(yield* rt.cancel("r1"))
      }).pipe(Effect.provide(runtimeLayer([{ id: "a", tools: [Hang] }])))
    }))

  it.effect("cancelling during a model call ends cancelled; interrupting runDetailed cancels too", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const fiber = yield* Effect.fork(rt.runDetailed({ agentId: "a", runId: "slow", inputText: "x" }))
      yield* TestClock.adjust("1 seconds")
      assert.isTrue(yield* rt.cancel("slow"))
      const r = yield* Fiber.join(fiber)
      assert.strictEqual(r.stopReason, "cancelled")
      assert.strictEqual(r.usage.llmCalls, 0)

      const [_, events] = yield* withEvents(Effect.gen(function*() {
        const f2 = yield* Effect.fork(rt.runDetailed({ agentId: "a", runId: "slow2", inputText: "x" }))
        yield* TestClock.adjust("1 seconds")
        yield* Fiber.interrupt(f2)
        yield* TestClock.adjust("1 seconds")
      }))
      const fin = events.filter((e) => e.name === "run.finished" && e.runId === "slow2")
      assert.strictEqual(fin.length, 1)
      assert.strictEqual((fin[0]!.name === "run.finished" ? fin[0]!.payload.stopReason : undefined), "cancelled")
    }).pipe(Effect.provide(runtimeLayer([{ id: "a", model: scripted([{ delayMs: 3_600_000, text: "late" }]) }]))))

  it.effect("runs on one session queue; past session_queue_size they fail fast with SessionBusy", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const first = yield* Effect.fork(rt.runDetailed({ agentId: "a", sessionId: "s", inputText: "1" }))
      yield* Effect.yieldNow()
      const second = yield* Effect.fork(rt.runDetailed({ agentId: "a", sessionId: "s", inputText: "2" }))
      yield* Effect.yieldNow()
      const third = yield* Effect.either(rt.runDetailed({ agentId: "a", sessionId: "s", inputText: "3" }))
      assert.isTrue(Either.isLeft(third) && third.left instanceof SessionBusy)
      // another session is not held up by the busy one
      const other = yield* Effect.fork(rt.runDetailed({ agentId: "a", sessionId: "other", inputText: "x" }))
      yield* TestClock.adjust("100 millis")
      assert.strictEqual((yield* Fiber.join(other)).stopReason, "completed")
      assert.isNull(second.unsafePoll())
      yield* TestClock.adjust("100 millis")
      assert.strictEqual((yield* Fiber.join(first)).finalOutput, "Echo: 1 (history=0)")
      yield* TestClock.adjust("100 millis")
      assert.strictEqual((yield* Fiber.join(second)).finalOutput, "Echo: 2 (history=1)")
    }).pipe(Effect.provide(runtimeLayer([{ id: "a", sessionQueueSize: 1, model: delayedEcho }]))))

  it.effect("a run that must wait for its session says so: session.waiting with the runs ahead of it", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const [, events] = yield* withEvents(Effect.gen(function*() {
        const first = yield* Effect.fork(rt.runDetailed({ agentId: "a", sessionId: "s", runId: "r1", inputText: "1" }))
        const second = yield* Effect.fork(rt.runDetailed({ agentId: "a", sessionId: "s", runId: "r2", inputText: "2" }))
        const other = yield* Effect.fork(rt.runDetailed({ agentId: "a", sessionId: "t", runId: "r3", inputText: "3" }))
        yield* TestClock.adjust("1 second")
        for (const f of [first, second, other]) assert.strictEqual((yield* Fiber.join(f)).stopReason, "completed")
      }))
      const waiting = events.filter((e) => e.name === "session.waiting")
      assert.deepStrictEqual(waiting.map((e) => [e.runId, e.name === "session.waiting" ? e.payload.ahead : -1]), [["r2", 1]])
      // after run.started, before the run's first model call
      const r2 = events.filter((e) => e.runId === "r2").map((e) => e.name)
      assert.deepStrictEqual(r2.slice(0, 2), ["run.started", "session.waiting"])
      assert.isBelow(r2.indexOf("session.waiting"), r2.indexOf("llm.called"))
    }).pipe(Effect.provide(runtimeLayer([{ id: "a", model: delayedEcho }]))))

  it.effect("unknown agents are refused with a did-you-mean; run() fails with RunFailed on other stop reasons", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime
      const unknown = yield* Effect.flip(rt.runDetailed({ agentId: "asistant", inputText: "x" }))
      assert.instanceOf(unknown, UnknownAgentError)
      assert.strictEqual((unknown as UnknownAgentError).suggestion, "assistant")
      assert.match(unknown.message, /Did you mean 'assistant'\?/)
      const failed = yield* Effect.flip(rt.run({ agentId: "assistant", inputText: "x", budget: { maxSteps: 1 } }))
      assert.instanceOf(failed, RunFailed)
      assert.strictEqual((failed as RunFailed).result.stopReason, "max_steps")
      assert.strictEqual(yield* rt.run({ agentId: "other", inputText: "x" }), "Echo: x (history=0)")
      assert.deepStrictEqual(yield* rt.listAgents, [{ id: "assistant", name: "Assistant" }, { id: "other", name: "other" }])
      const info = Option.getOrThrow(yield* rt.getAgentInfo("assistant"))
      assert.deepStrictEqual(info.tools, ["add"])
      assert.isTrue(info.loaded)
      assert.isTrue(Option.isNone(yield* rt.getAgentInfo("nobody")))
      assert.strictEqual(yield* rt.sessionCount, 1)
    }).pipe(Effect.provide(runtimeLayer([
      { id: "assistant", name: "Assistant", tools: [Add], model: scripted([{ toolCalls: [{ name: "add", arguments: { a: 1, b: 1 } }] }]) },
      { id: "other" }
    ]))))

  it.live("50 concurrent runs on 10 sessions: streams never mix, sequences are gap-free, sessions serialize", () =>
    Effect.gen(function*() {
      const active = new Map<string, number>()
      let maxPerSession = 0
      let maxOverall = 0
      let overall = 0
      const Probe = Tool.make("probe", {
        description: "records concurrency",
        parameters: Schema.Struct({ session: Schema.String }),
        handler: ({ session }) =>
          Effect.gen(function*() {
            const n = (active.get(session) ?? 0) + 1
            active.set(session, n)
            overall++
            maxPerSession = Math.max(maxPerSession, n)
            maxOverall = Math.max(maxOverall, overall)
            yield* Effect.sleep("3 millis")
            active.set(session, active.get(session)! - 1)
            overall--
            return { session }
          })
      })
      const requests = Array.from({ length: 50 }, (_, i) => {
        const sessionId = `s${i % 10}`
        return {
          agentId: "a",
          sessionId,
          runId: `run-${i}`,
          inputText: i % 2 === 0 ? `/tool probe {"session": "${sessionId}"}` : `message ${i}`
        }
      })
      const layer = runtimeLayer([{ id: "a", tools: [Probe] }])
      const concurrent = yield* Effect.gen(function*() {
        const rt = yield* AgentRuntime
        return yield* Effect.forEach(requests, (r) => collect(rt.runStream(r)), { concurrency: "unbounded" })
      }).pipe(Effect.provide(layer))
      assert.strictEqual(maxPerSession, 1)
      assert.isAbove(maxOverall, 1)
      for (const [i, chunks] of concurrent.entries()) {
        assert.isTrue(chunks.every((c) => c.runId === requests[i]!.runId && c.sessionId === requests[i]!.sessionId))
        assert.deepStrictEqual(chunks.map((c) => c.sequence), chunks.map((_, k) => k))
        assert.strictEqual(chunks[0]!.kind, "run.started")
        assert.strictEqual(chunks.at(-1)!.kind, "run.finished")
        assert.strictEqual(chunks.filter((c) => c.kind === "run.finished").length, 1)
        assert.strictEqual(resultOf(chunks)!.stopReason, "completed")
      }
      // each session's five runs saw 0..4 earlier turns: they ran one at a time
      const bySession = new Map<string, Array<number>>()
      for (const [i, chunks] of concurrent.entries()) {
        const text = chunks.filter((c) => c.kind === "llm.delta").map((c) => c.payload["text"]).join("")
        const history = /history=(\d+)/.exec(text)
        if (history) {
          const list = bySession.get(requests[i]!.sessionId) ?? []
          list.push(Number(history[1]))
          bySession.set(requests[i]!.sessionId, list)
        }
      }
      for (const list of bySession.values()) {
        assert.strictEqual(new Set(list).size, list.length)
      }
      // the same requests one after another give the same results
      const sequential = yield* Effect.gen(function*() {
        const rt = yield* AgentRuntime
        return yield* Effect.forEach(requests, (r) => rt.runDetailed(r))
      }).pipe(Effect.provide(layer))
      const outputs = (results: ReadonlyArray<unknown>) =>
        results.map((r) => String(r).replace(/history=\d+/, "history=?")).sort()
      assert.deepStrictEqual(
        outputs(concurrent.map((c) => resultOf(c)!.finalOutput)),
        outputs(sequential.map((r) => r.finalOutput))
      )
      assert.deepStrictEqual(
        concurrent.map((c) => resultOf(c)!.usage.toolCalls),
        sequential.map((r) => r.usage.toolCalls)
      )
    }))
})

/** The echo mock, 100 ms slower (on the Effect clock) per call. */
const delayedEcho = Layer.effect(
  LanguageModel,
  Effect.map(MockModel.make(), (m) =>
    LanguageModel.of({
      ...m,
      stream: (request) => Stream.unwrap(Effect.as(Effect.sleep("100 millis"), m.stream(request)))
    }))
)
