/**
 * Spans for runs, steps and tool calls. A span costs 5 to 15 µs in Effect 3 (more than a whole step of
 * the loop), and without a tracer of its own an app has nowhere to send it: spans are recorded only when
 * the run's fiber has a tracer other than Effect's default (OpenTelemetry's, or any `Effect.withTracer`).
 * Private to the runtime.
 */
import * as Effect from "effect/Effect"
import type * as Tracer from "effect/Tracer"

const defaultTracer: Tracer.Tracer = Effect.runSync(Effect.tracer)

/** Whether the current fiber sends spans somewhere. */
export const tracing: Effect.Effect<boolean> = Effect.map(Effect.tracer, (tracer) => tracer !== defaultTracer)

/**
 * `effect` in a span named `name` when `on`, as it is otherwise. The attributes are built only for a span
 * that is recorded: this runs on every step and tool call.
 */
export const span = <A, E, R>(
  on: boolean,
  name: string,
  attributes: () => Record<string, unknown>,
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  on ? Effect.withSpan(effect, name, { attributes: attributes(), captureStackTrace: false }) : effect
