/**
 * The tool executor seam: runs one tool call. The default executor finds the tool, validates the
 * arguments against its schema, enforces its timeout and maps every failure to a typed tool error.
 * Interruption is not an error: it passes through to the tool, which observes it.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Runtime from "effect/Runtime"
import * as Option from "effect/Option"
import {
  ToolExecutionError,
  type ToolError,
  ToolNotFound,
  ToolPolicyDenied,
  ToolRateLimited,
  ToolTimeout,
  ToolUnavailable,
  ToolValidationError
} from "../kernel/Errors.js"
import type { ToolCallPart } from "../kernel/Transcript.js"
import { closest } from "../internal/suggest.js"
import type { ToolContext } from "./Tool.js"
import type * as Toolkit from "./Toolkit.js"

/**
 * What an executor implements.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly execute: (
    call: ToolCallPart,
    toolkit: Toolkit.Service,
    context: ToolContext
  ) => Effect.Effect<unknown, ToolError>
}

/**
 * The tool executor used by an agent.
 *
 * @since 0.1.0
 * @category tags
 */
export class ToolExecutor extends Context.Tag("openagents/ToolExecutor")<ToolExecutor, Service>() {}

/**
 * Runs `effect` under a timeout without paying for one when it does not wait: it runs synchronously as
 * far as it can (most tools answer without waiting), and only an effect that suspends gets a fiber and a
 * timer. An `Effect.timeout` around every call forks a fiber, sets a timer and races them: about 30 µs,
 * more than the rest of a step.
 */
const withTimeout = <A, E>(
  effect: Effect.Effect<A, E>,
  timeoutMs: number,
  onTimeout: () => E
): Effect.Effect<A, E> =>
  Effect.flatMap(Effect.runtime<never>(), (runtime) => {
    const exit = Runtime.runSyncExit(runtime)(effect)
    if (!(Exit.isFailure(exit) && Cause.isDieType(exit.cause) && Runtime.isAsyncFiberException(exit.cause.defect))) {
      return exit
    }
    // the effect is waiting (I/O, a sleep): its fiber goes on, and is joined under the timeout
    const fiber = exit.cause.defect.fiber as Fiber.RuntimeFiber<A, E>
    return Fiber.join(fiber).pipe(
      Effect.onInterrupt(() => Fiber.interrupt(fiber)),
      Effect.timeoutFail({ duration: Duration.millis(timeoutMs), onTimeout })
    )
  })

/**
 * Options of the default executor.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Timeout of a tool that declares none (default 30 000 ms). */
  readonly defaultTimeoutMs?: number
}

const messageOf = (error: unknown): string => {
  if (error instanceof Error) return error.message || error.name
  if (typeof error === "object" && error !== null && typeof (error as { message?: unknown }).message === "string") {
    return (error as { message: string }).message
  }
  if (typeof error === "string") return error
  try {
    const json = JSON.stringify(error)
    if (typeof json === "string") return json
  } catch {
    // circular or BigInt: fall back to String()
  }
  try {
    return String(error)
  } catch {
    return "Unknown error"
  }
}

/**
 * The tool errors a handler may fail with that reach the model as they are (named after the call, since
 * a tool configured under another id does not know the name the model used): rate limits and outages,
 * which a retry executor retries honouring `retryAfterMs`, and policy refusals.
 */
const passThrough = (error: unknown, toolName: string): ToolError | undefined => {
  if (error instanceof ToolRateLimited || error instanceof ToolUnavailable) {
    if (error.toolName === toolName) return error
    const fields = {
      toolName,
      message: error.message,
      ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {})
    }
    return error._tag === "ToolRateLimited" ? new ToolRateLimited(fields) : new ToolUnavailable(fields)
  }
  if (error instanceof ToolPolicyDenied) {
    return error.toolName === toolName ? error : new ToolPolicyDenied({ toolName, rule: error.rule, reason: error.reason })
  }
  return undefined
}

/**
 * Builds the default executor.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: Options): Service => {
  const defaultTimeoutMs = options?.defaultTimeoutMs ?? 30_000
  return ToolExecutor.of({
    execute: (call, toolkit, context) =>
      Effect.suspend((): Effect.Effect<unknown, ToolError> => {
        const tool = toolkit.tools.get(call.name)
        if (!tool) {
          const available = [...toolkit.tools.keys()]
          const suggestion = closest(call.name, available)
          return Effect.fail(
            new ToolNotFound({ toolName: call.name, available, ...(suggestion ? { suggestion } : {}) })
          )
        }
        if (call.rawArguments !== undefined && call.arguments === undefined) {
          return Effect.fail(
            new ToolValidationError({
              toolName: call.name,
              message: `arguments are not valid JSON: ${call.rawArguments.slice(0, 200)}`
            })
          )
        }
        const decoded = tool.decode(call.arguments ?? {})
        if (Either.isLeft(decoded)) {
          return Effect.fail(new ToolValidationError({ toolName: call.name, message: decoded.left }))
        }
        const timeoutMs = tool.timeoutMs ?? defaultTimeoutMs
        const toToolError = (cause: Cause.Cause<unknown>): Effect.Effect<never, ToolError> => {
          if (Cause.isInterruptedOnly(cause)) return Effect.failCause(cause as Cause.Cause<never>)
          const failure = Cause.failureOption(cause)
          const error = failure._tag === "Some" ? failure.value : Cause.squash(cause)
          const passed = failure._tag === "Some" ? passThrough(error, call.name) : undefined
          if (passed !== undefined) return Effect.fail(passed)
          const retryAfterMs = (error as { retryAfterMs?: unknown } | null)?.retryAfterMs
          return Effect.fail(
            new ToolExecutionError({
              toolName: call.name,
              message: messageOf(error),
              retryable: (error as { retryable?: unknown } | null)?.retryable === true,
              ...(typeof retryAfterMs === "number" && retryAfterMs >= 0 ? { retryAfterMs } : {})
            })
          )
        }
        let effect: Effect.Effect<unknown, unknown>
        try {
          effect = tool.handler(decoded.right, context)
        } catch (defect) {
          return toToolError(Cause.die(defect))
        }
        // a handler that answered at once (Effect.succeed, Effect.fail) has nothing left to time
        if (Exit.isExit(effect)) return Exit.isSuccess(effect) ? Exit.succeed(effect.value) : toToolError(effect.cause)
        return withTimeout<unknown, ToolError>(
          Effect.catchAllCause(effect, toToolError),
          timeoutMs,
          () => new ToolTimeout({ toolName: call.name, timeoutMs })
        )
      })
  })
}

/**
 * The default executor as a Layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: Options): Layer.Layer<ToolExecutor> => Layer.succeed(ToolExecutor, make(options))

/**
 * A Layer of an executor that wraps another: it requires the inner `ToolExecutor` and provides the one
 * `f` makes of it. Executors compose by providing one Layer to the next, outermost first:
 *
 * @example
 * const executor = PolicyExecutor.layer({ denyTools: ["shell_*"] }).pipe(
 *   Layer.provide(RetryExecutor.layer({ maxAttempts: 3 })),
 *   Layer.provide(ToolExecutor.layer())
 * )
 *
 * @since 0.2.0
 * @category combinators
 */
export const wrap = (f: (inner: Service) => Service): Layer.Layer<ToolExecutor, never, ToolExecutor> =>
  Layer.effect(ToolExecutor, Effect.map(ToolExecutor, f))

/**
 * The executor in the context, or the default one when there is none: the inner executor of a wrapper
 * built from `agent.json`, where each entry of a `tool_executor` list is given the next one.
 *
 * @since 0.2.0
 * @category constructors
 */
export const innerOrDefault: Effect.Effect<Service> = Effect.map(
  Effect.serviceOption(ToolExecutor),
  Option.getOrElse(() => make())
)
