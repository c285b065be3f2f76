/**
 * A deterministic model for durable-run tests: a pure function of the conversation, so a new process
 * resuming a run gets the same answers. It calls the planned tools in order (one per answer, call id
 * `call_<k>`), then answers `final`.
 */
import { Effect, Layer, Stream } from "effect"
import type { ModelRequest, ModelResponse } from "../../src/kernel/Transcript.js"
import { LanguageModel } from "../../src/llm/LanguageModel.js"
import type { LlmError } from "../../src/kernel/Errors.js"

export interface PlannedCall {
  readonly name: string
  readonly arguments: unknown
}

export const respond = (plan: ReadonlyArray<PlannedCall>, final: string) => (request: ModelRequest): ModelResponse => {
  let lastUser = 0
  request.messages.forEach((m, i) => {
    if (m._tag === "user") lastUser = i
  })
  const k = request.messages.slice(lastUser).filter((m) => m._tag === "tool").length
  const call = plan[k]
  return {
    content: call
      ? [{ _tag: "tool_call", id: `call_${k}`, name: call.name, arguments: call.arguments }]
      : [{ _tag: "text", text: final }],
    stopReason: call ? "tool_use" : "end_turn",
    usage: { inputTokens: 10, outputTokens: 5, cachedInputTokens: 0, cacheCreationInputTokens: 0, reasoningTokens: 0 },
    model: "planned"
  }
}

/** The planned model; `failures(n)` may fail the n-th call (0-based) with an error. */
export const layer = (
  plan: ReadonlyArray<PlannedCall>,
  final: string,
  failures?: (n: number) => LlmError | undefined
) =>
  Layer.sync(LanguageModel, () => {
    let calls = 0
    const generate = (request: ModelRequest) =>
      Effect.suspend(() => {
        const error = failures?.(calls++)
        return error ? Effect.fail(error) : Effect.succeed(respond(plan, final)(request))
      })
    return LanguageModel.of({
      provider: "planned",
      model: "planned",
      pricing: undefined,
      generate,
      stream: (request) => Stream.map(Stream.fromEffect(generate(request)), (response) => ({ _tag: "Finished" as const, response }))
    })
  })
