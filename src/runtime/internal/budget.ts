/**
 * Every limit of a run in one place: steps, tool calls, cost, the run's duration and each step's
 * timeout. Counters are checked where they are spent; time limits are held by one watchdog per runtime,
 * a fiber that sleeps until the nearest deadline and interrupts the runs whose limit passed, so a
 * step costs no fiber and no timer. Private to the runtime.
 */
import type * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type * as FiberId from "effect/FiberId"
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
 * The time limits of one run: its deadline (`max_duration_ms`, from when its turn came) and the deadline
 * of the model call in progress (`step_timeout_ms`). Setting one is an assignment; the runtime's
 * {@link Watchdog} enforces them.
 */
export class RunDeadlines {
  runAt = Infinity
  stepAt = Infinity
  private step = 0

  constructor(
    private readonly watchdog: Watchdog,
    private readonly clock: Clock.Clock,
    private readonly limits: Limits,
    private readonly state: RunState,
    private readonly target: Fiber.RuntimeFiber<unknown, unknown>
  ) {}

  /** The run's turn came: its clock starts, and the watchdog watches it until `stop`. */
  start(): Effect.Effect<void> | undefined {
    if (this.limits.maxDurationMs !== undefined) {
      this.runAt = this.clock.unsafeCurrentTimeMillis() + this.limits.maxDurationMs
    }
    return this.watchdog.watch(this)
  }

  /** A model call of step `step` starts: it must end within `step_timeout_ms`. */
  stepStarted(step: number): Effect.Effect<void> | undefined {
    this.stepAt = this.clock.unsafeCurrentTimeMillis() + this.limits.stepTimeoutMs
    this.step = step
    return this.watchdog.nearer(this.stepAt)
  }

  stepEnded(): void {
    this.stepAt = Infinity
  }

  /** The run's body ended: nothing to watch any more. */
  stop(): void {
    this.runAt = Infinity
    this.stepAt = Infinity
    this.watchdog.unwatch(this)
  }

  get next(): number {
    return this.runAt < this.stepAt ? this.runAt : this.stepAt
  }

  /** Called by the watchdog at `now`: interrupts the run with the limit that passed, if one did. */
  expire(now: number, by: FiberId.FiberId): boolean {
    if (this.next > now) return false
    this.state.limitHit = this.runAt <= now
      ? new BudgetExhausted({
        limit: "max_duration_ms",
        max: this.limits.maxDurationMs!,
        message: `Run exceeded max_duration_ms (${this.limits.maxDurationMs} ms)`
      })
      : new BudgetExhausted({
        limit: "step_timeout_ms",
        max: this.limits.stepTimeoutMs,
        message: `Step ${this.step} took longer than step_timeout_ms (${this.limits.stepTimeoutMs} ms)`
      })
    this.stop()
    this.target.unsafeInterruptAsFork(by)
    return true
  }
}

/**
 * One watchdog for all the runs of a runtime: a fiber that sleeps until the nearest deadline of any run,
 * then interrupts the runs whose deadline passed. A step only moves a number; the fiber is re-armed only
 * when a deadline nearer than the one it sleeps until appears (in practice: the first run, or a run with
 * a short `max_duration_ms`). Deadlines that moved later are noticed when it wakes, and it sleeps again.
 * An `Effect.timeout` per step would fork a fiber, set a timer and race them: about 30 µs a step.
 */
export class Watchdog {
  private readonly runs = new Set<RunDeadlines>()
  private armedAt = Infinity
  private fiber: Fiber.RuntimeFiber<void> | undefined

  watch(run: RunDeadlines): Effect.Effect<void> | undefined {
    this.runs.add(run)
    return this.nearer(run.next)
  }

  unwatch(run: RunDeadlines): void {
    this.runs.delete(run)
  }

  /** Re-arms the watchdog when `at` is nearer than the time it sleeps until. */
  nearer(at: number): Effect.Effect<void> | undefined {
    return at < this.armedAt ? this.arm(at) : undefined
  }

  /** Stops the watchdog (the runtime closes). */
  get close(): Effect.Effect<void> {
    return Effect.suspend(() => {
      const f = this.fiber
      this.fiber = undefined
      this.armedAt = -Infinity
      return f ? Fiber.interrupt(f) : Effect.void
    })
  }

  private arm(at: number): Effect.Effect<void> {
    const previous = this.fiber
    this.armedAt = at
    return Effect.flatMap(Effect.forkDaemon(this.loop), (fiber) => {
      this.fiber = fiber
      return previous ? Fiber.interruptFork(previous) : Effect.void
    })
  }

  private get loop(): Effect.Effect<void> {
    return Effect.flatMap(Effect.clock, (clock) => Effect.fiberIdWith((id) => this.tick(clock, id)))
  }

  private tick(clock: Clock.Clock, id: FiberId.FiberId): Effect.Effect<void> {
    return Effect.suspend((): Effect.Effect<void> => {
      const now = clock.unsafeCurrentTimeMillis()
      let next = Infinity
      for (const run of this.runs) {
        if (run.expire(now, id)) continue
        const at = run.next
        if (at < next) next = at
      }
      if (next === Infinity) {
        // no deadline left: sleep on until the time armed for, so that the runs to come (whose deadlines
        // fall later) find the watchdog armed and fork nothing; end only once that time has passed
        if (this.armedAt > now && this.armedAt !== Infinity) {
          return Effect.zipRight(Effect.sleep(Duration.millis(this.armedAt - now)), this.tick(clock, id))
        }
        this.armedAt = Infinity
        this.fiber = undefined
        return Effect.void
      }
      this.armedAt = next
      return Effect.zipRight(Effect.sleep(Duration.millis(next - now)), this.tick(clock, id))
    })
  }
}
