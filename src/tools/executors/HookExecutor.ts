/**
 * A tool executor that runs your hooks around each call of an inner executor. `before` sees the call and
 * may rewrite its arguments (they are validated against the tool's schema again; invalid ones are a
 * `ToolValidationError` naming the hook) or refuse it by failing; `after` sees the result and may
 * replace it, or withhold it by failing.
 *
 * A hook may return a value, a Promise or an Effect (so plain `.mjs` modules can be hooks). A hook that
 * fails with a tool error (`ToolPolicyDenied`, ...) has it passed on; any other failure or throw becomes
 * `ToolPolicyDenied` with the rule `hook.before` / `hook.after` and the failure's message.
 *
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Layer from "effect/Layer"
import {
  ToolCancelled,
  type ToolError,
  ToolExecutionError,
  ToolNotFound,
  ToolPolicyDenied,
  ToolRateLimited,
  ToolTimeout,
  ToolUnavailable,
  ToolValidationError
} from "../../kernel/Errors.js"
import type { ToolCallPart } from "../../kernel/Transcript.js"
import type { ToolContext } from "../Tool.js"
import * as ToolExecutor from "../ToolExecutor.js"
import * as Foreign from "./internal/foreign.js"

/**
 * What a hook sees of a call.
 *
 * @since 0.2.0
 * @category models
 */
export interface HookCall {
  readonly toolName: string
  readonly arguments: unknown
  readonly callId: string
  readonly runId: string
  readonly sessionId: string
  readonly agentId: string
}

/**
 * What `before` returns: nothing to let the call go as it is, or `{ arguments }` to rewrite them.
 *
 * @since 0.2.0
 * @category models
 */
export type BeforeResult = void | undefined | { readonly arguments: unknown }

/**
 * What `after` returns: nothing to keep the result, or `{ result }` to replace it.
 *
 * @since 0.2.0
 * @category models
 */
export type AfterResult = void | undefined | { readonly result: unknown }

type Returned<A> = A | PromiseLike<A> | Effect.Effect<A, unknown>

/**
 * The hooks (both optional).
 *
 * @since 0.2.0
 * @category models
 */
export interface Hooks {
  readonly before?: ((call: HookCall) => Returned<BeforeResult>) | undefined
  readonly after?: ((call: HookCall, result: unknown) => Returned<AfterResult>) | undefined
}

const toolErrors = [
  ToolNotFound,
  ToolValidationError,
  ToolExecutionError,
  ToolTimeout,
  ToolCancelled,
  ToolRateLimited,
  ToolUnavailable,
  ToolPolicyDenied
] as const

const isToolError = (u: unknown): u is ToolError => toolErrors.some((C) => u instanceof C)

const refusal = (toolName: string, rule: string) => (error: unknown): ToolError =>
  isToolError(error) ? error : new ToolPolicyDenied({ toolName, rule, reason: Foreign.messageOf(error) })

const hookCall = (call: ToolCallPart, context: ToolContext, args: unknown): HookCall => ({
  toolName: call.name,
  arguments: args,
  callId: call.id,
  runId: context.runId,
  sessionId: context.sessionId,
  agentId: context.agentId
})

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null

/**
 * The hook executor over `inner`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (inner: ToolExecutor.Service, hooks: Hooks): ToolExecutor.Service =>
  ToolExecutor.ToolExecutor.of({
    execute: (call, toolkit, context) =>
      Effect.gen(function*() {
        let current = call
        if (hooks.before !== undefined) {
          const before = hooks.before
          const seen = hookCall(call, context, call.arguments ?? {})
          const out = yield* Foreign.call<BeforeResult>(() => before(seen)).pipe(
            Effect.mapError(refusal(call.name, "hook.before"))
          )
          if (isRecord(out) && "arguments" in out) {
            const tool = toolkit.tools.get(call.name)
            if (tool !== undefined) {
              const decoded = tool.decode(out.arguments)
              if (Either.isLeft(decoded)) {
                return yield* new ToolValidationError({
                  toolName: call.name,
                  message: `the arguments rewritten by the before hook are invalid: ${decoded.left}`
                })
              }
            }
            const { rawArguments: _raw, ...rest } = call
            current = { ...rest, arguments: out.arguments as ToolCallPart["arguments"] }
          }
        }
        const result = yield* inner.execute(current, toolkit, context)
        if (hooks.after === undefined) return result
        const after = hooks.after
        const seen = hookCall(current, context, current.arguments ?? {})
        const out = yield* Foreign.call<AfterResult>(() => after(seen, result)).pipe(
          Effect.mapError(refusal(call.name, "hook.after"))
        )
        return isRecord(out) && "result" in out ? out.result : result
      })
  })

/**
 * The hook executor as a Layer over the `ToolExecutor` it is given (see `ToolExecutor.wrap`).
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (hooks: Hooks): Layer.Layer<ToolExecutor.ToolExecutor, never, ToolExecutor.ToolExecutor> =>
  ToolExecutor.wrap((inner) => make(inner, hooks))
