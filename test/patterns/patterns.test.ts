/**
 * The plan_execute and reflexion patterns on the scripted mock, through runStream with their events, and
 * resumed after a run was stopped mid-way: the resumed run makes no model call or tool call twice.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber, Layer, Schema } from "effect"
import * as EventBus from "../../src/events/EventBus.js"
import { type RunStreamChunk, resultOf } from "../../src/kernel/RunStreamChunk.js"
import type { MockStep } from "../../src/llm/MockModel.js"
import * as MockModel from "../../src/llm/MockModel.js"
import { Pattern } from "../../src/patterns/Pattern.js"
import * as PlanExecute from "../../src/patterns/PlanExecute.js"
import * as Reflexion from "../../src/patterns/Reflexion.js"
import * as Resumable from "../../src/patterns/Resumable.js"
import type { AgentDefinition } from "../../src/runtime/Agent.js"
import * as AgentRuntime from "../../src/runtime/AgentRuntime.js"
import * as InMemorySessionStore from "../../src/sessions/InMemorySessionStore.js"
import { SessionStore } from "../../src/sessions/SessionStore.js"
import * as Skills from "../../src/skills/Skills.js"
import * as Tool from "../../src/tools/Tool.js"
import { Add, collect, runtimeLayer, scripted } from "../support/runtime.js"

const kinds = (chunks: ReadonlyArray<RunStreamChunk>) =>
  chunks.filter((c) => c.kind.startsWith("pattern.") || c.kind.startsWith("tool.") || c.kind === "run.finished").map((c) =>
    c.kind === "pattern.phase"
      ? `phase:${c.payload.phase}`
      : c.kind === "pattern.step_started"
      ? `step:${c.payload.index}`
      : c.kind === "pattern.step_finished"
      ? `done:${c.payload.index}:${c.payload.status}`
      : c.kind === "pattern.reflection"
      ? `reflect:${c.payload.trigger}:${c.payload.verdict}`
      : c.kind
  )

const PLAN_SCRIPT: ReadonlyArray<MockStep> = [
  { text: `{"plan": ["add 2 and 3", {"description": "double it"}]}` },
  { toolCalls: [{ name: "add", arguments: { a: 2, b: 3 } }] },
  { text: "2 + 3 = 5" },
  { toolCalls: [{ name: "add", arguments: { a: 5, b: 5 } }] },
  { text: "doubled: 10" },
  { text: "The answer is 10" }
]

const planAgent = (script: ReadonlyArray<MockStep>, options?: PlanExecute.Options, extra?: Partial<AgentDefinition>): AgentDefinition => ({
  id: "a",
  model: scripted(script),
  tools: [Add],
  pattern: PlanExecute.layer(options),
  ...extra
})

describe("plan_execute", () => {
  it.effect("plans, carries the plan out step by step with tools, answers; the plan is in the result's metadata", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      const chunks = yield* collect(rt.runStream({ agentId: "a", sessionId: "s", inputText: "double 2 + 3" }))
      const result = resultOf(chunks)!
      assert.strictEqual(result.stopReason, "completed")
      assert.strictEqual(result.finalOutput, "The answer is 10")
      assert.deepStrictEqual(result.metadata["plan"], [{ description: "add 2 and 3" }, { description: "double it" }])
      assert.deepStrictEqual(kinds(chunks), [
        "phase:planning",
        "pattern.plan_created",
        "phase:executing",
        "step:0",
        "tool.started",
        "tool.finished",
        "done:0:done",
        "step:1",
        "tool.started",
        "tool.finished",
        "done:1:done",
        "phase:answering",
        "run.finished"
      ])
      const created = chunks.find((c) => c.kind === "pattern.plan_created")
      assert.deepStrictEqual(created?.kind === "pattern.plan_created" ? created.payload.revision : undefined, 0)
      assert.strictEqual(result.usage.llmCalls, 6)
      assert.strictEqual(result.usage.toolCalls, 2)
    }).pipe(Effect.provide(runtimeLayer([planAgent(PLAN_SCRIPT)]))))

  it.effect("a step that fails is re-planned, a bounded number of times", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      const chunks = yield* collect(rt.runStream({ agentId: "a", inputText: "task" }))
      const result = resultOf(chunks)!
      assert.strictEqual(result.finalOutput, "done anyway")
      assert.deepStrictEqual(kinds(chunks), [
        "phase:planning",
        "pattern.plan_created",
        "phase:executing",
        "step:0",
        "done:0:failed",
        "phase:planning",
        "pattern.plan_created",
        "phase:executing",
        "step:0",
        "done:0:failed",
        "phase:answering",
        "run.finished"
      ])
      const revisions = chunks.flatMap((c) => (c.kind === "pattern.plan_created" ? [c.payload.revision] : []))
      assert.deepStrictEqual(revisions, [0, 1])
      assert.deepStrictEqual(result.metadata["plan"], [{ description: "try again differently" }])
    }).pipe(Effect.provide(runtimeLayer([planAgent([
      { text: `{"plan": ["try"]}` },
      { text: "FAILED: the door is locked" },
      { text: `{"plan": ["try again differently"]}` },
      { text: "FAILED: still locked" },
      { text: "done anyway" }
    ], { maxReplans: 1 })]))))

  it.effect("an unusable plan is sent back once, then the task itself is the one step", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      const chunks = yield* collect(rt.runStream({ agentId: "a", inputText: "just do it" }))
      const result = resultOf(chunks)!
      assert.strictEqual(result.finalOutput, "final")
      assert.deepStrictEqual(result.metadata["plan"], [{ description: "just do it" }])
      const session = yield* Effect.flatMap(SessionStore, (store) => store.loadMessages("default"))
      const feedback = session.find((m) => m.message._tag === "user" && m.message.content.startsWith("That is not a usable plan"))
      // the first answer was no JSON; the second had too many steps: the task became the one step
      assert.match(feedback?.message._tag === "user" ? feedback.message.content : "", /the plan is not valid JSON/)
    }).pipe(Effect.provide(runtimeLayer([planAgent([
      { text: "I would rather not plan" },
      { text: `{"plan": ["a", "b", "c"]}` },
      { text: "did it" },
      { text: "final" }
    ], { maxPlanSteps: 2 })]))))

  it("parsePlan accepts bare and fenced JSON and names what is wrong", () => {
    const fenced = PlanExecute.parsePlan("```json\n{\"plan\": [\"x\"]}\n```", 3)
    assert.deepStrictEqual(fenced._tag === "Right" ? fenced.right : fenced.left, [{ description: "x" }])
    const long = PlanExecute.parsePlan(`{"plan": ["a", "b", "c"]}`, 2)
    assert.isTrue(long._tag === "Left" && /has 3 steps, more than 2/.test(long.left))
    const empty = PlanExecute.parsePlan(`{"plan": []}`, 3)
    assert.isTrue(empty._tag === "Left" && /at least 1/.test(empty.left), JSON.stringify(empty))
    const prose = PlanExecute.parsePlan("first, I will", 3)
    assert.isTrue(prose._tag === "Left" && /not valid JSON/.test(prose.left))
  })
})

describe("reflexion", () => {
  it.effect("reviews its answer; a revise verdict sends it back with the critique, then it accepts", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      const chunks = yield* collect(rt.runStream({ agentId: "a", sessionId: "s", inputText: "what is 2 + 3?" }))
      const result = resultOf(chunks)!
      assert.strictEqual(result.finalOutput, "2 + 3 = 5")
      assert.deepStrictEqual(kinds(chunks), [
        "tool.started",
        "tool.finished",
        "reflect:tool_failure:revise",
        "tool.started",
        "tool.finished",
        "reflect:answer:revise",
        "reflect:answer:accept",
        "run.finished"
      ])
      const reflections = chunks.flatMap((c) => (c.kind === "pattern.reflection" ? [c.payload] : []))
      assert.strictEqual(reflections[1]!.critique, "show the sum")
      assert.deepStrictEqual(reflections.map((r) => r.attempt), [0, 0, 1])
      assert.strictEqual(result.metadata["reflections"], 3)
      // the critique went back to the model
      const messages = yield* Effect.flatMap(SessionStore, (store) => store.loadMessages("s"))
      assert.isTrue(messages.some((m) => m.message._tag === "user" && m.message.content.includes("show the sum")))
    }).pipe(Effect.provide(runtimeLayer([{
      id: "a",
      tools: [Add],
      pattern: Reflexion.layer(),
      model: scripted([
        { toolCalls: [{ name: "add", arguments: { a: "two", b: 3 } }] },
        { text: "I passed a word for a number; I will pass 2." },
        { toolCalls: [{ name: "add", arguments: { a: 2, b: 3 } }] },
        { text: "5" },
        { text: `{"verdict": "revise", "critique": "show the sum"}` },
        { text: "2 + 3 = 5" },
        { text: "```json\n{\"verdict\": \"accept\"}\n```" }
      ])
    }]))))

  it.effect("max_retries bounds the revisions: the last answer stands", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      const result = yield* rt.runDetailed({ agentId: "a", inputText: "q" })
      assert.strictEqual(result.finalOutput, "second")
      assert.strictEqual(result.metadata["reflections"], 2)
      assert.strictEqual(result.usage.llmCalls, 4)
    }).pipe(Effect.provide(runtimeLayer([{
      id: "a",
      pattern: Reflexion.layer({ maxRetries: 1 }),
      model: scripted([
        { text: "first" },
        { text: `{"verdict": "revise", "critique": "no"}` },
        { text: "second" },
        { text: `{"verdict": "revise", "critique": "still no"}` },
        { text: "never asked" }
      ])
    }]))))
})

// ---------------------------------------------------------------------------------------------------------
// resumed after a stop mid-run
// ---------------------------------------------------------------------------------------------------------

/** A tool that hangs on its first call in a process (the "crash" point), and answers after. */
const hangingAdd = (hang: { first: boolean }, calls: Array<string>) =>
  Tool.make("add", {
    description: "Adds two numbers",
    parameters: Schema.Struct({ a: Schema.Number, b: Schema.Number }),
    handler: ({ a, b }, context) =>
      Effect.suspend(() => {
        calls.push(context.callId)
        if (hang.first) {
          hang.first = false
          return Effect.never
        }
        return Effect.succeed(a + b)
      })
  })

const services = Layer.mergeAll(InMemorySessionStore.layer, EventBus.layer(), Skills.layerNone)

/** Runs once uninterrupted, then once stopped at the hanging tool and resumed by a second runtime. */
const stopAndResume = (agentOf: (tool: Tool.Tool) => AgentDefinition) =>
  Effect.gen(function*() {
    const store = yield* SessionStore
    const request = { agentId: "a", inputText: "double 2 + 3", durable: true } as const
    const plainCalls: Array<string> = []
    const plain = yield* AgentRuntime.make({ agents: [agentOf(hangingAdd({ first: false }, plainCalls))] })
    const uninterrupted = yield* plain.runDetailed({ ...request, sessionId: "plain", runId: "p" })

    const calls: Array<string> = []
    const hanging = yield* AgentRuntime.make({ agents: [agentOf(hangingAdd({ first: true }, calls))] })
    const fiber = yield* Effect.fork(hanging.runDetailed({ ...request, sessionId: "s", runId: "r" }))
    yield* Effect.repeat(Effect.sync(() => calls.length), { until: (n) => n > 0 })
    assert.isTrue(yield* hanging.cancel("r"))
    assert.strictEqual((yield* Fiber.join(fiber)).stopReason, "cancelled")
    const checkpoint = (yield* store.listCheckpoints("s")).at(-1)!.checkpointId
    const resumedRuntime = yield* AgentRuntime.make({ agents: [agentOf(hangingAdd({ first: false }, calls))] })
    const resumed = yield* resumedRuntime.runDetailed({ ...request, sessionId: "s", resumeFromCheckpoint: checkpoint })
    const tags = (sid: string) =>
      Effect.map(store.loadMessages(sid), (ms) => ms.map((m) => (m.message._tag === "user" ? `user:${m.message.content.slice(0, 20)}` : m.message._tag)))
    return { uninterrupted, resumed, calls, plainCalls, plainTags: yield* tags("plain"), resumedTags: yield* tags("s") }
  })

describe("patterns resumed after a stop", () => {
  it.scoped("plan_execute: the resumed run goes on at its step; no model call is made twice", () =>
    Effect.gen(function*() {
      const o = yield* stopAndResume((tool) => ({ ...planAgent(PLAN_SCRIPT), tools: [tool] }))
      assert.strictEqual(o.uninterrupted.finalOutput, "The answer is 10")
      assert.strictEqual(o.resumed.stopReason, "completed")
      assert.strictEqual(o.resumed.finalOutput, "The answer is 10")
      assert.deepStrictEqual(o.resumed.metadata["plan"], o.uninterrupted.metadata["plan"])
      assert.deepStrictEqual(o.resumedTags, o.plainTags)
      assert.strictEqual(o.resumed.usage.llmCalls, o.uninterrupted.usage.llmCalls)
      // the tool call that hung ran again (add is idempotent), the later one once
      assert.deepStrictEqual(o.calls, ["call_1_0", "call_1_0", "call_3_0"])
    }).pipe(Effect.provide(services)))

  it.scoped("reflexion: the resumed run goes on where it stood", () =>
    Effect.gen(function*() {
      const o = yield* stopAndResume((tool) => ({
        id: "a",
        tools: [tool],
        pattern: Reflexion.layer(),
        model: scripted([
          { text: "a first answer" },
          { text: `{"verdict": "revise", "critique": "use the tool"}` },
          { toolCalls: [{ name: "add", arguments: { a: 2, b: 3 } }] },
          { text: "10" },
          { text: `{"verdict": "accept"}` }
        ])
      }))
      assert.strictEqual(o.resumed.finalOutput, "10")
      assert.deepStrictEqual(o.resumedTags, o.plainTags)
      assert.strictEqual(o.resumed.usage.llmCalls, o.uninterrupted.usage.llmCalls)
      assert.strictEqual(o.resumed.metadata["reflections"], 2)
    }).pipe(Effect.provide(services)))
})

describe("Resumable", () => {
  const draftThenPolish = Pattern.of({
    name: "draft-then-polish",
    execute: (run) =>
      Effect.gen(function*() {
        const steps = yield* Resumable.make(run)
        yield* steps.act()
        yield* steps.say("Polish it.")
        return (yield* steps.act()).text
      })
  })

  it.effect("under structured output, a rejected answer makes the pattern start a new attempt after the feedback", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      const result = yield* rt.runDetailed({ agentId: "a", inputText: "q", outputType: Schema.Struct({ n: Schema.Number }) })
      assert.strictEqual(result.stopReason, "completed")
      assert.deepStrictEqual(result.finalOutput, { n: 2 })
      assert.strictEqual(result.usage.llmCalls, 4)
    }).pipe(Effect.provide(runtimeLayer([{
      id: "a",
      pattern: Layer.succeed(Pattern, draftThenPolish),
      model: scripted([{ text: "draft" }, { text: "not json" }, { text: "draft 2" }, { text: `{"n": 2}` }])
    }]))))

  it.scoped("a pattern that does not replay its conversation is a defect naming the place", () =>
    Effect.gen(function*() {
      let asked = "first"
      const fickle = Pattern.of({
        name: "fickle",
        execute: (run) =>
          Effect.gen(function*() {
            const steps = yield* Resumable.make(run)
            yield* steps.say(asked)
            return (yield* steps.act()).text
          })
      })
      const runtime = yield* AgentRuntime.make({ agents: [{ id: "a", pattern: Layer.succeed(Pattern, fickle), model: MockModel.layer() }] })
      const store = yield* SessionStore
      assert.strictEqual((yield* runtime.runDetailed({ agentId: "a", sessionId: "s", runId: "r", inputText: "hi", durable: true })).stopReason, "completed")
      asked = "second"
      // the checkpoint after the model's answer (the last one, after the output, would not run the pattern)
      const checkpoint = (yield* store.listCheckpoints("s")).find((c) => c.checkpointId === "r:step:1")!.checkpointId
      const exit = yield* Effect.exit(runtime.run({ agentId: "a", sessionId: "s", inputText: "hi", resumeFromCheckpoint: checkpoint, durable: true }))
      assert.isTrue(Exit.isFailure(exit))
      const text = Exit.isFailure(exit) ? Cause.pretty(exit.cause) : ""
      assert.match(text, /does not replay its conversation: at message 0 of this attempt it makes the user message "second", the conversation holds a user message "first"/)
    }).pipe(Effect.provide(services)))
})
