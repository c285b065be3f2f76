/**
 * Feedback becomes experience: a correction on run 1 of agent A changes the system prompt of A's run 2
 * (in the trace's recorded messages and in what a real provider SDK sent to a loopback server), not the
 * prompt of agent B; negative feedback makes no experience; unknown ids are typed errors naming them.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as EventBus from "../../src/events/EventBus.js"
import * as AnthropicModel from "../../src/llm/AnthropicModel.js"
import * as MockModel from "../../src/llm/MockModel.js"
import * as OpenAiChatModel from "../../src/llm/OpenAiChatModel.js"
import * as Experiences from "../../src/memory/Experiences.js"
import * as SqliteExperienceStore from "../../src/memory/SqliteExperienceStore.js"
import * as AgentRuntime from "../../src/runtime/AgentRuntime.js"
import * as InMemorySessionStore from "../../src/sessions/InMemorySessionStore.js"
import * as Skills from "../../src/skills/Skills.js"
import * as SqliteTraceStore from "../../src/traces/SqliteTraceStore.js"
import * as WireServer from "../support/WireServer.js"

const { Wire } = WireServer

const tempDb = Effect.acquireRelease(
  Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "feedback-"))),
  (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
).pipe(Effect.map((dir) => path.join(dir, "agent.db")))

const RULE = "Always put the totals in a table at the top"

describe("feedback", () => {
  it.scoped("a correction on run 1 of A changes the system prompt of A's run 2, not B's (anthropic wire)", () =>
    Effect.gen(function*() {
      const dbPath = yield* tempDb
      const server = yield* WireServer.make({ replies: Array.from({ length: 4 }, (_, i) => Wire.say(`report ${i}`)) })
      const model = AnthropicModel.layer({ model: "claude-sonnet-4-6", apiKey: "k", baseUrl: server.anthropicBaseUrl })
      const agent = (id: string) => ({ id, instructions: "You write reports.", model, memory: Experiences.layer() })
      const services = Layer.mergeAll(
        InMemorySessionStore.layer,
        EventBus.layer(),
        Skills.layerNone,
        SqliteTraceStore.layer({ dbPath }),
        SqliteExperienceStore.layer({ dbPath })
      )
      yield* Effect.gen(function*() {
        const rt = yield* AgentRuntime.AgentRuntime
        const run1 = yield* rt.runDetailed({ agentId: "A", sessionId: "s1", inputText: "Write the weekly sales report" })
        const trace1 = yield* rt.getTrace(run1.traceId!)
        const llm1 = trace1.steps.find((s) => s.type === "llm_call")!
        assert.notInclude(JSON.stringify(llm1.data["messages"]), RULE)

        // negative feedback: a feedback step, no experience
        const negative = yield* rt.addFeedback({ traceId: run1.traceId!, stepId: llm1.stepId, type: "negative", content: "too long" })
        assert.isUndefined(negative.experienceId)
        assert.lengthOf(yield* rt.listExperiences(), 0)

        const correction = yield* rt.addFeedback({ traceId: run1.traceId!, stepId: llm1.stepId, type: "correction", content: RULE })
        assert.isString(correction.experienceId)
        const [experience] = yield* rt.listExperiences({ agentId: "A" })
        assert.strictEqual(experience!.experienceId, correction.experienceId)
        assert.strictEqual(experience!.scope, "agent:A")
        assert.strictEqual(experience!.confidence, 0.6)
        assert.strictEqual(experience!.source, "feedback")
        assert.strictEqual(experience!.condition, "When performing a task similar to 'Write the weekly sales report'")
        assert.deepStrictEqual(experience!.evidence, [llm1.stepId, correction.feedbackStepId])
        const after = (yield* rt.getTrace(run1.traceId!)).steps
        assert.deepStrictEqual(after.map((s) => s.sequence), after.map((_, i) => i))
        const feedbackStep = after.find((s) => s.stepId === correction.feedbackStepId)!
        assert.strictEqual(feedbackStep.type, "feedback")
        assert.deepStrictEqual(feedbackStep.parentIds, [llm1.stepId])
        const written = after.find((s) => s.stepId === correction.memoryWriteStepId)!
        assert.strictEqual(written.type, "memory_write")
        assert.deepStrictEqual(written.parentIds, [correction.feedbackStepId])
        assert.strictEqual(written.data["experienceId"], correction.experienceId)

        const run2 = yield* rt.runDetailed({ agentId: "A", sessionId: "s2", inputText: "Write the weekly marketing report" })
        const steps2 = (yield* rt.getTrace(run2.traceId!)).steps
        const read = steps2.find((s) => s.type === "memory_read")!
        assert.include(JSON.stringify(read.data["messages"]), RULE)
        const llm2 = steps2.find((s) => s.type === "llm_call")!
        assert.deepStrictEqual(llm2.parentIds, [read.stepId])
        const sent = llm2.data["messages"] as ReadonlyArray<{ _tag: string; content: string }>
        assert.strictEqual(sent[0]!._tag, "system")
        assert.include(sent[0]!.content, "## Relevant experiences")
        assert.include(sent[0]!.content, RULE)
        // what the provider SDK sent: the experience is in the system prompt
        assert.include(JSON.stringify(server.requests[1]!.body.system), RULE)
        assert.include(JSON.stringify(server.requests[1]!.body.system), "You write reports.")
        assert.notInclude(JSON.stringify(server.requests[0]!.body.system), RULE)

        const runB = yield* rt.runDetailed({ agentId: "B", sessionId: "s3", inputText: "Write the weekly marketing report" })
        const stepsB = (yield* rt.getTrace(runB.traceId!)).steps
        assert.notInclude(JSON.stringify(stepsB), RULE)
        assert.notInclude(JSON.stringify(server.requests[2]!.body), RULE)
        assert.strictEqual(server.requests.length, 3)
      }).pipe(Effect.provide(AgentRuntime.layer({ agents: [agent("A"), agent("B")] }).pipe(Layer.provide(services))))
    }))

  it.scoped("positive feedback: confidence 0.8; the chat protocol gets the experience as a system message", () =>
    Effect.gen(function*() {
      const server = yield* WireServer.make({ replies: [Wire.say("one"), Wire.say("two")] })
      const model = OpenAiChatModel.layer({ model: "gpt-4o", apiKey: "k", baseUrl: server.openAiBaseUrl })
      yield* Effect.gen(function*() {
        const rt = yield* AgentRuntime.AgentRuntime
        const run1 = yield* rt.runDetailed({ agentId: "A", inputText: "summarise the incident log" })
        const conclusion = (yield* rt.getTrace(run1.traceId!)).steps.find((s) => s.type === "conclusion")!
        const made = yield* rt.addFeedback({ traceId: run1.runId, stepId: conclusion.stepId, type: "positive", content: "Lead with the root cause" })
        const [e] = yield* rt.listExperiences()
        assert.strictEqual(e!.experienceId, made.experienceId)
        assert.strictEqual(e!.confidence, 0.8)
        yield* rt.runDetailed({ agentId: "A", inputText: "summarise the outage incident" })
        const messages = server.requests[1]!.body.messages as ReadonlyArray<{ role: string; content: string }>
        assert.strictEqual(messages[0]!.role, "system")
        assert.strictEqual(messages[1]!.role, "system")
        assert.include(messages[1]!.content, "Lead with the root cause")
        // edit and delete
        const edited = yield* rt.updateExperience(e!.experienceId, { rule: "Lead with the impact", confidence: 0.9 })
        assert.strictEqual(edited.rule, "Lead with the impact")
        assert.isTrue(yield* rt.deleteExperience(e!.experienceId))
        assert.isFalse(yield* rt.deleteExperience(e!.experienceId))
        assert.lengthOf(yield* rt.listExperiences(), 0)
        // extractExperience: false records the feedback only
        const quiet = yield* rt.addFeedback({
          traceId: run1.runId,
          stepId: conclusion.stepId,
          type: "positive",
          content: "fine",
          extractExperience: false
        })
        assert.isUndefined(quiet.experienceId)
      }).pipe(Effect.provide(AgentRuntime.layerInMemory({
        agents: [{ id: "A", instructions: "Be factual.", model, memory: Experiences.layer() }]
      })))
    }))

  it.scoped("unknown trace and step ids are typed errors naming them", () =>
    Effect.gen(function*() {
      const rt = yield* AgentRuntime.AgentRuntime
      const noTrace = yield* Effect.flip(rt.addFeedback({ traceId: "nope", stepId: "x", type: "positive", content: "c" }))
      assert.strictEqual(noTrace._tag, "TraceNotFound")
      assert.include(noTrace.message, "'nope'")
      const run = yield* rt.runDetailed({ agentId: "a", inputText: "hi" })
      const noStep = yield* Effect.flip(rt.addFeedback({ traceId: run.runId, stepId: "missing-step", type: "positive", content: "c" }))
      assert.strictEqual(noStep._tag, "StepNotFound")
      assert.include(noStep.message, "'missing-step'")
      assert.include(noStep.message, `${run.runId}:0`)
      const noExperience = yield* Effect.flip(rt.updateExperience("ghost", { rule: "r" }))
      assert.strictEqual(noExperience._tag, "ExperienceNotFound")
      assert.include(noExperience.message, "'ghost'")
    }).pipe(Effect.provide(AgentRuntime.layerInMemory({ agents: [{ id: "a", model: MockModel.layer() }] }))))
})
