/**
 * One run, from `run.started` to `run.finished`: the orchestration of the parts in this folder. The run's
 * fiber waits for its session's turn, takes the session lease, begins (or rebuilds from its journal),
 * runs the pattern with output validation, resumes a durable run from its last checkpoint after a
 * retryable error, and always ends with one result. Private to the runtime.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import type * as Tracer from "effect/Tracer"
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

/**
 * The body of a run once its turn has come: lease, instructions, then the run's attempt. Flatmaps, not
 * Effect.gen: nothing of it stays on the fiber's stack while the pattern runs (a generator held for the
 * whole run costs about 1 KB of heap a run in flight).
 */
const body = (run: Run, services: RunServices, leaseScope: Scope.Scope, leaseHeld: boolean): Effect.Effect<unknown, RunError> =>
  Effect.suspend(() => {
    const { agent, journal, request, state, store } = run
    const watching = run.deadlines.start()
    // a child on its parent's session works under the parent's lease (the parent waits for it)
    const leased = leaseHeld ? undefined : Scope.extend(store.acquire(request.sessionId), leaseScope)
    const ready = watching && leased ? Effect.zipRight(watching, leased) : watching ?? leased
    // the input text lets a skills provider pick the skills that match the task
    const skills = services.skillsInstructions(request.sessionId, request.inputText)
    return Effect.flatMap(ready ? Effect.zipRight(ready, skills) : skills, (skills) => {
      state.instructions = [agent.instructions, skills].filter((s) => s !== undefined && s !== "").join("\n\n") || undefined
      const context = Context.make(run)
      const from = request.resumeFromCheckpoint
      if (from === undefined) return attempts(run, context)
      // a new process goes on from where the journal says the run was
      return Effect.flatMap(store.loadJournal(request.sessionId, request.runId), (entries) => {
        journal.nextSeq = entries.reduce((m, e) => Math.max(m, e.seq + 1), 0)
        return attempts(run, context)
      })
    })
  })

/** The run's attempt; a durable run resumes from its last checkpoint after a retryable error, on a Schedule. */
const attempts = (run: Run, context: RunContext.Service): Effect.Effect<unknown, RunError> => {
  const { agent, journal, request } = run
  const first = request.resumeFromCheckpoint
  const attempt = (from: string | undefined, n: number) =>
    from === undefined
      ? Effect.zipRight(Resume.begin(run), Output.execute(run, context, undefined))
      : Effect.flatMap(Resume.rebuild(run, context, from, n), (output) => Output.execute(run, context, output))
  // a run that is not durable never resumes: its error is the run's
  if (!request.durable) return attempt(first, 0)
  return Effect.gen(function*() {
    let from = first
    let n = 0
    let driver: Schedule.ScheduleDriver<unknown, RunError> | undefined
    while (true) {
      const outcome = yield* Effect.either(attempt(from, n))
      if (Either.isRight(outcome)) return outcome.right
      const error = outcome.left
      if (!isRetryable(error) || journal.lastCheckpoint === undefined) return yield* Effect.fail(error)
      driver ??= yield* Schedule.driver(
        Schedule.exponential(Duration.millis(agent.retry.initialBackoffMs), 2).pipe(
          Schedule.either(Schedule.spaced(Duration.millis(agent.retry.maxBackoffMs))),
          Schedule.intersect(Schedule.recurs(run.limits.maxResumeAttempts))
        )
      )
      const next = yield* Effect.either(driver.next(error))
      if (Either.isLeft(next)) {
        run.emitter.emit("run.resume_exhausted", { attempt: n + 1, limit: run.limits.maxResumeAttempts, error: error.message })
        return yield* Effect.fail(error)
      }
      n++
      from = journal.lastCheckpoint
      run.emitter.emit("run.resume_attempted", { checkpointId: from, attempt: n, error: error.message, errorTag: error._tag })
    }
  })
}

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
    /** Runs last, whatever the run ends with (a defect included), uninterruptibly. */
    readonly onEnd?: ((exit: Exit.Exit<RunResult>) => Effect.Effect<void>) | undefined
  }
): Effect.Effect<RunResult> =>
  Effect.uninterruptibleMask((restore) => {
    const { onEnd, waitTurn } = options
    // `onEnd` guards the setup and the end, not the body: while the run works, the only frames of this
    // function on the fiber's stack are the uninterruptible region, one continuation and `restore`
    const guard = (effect: Effect.Effect<RunResult>): Effect.Effect<RunResult> =>
      onEnd === undefined ? effect : Effect.matchCauseEffect(effect, {
        onFailure: (cause) => Effect.zipRight(onEnd(Exit.failCause(cause)), Effect.failCause(cause)),
        onSuccess: (result) => Effect.as(onEnd(Exit.succeed(result)), result)
      })
    const started = (run: Started): Effect.Effect<RunResult> =>
      Effect.matchCauseEffect(restore(Trace.within(run.span, waitTurn === undefined || waitTurn === Effect.void ? run.work : Effect.zipRight(waitTurn, run.work))), {
        onFailure: (cause) => guard(run.ended(Exit.failCause(cause))),
        onSuccess: (value) => guard(run.ended(Exit.succeed(value)))
      })
    const setup = begin(request, agent, services, options)
    return onEnd === undefined ? Effect.flatMap(setup, started) : Effect.matchCauseEffect(setup, {
      onFailure: (cause) => Effect.zipRight(onEnd(Exit.failCause(cause)), Effect.failCause(cause)),
      onSuccess: started
    })
  })

/** A run set up: its span, its work (waiting for its turn aside), and how it ends with its body's exit. */
interface Started {
  readonly span: Tracer.Span | undefined
  readonly work: Effect.Effect<unknown, RunError>
  readonly ended: (exit: Exit.Exit<unknown, RunError>) => Effect.Effect<RunResult>
}

/** Sets a run up: its parts, `run.started` (and `session.waiting`), its span. */
const begin = (
  request: RunRequest,
  agent: AgentEnv,
  services: RunServices,
  options: Parameters<typeof executeRun>[3]
): Effect.Effect<Started> =>
  Effect.flatMap(environment, ({ clock, self, tracing }) =>
    Effect.flatMap(
      services.traces ? Recorder.make(services.traces, services.store, request, agent.id, clock) : noRecorder,
      (recorder) =>
        // the session lease is held until the run's work is saved, not only while its body runs
        Effect.flatMap(Scope.make(), (leaseScope) => {
          const ids = { runId: request.runId, sessionId: request.sessionId, agentId: agent.id }
          const state = new RunState()
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
          const startedAt = clock.unsafeCurrentTimeMillis()
          // run.started comes first in every stream, even for a run cancelled while it waits for its session
          emitter.emit("run.started", {
            inputText: request.inputText,
            durable: request.durable,
            ...(request.parentRunId ? { parentRunId: request.parentRunId } : {})
          })
          if (options.ahead !== undefined && options.ahead > 0) emitter.emit("session.waiting", { ahead: options.ahead })
          return Effect.map(Trace.startRun(tracing, request, agent), (span): Started => ({
            span,
            work: Effect.suspend(() =>
              Either.isLeft(validator) ? Effect.fail(validator.left) : body(run, services, leaseScope, options.leaseHeld === true)
            ),
            ended: (exit) => {
              options.onSettled?.()
              run.deadlines.stop()
              return Effect.flatMap(finish(run, exit, startedAt, leaseScope), (result) => {
                if (span) Trace.endRun(span, result, clock.unsafeCurrentTimeNanos())
                return options.onResult ? Effect.as(options.onResult(result), result) : Effect.succeed(result)
              })
            }
          }))
        })
    ))

/** What every run reads from its fiber: the clock, the fiber itself (the watchdog interrupts it) and whether spans are recorded. */
const environment = Effect.flatMap(Effect.clock, (clock) =>
  Effect.flatMap(Trace.tracing, (tracing) =>
    Effect.withFiberRuntime<{ clock: typeof clock; tracing: boolean; self: Fiber.RuntimeFiber<unknown, unknown> }>((self) =>
      Effect.succeed({ clock, tracing, self })
    )))

const noRecorder: Effect.Effect<undefined> = Effect.succeed(undefined)
