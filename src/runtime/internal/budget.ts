/**
 * Every limit of a run in one place: steps, tool calls, cost, the run's duration and each step's
 * timeout. Counters are checked where they are spent; time limits are held by one watchdog per run, a
 * fiber that sleeps until the nearest deadline and interrupts the run with the limit that passed, so a
 * step costs no fiber and no timer (an `Effect.timeout` per step forks a fiber, sets a timer and races
 * them: about 30 µs, ten times a whole step). Private to the runtime.
 */
import type * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { BudgetExhausted, type BudgetLimit } from "../../kernel/Errors.js"
import type { RunRequest, StopReason } from "../../kernel/Run.js"
import type { RunState } from "./state.js"

/** The stop reason each limit ends a run with. */
export const STOP_FOR_LIMIT: Record<BudgetLimit, StopReason> = {
  max_steps: "max_steps",
  max_duration_ms: "timeout",
  step_timeout_ms: "timeout",
  max_tool_calls: "budget_exhausted",
  max_cost_usd: "budget_exhausted"
}

export interface Limits {
  readonly maxSteps: number
  readonly maxToolCalls: number | undefined
  readonly maxCostUsd: number | undefined
  readonly maxDurationMs: number | undefined
  readonly stepTimeoutMs: number
  readonly maxValidationRetries: number
  readonly maxResumeAttempts: number
}

/** The limits of a run: the request's budget over the agent's defaults. */
export const limitsOf = (request: RunRequest, agent: { readonly maxSteps: number; readonly stepTimeoutMs: number }): Limits => {
  const budget = request.budget
  return {
    maxSteps: budget?.maxSteps ?? agent.maxSteps,
    maxToolCalls: budget?.maxToolCalls,
    maxCostUsd: budget?.maxCostUsd,
    maxDurationMs: budget?.maxDurationMs,
    stepTimeoutMs: agent.stepTimeoutMs,
    maxValidationRetries: budget?.maxValidationRetries ?? 3,
    maxResumeAttempts: budget?.maxResumeAttempts ?? 3
  }
}

/** Records the limit as the one that stopped the run; the returned effect fails with it. */
export const stop = (
  state: RunState,
  limit: BudgetLimit,
  max: number,
  used: number | undefined,
  message: string
): Effect.Effect<never, BudgetExhausted> => {
  state.limitHit = new BudgetExhausted({ limit, max, message, ...(used !== undefined ? { used } : {}) })
  return Effect.fail(state.limitHit)
}

/** Before a model call: the step limit. Undefined when the call may go ahead. */
export const checkStep = (state: RunState, limits: Limits): Effect.Effect<never, BudgetExhausted> | undefined =>
  state.steps >= limits.maxSteps
    ? stop(state, "max_steps", limits.maxSteps, state.steps, `Step limit of ${limits.maxSteps} model call(s) reached`)
    : undefined

/** Before a tool call: the tool call limit. Undefined when the call may go ahead. */
export const checkToolCall = (state: RunState, limits: Limits): Effect.Effect<never, BudgetExhausted> | undefined => {
  const max = limits.maxToolCalls
  return max !== undefined && state.usage.toolCalls >= max
    ? stop(state, "max_tool_calls", max, state.usage.toolCalls, `Tool call limit of ${max} reached`)
    : undefined
}

/**
 * The cost limit, before a model call (`spent >= max` stops) or after one (`spent > max` stops). A model
 * without a price cannot be held to a cost budget: `onUnknown` is told once. Undefined when within it.
 */
export const checkCost = (
  state: RunState,
  limits: Limits,
  priced: boolean,
  when: "before" | "after",
  onUnknown: (max: number) => void
): Effect.Effect<never, BudgetExhausted> | undefined => {
  const max = limits.maxCostUsd
  if (max === undefined) return undefined
  const spent = state.usage.costUsd
  if (!priced || spent === null) {
    if (!state.costUnknownReported) {
      state.costUnknownReported = true
      onUnknown(max)
    }
    return undefined
  }
  if (when === "before" ? spent >= max : spent > max) {
    const verb = when === "before" ? "exhausted" : "exceeded"
    return stop(state, "max_cost_usd", max, spent, `Cost budget of $${max} ${verb} ($${spent.toFixed(6)} spent)`)
  }
  return undefined
}

/**
 * The run's time limits. The run deadline is set once; a step deadline is set when a model call starts
 * and cleared when it ends. The watchdog fiber is re-armed only when a new deadline is nearer than the
 * one it sleeps until (in practice at the first step): a later deadline is noticed when it wakes.
 */
export class Watchdog {
  private runDeadline = Infinity
  private stepDeadline = Infinity
  private stepLabel = 0
  private armedAt = Infinity
  private fiber: Fiber.RuntimeFiber<void> | undefined

  constructor(
    private readonly clock: Clock.Clock,
    private readonly limits: Limits,
    private readonly state: RunState,
    private readonly target: Fiber.RuntimeFiber<unknown, unknown>
  ) {}

  /** Starts the run's clock (for `max_duration_ms`). */
  start(startedAt: number): Effect.Effect<void> {
    if (this.limits.maxDurationMs === undefined) return Effect.void
    this.runDeadline = startedAt + this.limits.maxDurationMs
    return this.arm()
  }

  /**
   * A model call of step `step` starts: it must end within `step_timeout_ms`. Returns the effect that
   * re-arms the watchdog when this deadline is nearer than the one it sleeps until, else undefined.
   */
  stepStarted(step: number): Effect.Effect<void> | undefined {
    this.stepDeadline = this.clock.unsafeCurrentTimeMillis() + this.limits.stepTimeoutMs
    this.stepLabel = step
    return this.stepDeadline < this.armedAt ? this.arm() : undefined
  }

  stepEnded(): void {
    this.stepDeadline = Infinity
  }

  /** Stops the watchdog (the run's body has ended). */
  get stop(): Effect.Effect<void> {
    return Effect.suspend(() => {
      const f = this.fiber
      this.fiber = undefined
      this.armedAt = -Infinity // never re-armed
      return f ? Fiber.interrupt(f) : Effect.void
    })
  }

  private arm(): Effect.Effect<void> {
    return Effect.suspend(() => {
      const previous = this.fiber
      this.armedAt = Math.min(this.runDeadline, this.stepDeadline)
      return Effect.flatMap(
        Effect.forkDaemon(this.loop),
        (fiber) => {
          this.fiber = fiber
          return previous ? Fiber.interruptFork(previous) : Effect.void
        }
      )
    })
  }

  private get loop(): Effect.Effect<void> {
    return Effect.suspend((): Effect.Effect<void> => {
      const now = this.clock.unsafeCurrentTimeMillis()
      const next = Math.min(this.runDeadline, this.stepDeadline)
      if (next === Infinity) {
        this.armedAt = Infinity
        return Effect.void
      }
      if (next > now) {
        this.armedAt = next
        return Effect.zipRight(Effect.sleep(Duration.millis(next - now)), this.loop)
      }
      this.state.limitHit = this.runDeadline <= now
        ? new BudgetExhausted({
          limit: "max_duration_ms",
          max: this.limits.maxDurationMs!,
          message: `Run exceeded max_duration_ms (${this.limits.maxDurationMs} ms)`
        })
        : new BudgetExhausted({
          limit: "step_timeout_ms",
          max: this.limits.stepTimeoutMs,
          message: `Step ${this.stepLabel} took longer than step_timeout_ms (${this.limits.stepTimeoutMs} ms)`
        })
      return Fiber.interruptFork(this.target)
    })
  }
}
