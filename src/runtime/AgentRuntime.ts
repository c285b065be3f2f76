/**
 * The runtime facade. Runs are fibers owned by the runtime's scope; runs on one session execute one at a
 * time in arrival order while sessions run in parallel; every run ends with exactly one `RunResult` and
 * one `run.finished` chunk.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberMap from "effect/FiberMap"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as EventBus from "../events/EventBus.js"
import { ConfigError, RunFailed, type SessionBusy, type UnknownAgentError } from "../kernel/Errors.js"
import { RunRequest, type RunRequestInput, type RunResult } from "../kernel/Run.js"
import type { RunStreamChunk } from "../kernel/RunStreamChunk.js"
import * as InMemorySessionStore from "../sessions/InMemorySessionStore.js"
import { SessionStore } from "../sessions/SessionStore.js"
import * as Skills from "../skills/Skills.js"
import type { AgentDefinition } from "./Agent.js"
import type { TaskInfo } from "./internal/tasks.js"
import * as Agents from "./internal/agents.js"
import { Waiting } from "./internal/approval.js"
import * as Approvals from "./internal/approvals.js"
import * as Chunks from "./internal/chunks.js"
import type { ChunkSink } from "./internal/chunks.js"
import { RecentIds } from "./internal/recent.js"
import { runIdOfCheckpoint } from "./internal/journal.js"
import { Watchdog } from "./internal/budget.js"
import { Lanes } from "./internal/lanes.js"
import { PendingResult } from "./internal/pending.js"
import { decodeRunRequest } from "./internal/request.js"
import * as Resume from "./internal/resume.js"
import { executeRun } from "./internal/run.js"
import * as SubAgents from "./internal/subAgents.js"
import * as Tasks from "./internal/tasks.js"
import * as Tracing from "./internal/tracing.js"

export type { TaskInfo } from "./internal/tasks.js"
export type { CallInput, CallResult, ChatMessage } from "./internal/tracing.js"

/**
 * What `getAgentInfo` tells about an agent.
 *
 * @since 0.1.0
 * @category models
 */
export interface AgentInfo {
  readonly id: string
  readonly name: string
  readonly tools: ReadonlyArray<string>
  readonly loaded: boolean
  readonly model: string | undefined
  readonly info: Readonly<Record<string, unknown>>
}

/**
 * Errors a run can be refused with before it starts.
 *
 * @since 0.1.0
 * @category errors
 */
export type StartError = UnknownAgentError | SessionBusy | ConfigError

/**
 * A request as accepted by the runtime: a `RunRequest` or its fields.
 *
 * @since 0.1.0
 * @category models
 */
export type RunInput = RunRequest | RunRequestInput | Schema.Schema.Encoded<typeof RunRequest>

/**
 * The type of a run's final output: the `outputType` Schema's type when the request has one.
 *
 * @since 0.2.0
 * @category models
 */
export type OutputOf<I> = I extends { readonly outputType: Schema.Schema<infer A, infer _I, never> } ? A : unknown

/**
 * A RunResult whose `finalOutput` is typed from the request's `outputType` (`null` unless completed).
 *
 * @since 0.2.0
 * @category models
 */
export type TypedRunResult<A> = RunResult & { readonly finalOutput: A | null }

/**
 * The runtime's operations.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service extends Approvals.Operations<StartError>, Tracing.Operations {
  /** Runs and returns the final output; any other stop reason than `completed` fails with `RunFailed`. */
  readonly run: <I extends RunInput>(input: I) => Effect.Effect<OutputOf<I>, StartError | RunFailed>
  /** Runs and returns the whole result, whatever the stop reason. Interrupting it cancels the run. */
  readonly runDetailed: <I extends RunInput>(input: I) => Effect.Effect<TypedRunResult<OutputOf<I>>, StartError>
  /**
   * The run's own stream: `run.started` first, `run.finished` (with the result) last, `sequence` from 0
   * without gaps. Ending the stream early cancels the run.
   */
  readonly runStream: (input: RunInput) => Stream.Stream<RunStreamChunk, StartError>
  /** Cancels a run in progress (or waiting for its session); false when no such run is active. */
  readonly cancel: (runId: string) => Effect.Effect<boolean>
  readonly listAgents: Effect.Effect<ReadonlyArray<{ readonly id: string; readonly name: string }>>
  readonly getAgentInfo: (agentId: string) => Effect.Effect<Option.Option<AgentInfo>>
  /**
   * Cancels the session's runs and forgets it: the runtime drops what it holds for it, and the session
   * store what it keeps in memory (the in-memory store forgets the session; stores on disk keep it).
   */
  readonly closeSession: (sessionId: string) => Effect.Effect<void>
  /** Releases what the runtime holds for the session, without touching its runs. Idempotent. */
  readonly releaseSession: (sessionId: string) => Effect.Effect<void>
  /** Reloads the agent definitions from where they came from (a config file). */
  readonly reload: Effect.Effect<void, ConfigError>
  /** Drops the agent's built seams (model, tools, ...) so the next run builds them anew. */
  readonly reloadAgent: (agentId: string) => Effect.Effect<void, UnknownAgentError>
  /** Sessions this runtime has run and not closed. */
  readonly sessionCount: Effect.Effect<number>
  /** A background delegation's status (`running`, then its child run's stop reason and output); none if unknown. */
  readonly taskStatus: (taskId: string) => Effect.Effect<Option.Option<TaskInfo>>
  /** Cancels every run and background task, and releases every agent's resources. */
  readonly close: Effect.Effect<void>
}

/**
 * The agent runtime.
 *
 * @since 0.1.0
 * @category tags
 */
export class AgentRuntime extends Context.Tag("openagents/AgentRuntime")<AgentRuntime, Service>() {}

/**
 * Options of the runtime.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options<R = never> {
  readonly agents: ReadonlyArray<AgentDefinition<R>>
  /** Where `reload` gets new definitions from (a config file); without it `reload` fails. */
  readonly reload?: Effect.Effect<ReadonlyArray<AgentDefinition<R>>, ConfigError> | undefined
  /** Defaults of delegation to other agents (agent.json's `multi_agent`): depth limit, a child's budget. */
  readonly multiAgent?: SubAgents.Defaults | undefined
}

/**
 * Builds a runtime. Needs a `SessionStore`, an `EventBus` and `Skills`; a `LanguageModel`, `Pattern`,
 * `Memory`, `ContextAssembler` or `ToolExecutor` in the context becomes the default of agents that do
 * not name their own.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <R = never>(
  options: Options<R>
): Effect.Effect<Service, ConfigError, SessionStore | EventBus.EventBus | Skills.Skills | Scope.Scope | R> =>
  Effect.gen(function*() {
    const seams = yield* Agents.ambient
    yield* Agents.checkDefinitions(options.agents, seams)
    const store = yield* SessionStore
    const bus = yield* EventBus.EventBus
    const skills = yield* Skills.Skills
    const traced = yield* Tracing.stores
    const agents = yield* Tracing.withStores(Agents.make(options.agents, seams), traced)
    const fibers = yield* FiberMap.make<string>()
    const lanes = new Lanes()
    const sessions = new Set<string>()
    /** Runs whose outcome is decided: a cancel no longer changes them. */
    const settled = new Set<string>()
    /** Ids cancelled before their run registered. */
    const earlyCancels = new RecentIds(1024)
    /** Runs that ended lately: cancelling one of them is not an early cancel of a run to come. */
    const ended = new RecentIds(1024)
    const tasks = yield* Tasks.make(store, bus)
    const watchdog = new Watchdog()
    yield* Effect.addFinalizer(() => watchdog.close)
    const services = {
      ...{ store, bus, skillsInstructions: skills.instructions, watchdog, approvals: new Waiting(), traces: traced.traces },
      // tools start child runs through the runtime itself (defined below; called only once a run is going)
      runChild: { start: (input: RunInput, via: SubAgents.Via) => runDetailed(input, via), defaults: options.multiAgent ?? {}, tasks }
    }

    /** A request as data is checked like a config: every problem at its path, unknown keys refused. */
    const normalize = (input: RunInput): Effect.Effect<RunRequest, ConfigError> =>
      input instanceof RunRequest ? Effect.succeed(input) : decodeRunRequest(input)

    /** A resumed run goes on under the run id of its checkpoint (`<runId>:step:<n>`), journal and all. */
    const adoptRunId = (request: RunRequest): Effect.Effect<RunRequest, ConfigError> => {
      const checkpoint = request.resumeFromCheckpoint
      if (checkpoint === undefined) return Effect.succeed(request)
      const runId = runIdOfCheckpoint(checkpoint)
      if (runId === undefined) {
        return Effect.fail(
          ConfigError.single("request.resumeFromCheckpoint", `'${checkpoint}' is not a checkpoint id (<runId>:step:<n>)`)
        )
      }
      return Resume.withJournaledBudget(store, new RunRequest({ ...request, runId }))
    }

    const prepare = (input: RunInput) =>
      Effect.flatMap(Effect.flatMap(normalize(input), adoptRunId), (request) =>
        Effect.map(agents.lookup(request.agentId), (definition) => ({ request, definition })))

    /** Starts a run as a fiber of the runtime; returns its result to come (flatMaps: no generator per run). */
    const insideParent = Effect.succeed(SubAgents.insideParent)
    const start = (request: RunRequest, sink?: ChunkSink, shared = false): Effect.Effect<PendingResult<RunResult>, StartError> =>
      Effect.flatMap(FiberMap.has(fibers, request.runId), (running) =>
        running
          ? Effect.fail(ConfigError.single("request.runId", `a run with id '${request.runId}' is already in progress`))
          : Effect.flatMap(agents.get(request.agentId), (env) =>
            // a child sharing its parent's session runs inside the parent's turn and lease
            Effect.flatMap(shared ? insideParent : lanes.admit(request.sessionId, request.runId, env.sessionQueueSize), (turn) => {
              sessions.add(request.sessionId)
              const done = new PendingResult<RunResult>()
              const run = executeRun(request, env, services, {
                sink,
                // a run cancelled before it registered starts cancelled (after its run.started)
                waitTurn: earlyCancels.delete(request.runId) ? Effect.interrupt : turn.waitTurn,
                ahead: turn.ahead,
                leaseHeld: shared,
                onResult: (result) => Effect.sync(() => done.done(Exit.succeed(result))),
                onSettled: () => settled.add(request.runId),
                // a run that could not even produce its result (a defect) must not leave its caller waiting
                onEnd: (exit) =>
                  Effect.zipRight(Effect.sync(() => done.done(exit)), Effect.zipRight(turn.release, Effect.sync(() => {
                    settled.delete(request.runId)
                    ended.add(request.runId)
                  })))
              })
              return Effect.as(FiberMap.run(fibers, request.runId, run), done)
            })))

    /**
     * Cancels a run that is active and not yet settled (its outcome decided): true when it did. A run
     * forked a moment ago may not have registered yet: cancel gives it a turn first, and an id still
     * unknown is remembered, so that run is cancelled as soon as it starts.
     */
    const cancel = (runId: string): Effect.Effect<boolean> =>
      Effect.gen(function*() {
        if (!(yield* FiberMap.has(fibers, runId))) {
          yield* Effect.yieldNow()
          if (!(yield* FiberMap.has(fibers, runId))) {
            if (!ended.has(runId)) earlyCancels.add(runId)
            return false
          }
        }
        if (settled.has(runId)) return false
        yield* FiberMap.remove(fibers, runId)
        return true
      })

    const runDetailed = (input: RunInput, via?: SubAgents.Via): Effect.Effect<RunResult, StartError> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(prepare(input), ({ request }) =>
          Effect.flatMap(start(request, via?.sink, via?.shared), (done) =>
            // Effect.onInterrupt without its own uninterruptible region (this one is): a frame less a run
            Effect.matchCauseEffect(restore(done.await()), {
              onFailure: (cause) =>
                Cause.isInterruptedOnly(cause) ? Effect.zipRight(cancel(request.runId), Effect.failCause(cause)) : Effect.failCause(cause),
              onSuccess: Effect.succeed
            })))
      )

    /**
     * The run starts at the stream's first pull (uninterruptibly, so a consumer interrupted then still
     * cancels it), and the stream's finalizer cancels it when the consumer leaves before run.finished.
     * One Stream stage and a finalizer: `unwrapScoped` with `acquireRelease` cost about 90 µs more a run.
     */
    const runStream = (input: RunInput): Stream.Stream<RunStreamChunk, StartError> =>
      Stream.suspend(() => {
        let live: { readonly buffer: Chunks.ChunkBuffer; readonly runId: string } | undefined
        const begin = Effect.uninterruptible(Effect.gen(function*() {
          const { definition, request } = yield* prepare(input)
          const buffer = Chunks.make(Agents.eventQueueSizeOf(definition), request.runId)
          yield* start(request, buffer.sink)
          live = { buffer, runId: request.runId }
          return buffer
        }))
        const pull = Effect.suspend(() =>
          live !== undefined ? live.buffer.pull : Effect.flatMap(Effect.mapError(begin, Option.some), (b) => b.pull)
        )
        return Stream.repeatEffectChunkOption(pull).pipe(
          // a run blocked on a full buffer must be able to finish its cancellation: close it first
          Stream.ensuring(Effect.suspend(() =>
            live === undefined
              ? Effect.void
              : Effect.zipRight(live.buffer.close, live.buffer.finished() ? Effect.void : cancel(live.runId))
          ))
        )
      })

    const reload = Effect.gen(function*() {
      if (!options.reload) {
        return yield* ConfigError.single("", "Cannot reload: this runtime was not built from a config file")
      }
      const next = yield* options.reload
      yield* Agents.checkDefinitions(next, seams)
      const { added, changed, removed } = yield* agents.replace(next)
      yield* bus.publish({
        name: "config.reloaded",
        runId: "",
        sessionId: "",
        agentId: "",
        timestampMs: yield* Clock.currentTimeMillis,
        payload: { agents: changed, added, removed }
      })
    })

    return {
      ...Approvals.make({ store, waiting: services.approvals, agent: agents.get, runDetailed }),
      ...Tracing.make({ ...traced, firstAgent: () => agents.definitions()[0]?.id, agent: agents.get }),
      run: <I extends RunInput>(input: I) =>
        Effect.flatMap(runDetailed(input), (result) =>
          result.stopReason === "completed"
            ? Effect.succeed(result.finalOutput as OutputOf<I>)
            : Effect.fail(new RunFailed({ result }))),
      runDetailed: runDetailed as Service["runDetailed"],
      runStream,
      cancel,
      listAgents: Effect.sync(() => agents.definitions().map((a) => ({ id: a.id, name: a.name ?? a.id }))),
      getAgentInfo: (agentId) => Effect.sync(() => Option.fromNullable(Agents.info(agents, agentId))),
      closeSession: (sessionId) =>
        Effect.suspend(() => {
          const forget = Effect.suspend(() => {
            sessions.delete(sessionId)
            const released = agents.releaseSession(sessionId)
            return store.evict ? Effect.zipRight(released, store.evict(sessionId)) : released
          })
          const runIds = lanes.runsOf(sessionId)
          if (runIds.length === 0) return forget
          // every run of the session ends (a settled one finishes writing its result, the others are
          // cancelled) before the store lets go of the session
          return Effect.zipRight(Effect.gen(function*() {
            const running = yield* Effect.forEach(runIds, (runId) => Effect.option(FiberMap.get(fibers, runId)))
            yield* Effect.forEach(lanes.runsOf(sessionId), cancel, { discard: true })
            yield* Effect.forEach(running, (fiber) => (fiber._tag === "Some" ? Fiber.await(fiber.value) : Effect.void), {
              discard: true
            })
          }), forget)
        }),
      releaseSession: (sessionId) =>
        Effect.suspend(() => {
          if (lanes.has(sessionId)) return Effect.void
          sessions.delete(sessionId)
          return agents.releaseSession(sessionId)
        }),
      reload,
      reloadAgent: (agentId) => Effect.flatMap(agents.lookup(agentId), () => agents.drop(agentId)),
      sessionCount: Effect.sync(() => sessions.size),
      taskStatus: tasks.status,
      close: Effect.gen(function*() {
        yield* tasks.clear
        yield* FiberMap.clear(fibers)
        yield* Effect.forEach(agents.definitions(), (a) => agents.drop(a.id), { discard: true })
      })
    } satisfies Service
  })

/**
 * The runtime as a Layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = <R = never>(
  options: Options<R>
): Layer.Layer<AgentRuntime, ConfigError, SessionStore | EventBus.EventBus | Skills.Skills | R> =>
  Layer.scoped(AgentRuntime, make(options))

/**
 * The runtime with the in-memory session store, a PubSub event bus and no skills: everything needed
 * but the agents. Provide a `LanguageModel` (or give each agent its own) to leave the mock.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerInMemory = <R = never>(options: Options<R>): Layer.Layer<AgentRuntime, ConfigError, R> =>
  layer(options).pipe(
    Layer.provide(Layer.mergeAll(InMemorySessionStore.layer, EventBus.layer(), Skills.layerNone, Tracing.layerInMemory))
  )

/**
 * Decodes a value as a `RunRequest` (for requests arriving as JSON).
 *
 * @since 0.1.0
 * @category constructors
 */
export const decodeRequest = Schema.decodeUnknown(RunRequest)
