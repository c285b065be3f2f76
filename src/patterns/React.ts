/**
 * `react`: the model reasons and calls tools natively, the tools run, their results go back, until the
 * model answers without calling a tool.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { responseText, responseToolCalls } from "../kernel/Transcript.js"
import { Pattern } from "./Pattern.js"

/**
 * The ReAct pattern with native tool calling. Tool calls of one model answer run one after another, in
 * the order the model gave them. Resumable: a durable run resumed after the model's final answer was
 * journaled (the conversation ends with an answer that calls no tool) returns that answer without asking
 * the model again.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Pattern["Type"] = Pattern.of({
  name: "react",
  execute: (run) =>
    Effect.gen(function*() {
      const messages = yield* run.messages
      const last = messages[messages.length - 1]
      if (last?._tag === "assistant" && !last.content.some((p) => p._tag === "tool_call")) return responseText(last)
      while (true) {
        const response = yield* run.step()
        const calls = responseToolCalls(response)
        if (calls.length === 0) return responseText(response)
        for (const call of calls) yield* run.callTool(call)
      }
    })
})

/**
 * The ReAct pattern as a Layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Pattern> = Layer.succeed(Pattern, make)
