/**
 * Steps of a pattern that a resumed run replays instead of doing again. A pattern written with these
 * steps (`say`, `step`, `act`) is resumable by construction: a durable run killed anywhere in it, and
 * resumed in a new process, rebuilds its conversation from the journal, and the pattern's code runs again
 * from its start, each step taking its outcome from that conversation (`RunContext.attempt`) for as long
 * as it holds one, then going on live. No model call, tool call or message is made twice.
 *
 * The pattern must be deterministic given its conversation: the same steps in the same order, decided only
 * from what earlier steps returned. A step that finds something else in the conversation than what it
 * would have made (the pattern's code changed between the crash and the resume) is a defect naming the
 * place.
 *
 * @example
 * const draftThenPolish = Pattern.of({
 *   name: "draft-then-polish",
 *   execute: (run) =>
 *     Effect.gen(function*() {
 *       const steps = yield* Resumable.make(run)
 *       yield* steps.act()
 *       yield* steps.say("Polish it.")
 *       return yield* steps.act()
 *     })
 * })
 *
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"
import type { RunError } from "../kernel/Errors.js"
import type { EventPayload } from "../kernel/EventTaxonomy.js"
import type * as RunContext from "../kernel/RunContext.js"
import {
  type Message,
  type ModelResponse,
  responseText,
  responseToolCalls,
  type ToolCallPart,
  emptyModelUsage
} from "../kernel/Transcript.js"

/**
 * The steps of one attempt of a pattern.
 *
 * @since 0.2.0
 * @category models
 */
export interface Steps {
  /** Adds a user message (the pattern's instruction to the model). */
  readonly say: (text: string) => Effect.Effect<void>
  /** One model call; the answer is in the conversation when it returns. */
  readonly step: (options?: RunContext.StepOptions) => Effect.Effect<ModelResponse, RunError>
  /** Runs tool calls (a batch, see `RunContext.callTools`); their results are in the conversation. */
  readonly callTools: (calls: ReadonlyArray<ToolCallPart>) => Effect.Effect<ReadonlyArray<RunContext.ToolOutcome>, RunError>
  /**
   * Model calls and their tool calls until the model answers without calling a tool: the ReAct loop.
   * Returns the answer's text, and every tool result on the way (`failures` counts those that failed).
   */
  readonly act: (options?: RunContext.StepOptions) => Effect.Effect<ActOutcome, RunError>
  /** Whether the steps so far came from the conversation (a resumed run) rather than being made now. */
  readonly replaying: Effect.Effect<boolean>
  /**
   * Publishes a pattern event, unless the steps are replaying: the attempt that made them published it.
   */
  readonly emit: <K extends RunContext.PatternEventName>(name: K, payload: EventPayload<K>) => Effect.Effect<void>
}

/**
 * What {@link Steps.act} returns.
 *
 * @since 0.2.0
 * @category models
 */
export interface ActOutcome {
  readonly text: string
  readonly toolCalls: number
  readonly failures: ReadonlyArray<{ readonly toolName: string; readonly content: string }>
}

const describe = (m: Message | undefined): string =>
  m === undefined ? "the end of the conversation" : m._tag === "user" ? `a user message "${m.content.slice(0, 60)}"` : `a ${m._tag} message`

const diverged = (at: number, expected: string, found: Message | undefined) =>
  Effect.dieMessage(
    `the pattern does not replay its conversation: at message ${at} of this attempt it makes ${expected}, ` +
      `the conversation holds ${describe(found)} (was the pattern changed, or does it decide from something else than its steps?)`
  )

/**
 * The steps of the current attempt of `run`'s pattern, replaying what `RunContext.attempt` holds.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (run: RunContext.Service): Effect.Effect<Steps> =>
  Effect.map(run.attempt, (recorded) => {
    let cursor = 0
    const say = (text: string): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (cursor >= recorded.length) return run.appendMessage({ _tag: "user", content: text })
        const found = recorded[cursor]!
        if (found._tag !== "user" || found.content !== text) return diverged(cursor, `the user message "${text.slice(0, 60)}"`, found)
        cursor++
        return Effect.void
      })
    const step = (options?: RunContext.StepOptions): Effect.Effect<ModelResponse, RunError> =>
      Effect.suspend(() => {
        if (cursor >= recorded.length) return run.step(options)
        const found = recorded[cursor]!
        if (found._tag !== "assistant") return diverged(cursor, "a model call", found)
        cursor++
        // counted when it was made: the usage of the run was rebuilt from the journal
        return Effect.succeed<ModelResponse>({ content: found.content, stopReason: "other", usage: emptyModelUsage, model: "" })
      })
    const callTools = (calls: ReadonlyArray<ToolCallPart>): Effect.Effect<ReadonlyArray<RunContext.ToolOutcome>, RunError> =>
      Effect.suspend(() => {
        const replayed: Array<RunContext.ToolOutcome> = []
        let i = 0
        for (; i < calls.length && cursor < recorded.length; i++) {
          const found = recorded[cursor]!
          if (found._tag !== "tool" || found.toolCallId !== calls[i]!.id) return diverged(cursor, `the result of tool call ${calls[i]!.id}`, found)
          cursor++
          replayed.push({ callId: found.toolCallId, toolName: found.toolName, isError: found.isError === true, result: undefined, content: found.content })
        }
        if (i === calls.length) return Effect.succeed(replayed)
        const rest = calls.slice(i)
        const live = rest.length === 1 ? Effect.map(run.callTool(rest[0]!), (o) => [o]) : run.callTools(rest)
        return Effect.map(live, (outcomes) => [...replayed, ...outcomes])
      })
    const act = (options?: RunContext.StepOptions): Effect.Effect<ActOutcome, RunError> => {
      let toolCalls = 0
      const failures: Array<{ readonly toolName: string; readonly content: string }> = []
      const loop: Effect.Effect<ActOutcome, RunError> = Effect.flatMap(step(options), (response) => {
        const calls = responseToolCalls(response)
        if (calls.length === 0) return Effect.succeed({ text: responseText(response), toolCalls, failures })
        return Effect.flatMap(callTools(calls), (outcomes) => {
          toolCalls += outcomes.length
          for (const o of outcomes) if (o.isError) failures.push({ toolName: o.toolName, content: o.content })
          return loop
        })
      })
      return loop
    }
    return {
      say,
      step,
      callTools,
      act,
      replaying: Effect.sync(() => cursor < recorded.length),
      emit: (name, payload) => Effect.suspend(() => (cursor < recorded.length ? Effect.void : run.emitPattern(name, payload)))
    }
  })
