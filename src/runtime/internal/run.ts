/**
 * One run, from `run.started` to `run.finished`: the orchestration of the parts in this folder. The run's
 * fiber waits for its session's turn, takes the session lease, begins (or rebuilds from its journal),
 * runs the pattern with output validation, resumes a durable run from its last checkpoint after a
 * retryable error, and always ends with one result. Private to the runtime.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import { isRetryable, type RunError } from "../../kernel/Errors.js"
import type { RunRequest, RunResult } from "../../kernel/Run.js"
import type * as RunContext from "../../kernel/RunContext.js"
import * as Budget from "./budget.js"
import type { ChunkSink } from "./chunks.js"
import * as Context from "./context.js"
import * as Emitter from "./emitter.js"
import type { AgentEnv, Run, RunServices } from "./env.js"
import { JournalWriter } from "./journalWriter.js"
import * as Output from "./output.js"
import * as Recorder from "./recorder.js"
import * as Resume from "./resume.js"
import { finish } from "./result.js"
import { RunState } from "./state.js"
import * as Trace from "./trace.js"

export type { AgentEnv, RunServices } from "./env.js"

/** The body of a run once its turn has come: lease, instructions, then attempts until one ends it. */
const body = (run: Run, context: RunContext.Service, services: RunServices, leaseScope: Scope.Scope, leaseHeld: boolean) =>
  Effect.gen(function*() {
    const { agent, journal, request, state, store } = run
    const watching = run.deadlines.start()
    if (watching) yield* watching
    // a child on its parent's session works under the parent's lease (the parent waits for it)
    if (!leaseHeld) yield* Scope.extend(store.acquire(request.sessionId), leaseScope)
    // the input text lets a skills provider pick the skills that match the task
    const skills = yield* services.skillsInstructions(request.sessionId, request.inputText)
    state.instructions = [agent.instructions, skills].filter((s) => s !== undefined && s !== "").join("\n\n") || undefined
    if (request.resumeFromCheckpoint) {
      // a new process goes on from where the journal says the run was
      const entries = yield* store.loadJournal(request.sessionId, request.runId)
      journal.nextSeq = entries.reduce((m, e) => Math.max(m, e.seq + 1), 0)
    }
    let from = request.resumeFromCheckpoint
    let attempt = 0
    let driver: Schedule.ScheduleDriver<unknown, RunError> | undefined
    while (true) {
      const outcome = yield* Effect.either(
        from === undefined
          ? Effect.zipRight(Resume.begin(run), Output.execute(run, context, undefined))
          : Effect.flatMap(Resume.rebuild(run, context, from, attempt), (output) => Output.execute(run, context, output))
      )
      if (Either.isRight(outcome)) return outcome.right
      const error = outcome.left
      if (!request.durable || !isRetryable(error) || journal.lastCheckpoint === undefined) return yield* Effect.fail(error)
      // durable runs resume from their last checkpoint after a retryable error, on a Schedule
      driver ??= yield* Schedule.driver(
        Schedule.exponential(Duration.millis(agent.retry.initialBackoffMs), 2).pipe(
          Schedule.either(Schedule.spaced(Duration.millis(agent.retry.maxBackoffMs))),
          Schedule.intersect(Schedule.recurs(run.limits.maxResumeAttempts))
        )
      )
      const next = yield* Effect.either(driver.next(error))
      if (Either.isLeft(next)) {
        run.emitter.emit("run.resume_exhausted", { attempt: attempt + 1, limit: run.limits.maxResumeAttempts, error: error.message })
        return yield* Effect.fail(error)
      }
      attempt++
      from = journal.lastCheckpoint
      run.emitter.emit("run.resume_attempted", { checkpointId: from, attempt, error: error.message, errorTag: error._tag })
    }
  })

/**
 * Executes one run to its result. Never fails: every error, limit and interruption becomes the result's
 * stop reason. Interrupting the returned effect interrupts the body (the in-flight model call or tool
 * observes it) and still yields a `cancelled` result with its `run.finished` event and chunk.
 */
export const executeRun = (
  request: RunRequest,
  agent: AgentEnv,
  services: RunServices,
  options: {
    readonly sink?: ChunkSink | undefined
    /** Waits for the session's turn; interruptible. */
    readonly waitTurn?: Effect.Effect<void> | undefined
    /** How many runs of the session are ahead of this one (announced with `session.waiting`). */
    readonly ahead?: number | undefined
    /** The session's lease is held for this run already (a child sharing its parent's session). */
    readonly leaseHeld?: boolean | undefined
    /** Receives the result before the run's fiber ends (even when that fiber is being interrupted). */
    readonly onResult?: ((result: RunResult) => Effect.Effect<void>) | undefined
    /** Told when the run's outcome is decided: from then on a cancel cannot change it. */
    readonly onSettled?: (() => void) | undefined
  }
): Effect.Effect<RunResult> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.gen(function*() {
      const clock = yield* Effect.clock
      const tracing = yield* Trace.tracing
      const self = yield* Effect.withFiberRuntime<Fiber.RuntimeFiber<unknown, unknown>>((fiber) => Effect.succeed(fiber))
      const ids = { runId: request.runId, sessionId: request.sessionId, agentId: agent.id }
      const state = new RunState()
      const recorder = services.traces ? yield* Recorder.make(services.traces, services.store, request, agent.id, clock) : undefined
      const emitter = Emitter.make(options.sink?.forwarded ? { ...ids, parentRunId: request.parentRunId } : ids, services.bus, clock, options.sink, recorder?.observe)
      const limits = Budget.limitsOf(request, agent)
      const validator = Output.validatorOf(request, agent)
      const run: Run = {
        request,
        agent,
        store: services.store,
        clock,
        limits,
        state,
        emitter,
        journal: new JournalWriter(services.store, clock, ids, request.durable, state, emitter),
        deadlines: new Budget.RunDeadlines(services.watchdog, clock, limits, state, self),
        validator: Either.getOrUndefined(validator),
        tracing,
        approvals: services.approvals,
        runChild: services.runChild,
        recorder
      }
      if (recorder && request.durable) run.journal.afterSync = recorder.flush
      const context = Context.make(run)
      // the session lease is held until the run's work is saved, not only while its body runs
      const leaseScope = yield* Scope.make()
      const startedAt = clock.unsafeCurrentTimeMillis()
      // run.started comes first in every stream, even for a run cancelled while it waits for its session
      emitter.emit("run.started", {
        inputText: request.inputText,
        durable: request.durable,
        ...(request.parentRunId ? { parentRunId: request.parentRunId } : {})
      })
      if (options.ahead !== undefined && options.ahead > 0) emitter.emit("session.waiting", { ahead: options.ahead })
      const span = yield* Trace.startRun(tracing, request, agent)
      const exit = yield* restore(
        Trace.within(span, Effect.gen(function*() {
          if (options.waitTurn) yield* options.waitTurn
          if (Either.isLeft(validator)) return yield* validator.left
          return yield* body(run, context, services, leaseScope, options.leaseHeld === true)
        }))
      ).pipe(Effect.exit)
      options.onSettled?.()
      run.deadlines.stop()
      const result = yield* finish(run, exit, startedAt, leaseScope)
      if (span) Trace.endRun(span, result, clock.unsafeCurrentTimeNanos())
      if (options.onResult) yield* options.onResult(result)
      return result
    })
  )
