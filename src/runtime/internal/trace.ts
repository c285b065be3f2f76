/**
 * Spans for runs, steps and tool calls, named and annotated after OpenTelemetry's GenAI semantic
 * conventions (`invoke_agent {agent}`, `chat {model}`, `execute_tool {tool}`). A span costs 5 to 15 µs in
 * Effect 3 (more than a whole step of the loop), and without a tracer of its own an app has nowhere to
 * send it: spans are recorded only when the run's fiber has a tracer other than Effect's default
 * (OpenTelemetry's, or any `Effect.withTracer`). Off, a step pays one boolean test and nothing else: the
 * attributes are built inside the `on` branch. Private to the runtime.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Tracer from "effect/Tracer"
import type { RunRequest, RunResult } from "../../kernel/Run.js"
import type { ToolCallPart } from "../../kernel/Transcript.js"
import * as LanguageModel from "../../llm/LanguageModel.js"
import type { AgentEnv } from "./env.js"

const defaultTracer: Tracer.Tracer = Effect.runSync(Effect.tracer)

/** Whether the current fiber sends spans somewhere. */
export const tracing: Effect.Effect<boolean> = Effect.map(Effect.tracer, (tracer) => tracer !== defaultTracer)

/**
 * `effect` in a span when `on`, as it is otherwise. The span's name and attributes are built only for a
 * span that is recorded (this runs on every step and tool call, and a name like `chat {model}` is a string
 * to allocate). `after` adds attributes from the value.
 */
export const span = <A, E, R>(
  on: boolean,
  describe: () => readonly [name: string, attributes: Record<string, unknown>],
  effect: Effect.Effect<A, E, R>,
  after?: (value: A) => Record<string, unknown>
): Effect.Effect<A, E, R> => {
  if (!on) return effect
  const [name, attributes] = describe()
  return Effect.withSpan(
    after ? Effect.tap(effect, (value) => Effect.annotateCurrentSpan(after(value))) : effect,
    name,
    { attributes, captureStackTrace: false }
  )
}

const ids = (request: RunRequest) => ({
  "openagents.run.id": request.runId,
  "openagents.session.id": request.sessionId
})

/** The name and attributes of a model step's span, before the call. */
export const step = (request: RunRequest, agent: AgentEnv, step: number) => [`chat ${agent.model.model}`, {
  ...LanguageModel.requestSpanAttributes(agent.model.provider, agent.model.model),
  "gen_ai.agent.id": agent.id,
  "openagents.step": step,
  ...ids(request)
}] as const

/** The attributes of a model step's span, from its response. */
export const responseAttributes = LanguageModel.responseSpanAttributes

/** The name and attributes of a tool call's span. */
export const tool = (request: RunRequest, agent: AgentEnv, call: ToolCallPart) => [`execute_tool ${call.name}`, {
  "gen_ai.operation.name": "execute_tool",
  "gen_ai.tool.name": call.name,
  "gen_ai.tool.call.id": call.id,
  "gen_ai.tool.type": "function",
  "gen_ai.agent.id": agent.id,
  ...ids(request)
}] as const

/**
 * Opens the span of a run (`invoke_agent {agent}`), or nothing when tracing is off. The run's body runs
 * under it ({@link within}); {@link endRun} closes it with the result, so that the span carries the run's
 * usage and stop reason, which are known only once the result is made.
 */
export const startRun = (on: boolean, request: RunRequest, agent: AgentEnv): Effect.Effect<Tracer.Span | undefined> =>
  on
    ? Effect.makeSpan(`invoke_agent ${agent.name || agent.id}`, {
      kind: "internal",
      captureStackTrace: false,
      attributes: {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.provider.name": agent.model.provider,
        "gen_ai.system": agent.model.provider,
        "gen_ai.request.model": agent.model.model,
        "gen_ai.agent.id": agent.id,
        "gen_ai.agent.name": agent.name,
        "gen_ai.conversation.id": request.sessionId,
        ...ids(request),
        ...(request.parentRunId ? { "openagents.run.parent_id": request.parentRunId } : {})
      }
    })
    : noSpan

const noSpan: Effect.Effect<undefined> = Effect.succeed(undefined)

/** `effect` with `span` as its parent span, or as it is without one. */
export const within = <A, E, R>(span: Tracer.Span | undefined, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  span ? Effect.withParentSpan(effect, span) : effect

/** Closes a run's span with its result: usage equal to the result's `RunUsage`, an error for `failed`. */
export const endRun = (span: Tracer.Span, result: RunResult, endNanos: bigint): void => {
  const usage = result.usage
  span.attribute("openagents.run.stop_reason", result.stopReason)
  span.attribute("gen_ai.usage.input_tokens", usage.inputTokens)
  span.attribute("gen_ai.usage.output_tokens", usage.outputTokens)
  span.attribute("gen_ai.usage.cache_read.input_tokens", usage.inputTokensCached)
  span.attribute("gen_ai.usage.cache_creation.input_tokens", usage.inputTokensCacheCreation)
  span.attribute("openagents.usage.llm_calls", usage.llmCalls)
  span.attribute("openagents.usage.tool_calls", usage.toolCalls)
  if (usage.costUsd !== null) span.attribute("openagents.usage.cost_usd", usage.costUsd)
  if (result.error) {
    span.attribute("error.type", result.error.tag)
  }
  // a run that failed is an error span; a budget, a timeout or a cancellation is an outcome, not an error
  const exit = result.stopReason === "failed" && result.error
    ? Exit.fail(Object.assign(new Error(result.error.message), { name: result.error.tag }))
    : Exit.void
  span.end(endNanos, exit)
}
