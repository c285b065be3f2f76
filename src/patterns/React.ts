/**
 * `react`: the model reasons and calls tools natively, the tools run, their results go back, until the
 * model answers without calling a tool.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { RunError } from "../kernel/Errors.js"
import { responseText, responseToolCalls } from "../kernel/Transcript.js"
import { Pattern } from "./Pattern.js"

/**
 * The ReAct pattern with native tool calling. The tool calls of one model answer run as a batch (see
 * `RunContext.callTools`: concurrency-safe tools at the same time, any other alone), their results going
 * back in the order the model gave them. Resumable: a durable run resumed after the model's final answer was
 * journaled (the conversation ends with an answer that calls no tool) returns that answer without asking
 * the model again.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Pattern["Type"] = Pattern.of({
  name: "react",
  execute: (run) =>
    Effect.flatMap(run.messages, (messages) => {
      const last = messages[messages.length - 1]
      if (last?._tag === "assistant" && !last.content.some((p) => p._tag === "tool_call")) {
        return Effect.succeed(responseText(last))
      }
      // a loop of flatMaps rather than Effect.gen: the loop runs once per step, on the hot path
      const loop: Effect.Effect<string, RunError> = Effect.flatMap(run.step(), (response) => {
        const calls = responseToolCalls(response)
        if (calls.length === 0) return Effect.succeed(responseText(response))
        return calls.length === 1
          ? Effect.flatMap(run.callTool(calls[0]!), () => loop)
          : Effect.flatMap(run.callTools(calls), () => loop)
      })
      return loop
    })
})

/**
 * The ReAct pattern as a Layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Pattern> = Layer.succeed(Pattern, make)
