/**
 * The runtime facade. Runs are fibers owned by the runtime's scope; runs on one session execute one at a
 * time in arrival order while sessions run in parallel; every run ends with exactly one `RunResult` and
 * one `run.finished` chunk.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as FiberMap from "effect/FiberMap"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Queue from "effect/Queue"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as ContextAssembler from "../context/ContextAssembler.js"
import * as EventBus from "../events/EventBus.js"
import { ConfigError, RunFailed, SessionBusy, UnknownAgentError } from "../kernel/Errors.js"
import { RunRequest, type RunRequestInput, type RunResult } from "../kernel/Run.js"
import type { RunStreamChunk } from "../kernel/RunStreamChunk.js"
import { closest } from "../internal/suggest.js"
import { LanguageModel } from "../llm/LanguageModel.js"
import * as MockModel from "../llm/MockModel.js"
import * as ProviderRetry from "../llm/ProviderRetry.js"
import { Memory } from "../memory/Memory.js"
import * as WindowBuffer from "../memory/WindowBuffer.js"
import { Pattern } from "../patterns/Pattern.js"
import * as React from "../patterns/React.js"
import * as InMemorySessionStore from "../sessions/InMemorySessionStore.js"
import { SessionStore } from "../sessions/SessionStore.js"
import * as Skills from "../skills/Skills.js"
import * as ToolExecutor from "../tools/ToolExecutor.js"
import * as Toolkit from "../tools/Toolkit.js"
import type { AgentDefinition } from "./Agent.js"
import { runIdOfCheckpoint } from "./internal/journal.js"
import { type AgentEnv, type ChunkSink, executeRun } from "./internal/run.js"

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
 * The runtime's operations.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Runs and returns the final output; any other stop reason than `completed` fails with `RunFailed`. */
  readonly run: (input: RunInput) => Effect.Effect<unknown, StartError | RunFailed>
  /** Runs and returns the whole result, whatever the stop reason. Interrupting it cancels the run. */
  readonly runDetailed: (input: RunInput) => Effect.Effect<RunResult, StartError>
  /**
   * The run's own stream: `run.started` first, `run.finished` (with the result) last, `sequence` from 0
   * without gaps. Ending the stream early cancels the run.
   */
  readonly runStream: (input: RunInput) => Stream.Stream<RunStreamChunk, StartError>
  /** Cancels a run in progress (or waiting for its session); false when no such run is active. */
  readonly cancel: (runId: string) => Effect.Effect<boolean>
  readonly listAgents: Effect.Effect<ReadonlyArray<{ readonly id: string; readonly name: string }>>
  readonly getAgentInfo: (agentId: string) => Effect.Effect<Option.Option<AgentInfo>>
  /** Cancels the session's runs and forgets it. */
  readonly closeSession: (sessionId: string) => Effect.Effect<void>
  /** Releases what the runtime holds for the session, without touching its runs. Idempotent. */
  readonly releaseSession: (sessionId: string) => Effect.Effect<void>
  /** Reloads the agent definitions from where they came from (a config file). */
  readonly reload: Effect.Effect<void, ConfigError>
  /** Drops the agent's built seams (model, tools, ...) so the next run builds them anew. */
  readonly reloadAgent: (agentId: string) => Effect.Effect<void, UnknownAgentError>
  /** Sessions this runtime has run and not closed. */
  readonly sessionCount: Effect.Effect<number>
  /** Cancels every run and releases every agent's resources. */
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
export interface Options {
  readonly agents: ReadonlyArray<AgentDefinition>
  /** Where `reload` gets new definitions from (a config file); without it `reload` fails. */
  readonly reload?: Effect.Effect<ReadonlyArray<AgentDefinition>, ConfigError> | undefined
}

interface Lane {
  tail: Deferred.Deferred<void> | undefined
  waiting: number
  readonly runs: Set<string>
}

interface BuiltAgent {
  readonly env: AgentEnv
  readonly scope: Scope.CloseableScope
}

const checkDefinitions = (agents: ReadonlyArray<AgentDefinition>): Effect.Effect<void, ConfigError> => {
  const seen = new Set<string>()
  for (const [i, a] of agents.entries()) {
    if (!a.id) return Effect.fail(ConfigError.single(`agents[${i}].id`, "an agent needs a non-empty id"))
    if (seen.has(a.id)) return Effect.fail(ConfigError.single(`agents[${i}].id`, `duplicate agent id '${a.id}'`))
    seen.add(a.id)
  }
  return agents.length === 0 ? Effect.fail(ConfigError.single("agents", "at least one agent is required")) : Effect.void
}

/**
 * Builds a runtime. Needs a `SessionStore`, an `EventBus` and `Skills`; a `LanguageModel`, `Pattern`,
 * `Memory`, `ContextAssembler` or `ToolExecutor` in the context becomes the default of agents that do
 * not name their own.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options
): Effect.Effect<Service, ConfigError, SessionStore | EventBus.EventBus | Skills.Skills | Scope.Scope> =>
  Effect.gen(function*() {
    yield* checkDefinitions(options.agents)
    const store = yield* SessionStore
    const bus = yield* EventBus.EventBus
    const skills = yield* Skills.Skills
    const runtimeScope = yield* Effect.scope
    const ambient = {
      model: yield* Effect.serviceOption(LanguageModel),
      pattern: yield* Effect.serviceOption(Pattern),
      memory: yield* Effect.serviceOption(Memory),
      assembler: yield* Effect.serviceOption(ContextAssembler.ContextAssembler),
      executor: yield* Effect.serviceOption(ToolExecutor.ToolExecutor),
      toolkit: yield* Effect.serviceOption(Toolkit.Toolkit)
    }
    const fibers = yield* FiberMap.make<string>()
    const buildLock = yield* Effect.makeSemaphore(1)

    let agents = new Map(options.agents.map((a) => [a.id, a] as const))
    const built = new Map<string, BuiltAgent>()
    const lanes = new Map<string, Lane>()
    const sessions = new Set<string>()

    const lookup = (agentId: string): Effect.Effect<AgentDefinition, UnknownAgentError> =>
      Effect.suspend(() => {
        const agent = agents.get(agentId)
        if (agent) return Effect.succeed(agent)
        const available = [...agents.keys()]
        const suggestion = closest(agentId, available)
        return Effect.fail(new UnknownAgentError({ agentId, available, ...(suggestion ? { suggestion } : {}) }))
      })

    const buildSeam = <I, S>(
      layer: Layer.Layer<I, ConfigError> | undefined,
      tag: Context.Tag<I, S>,
      fallback: Option.Option<S>,
      builtin: () => Effect.Effect<S>,
      scope: Scope.Scope
    ): Effect.Effect<S, ConfigError> =>
      layer
        ? Effect.map(Layer.buildWithScope(layer, scope), Context.get(tag))
        : Option.isSome(fallback)
        ? Effect.succeed(fallback.value)
        : builtin()

    const envFor = (definition: AgentDefinition): Effect.Effect<AgentEnv, ConfigError> =>
      buildLock.withPermits(1)(
        Effect.gen(function*() {
          const existing = built.get(definition.id)
          if (existing) return existing.env
          const scope = yield* Scope.fork(runtimeScope, ExecutionStrategy.sequential)
          const env = yield* Effect.gen(function*() {
            const model = yield* buildSeam(definition.model, LanguageModel, ambient.model, () => MockModel.make(), scope)
            const pattern = yield* buildSeam(definition.pattern, Pattern, ambient.pattern, () => Effect.succeed(React.make), scope)
            const memory = yield* buildSeam(definition.memory, Memory, ambient.memory, () => Effect.succeed(WindowBuffer.make()), scope)
            const assembler = yield* buildSeam(
              definition.contextAssembler,
              ContextAssembler.ContextAssembler,
              ambient.assembler,
              () => Effect.succeed(ContextAssembler.passthrough),
              scope
            )
            const executor = yield* buildSeam(
              definition.toolExecutor,
              ToolExecutor.ToolExecutor,
              ambient.executor,
              () => Effect.succeed(ToolExecutor.make()),
              scope
            )
            const toolkit = definition.tools === undefined && Option.isSome(ambient.toolkit)
              ? ambient.toolkit.value
              : yield* Effect.try({
              try: () => Toolkit.make(...(definition.tools ?? [])),
              catch: (e) => ConfigError.single(`agents.${definition.id}.tools`, (e as Error).message)
            })
            const env: AgentEnv = {
              id: definition.id,
              name: definition.name ?? definition.id,
              instructions: definition.instructions,
              model,
              pattern,
              memory,
              memoryOnError: definition.memoryOnError ?? "continue",
              assembler,
              executor,
              toolkit,
              retry: { ...ProviderRetry.defaults, ...definition.retry },
              maxSteps: definition.maxSteps ?? 16,
              stepTimeoutMs: definition.stepTimeoutMs ?? 30_000,
              sessionQueueSize: definition.sessionQueueSize ?? 1000,
              eventQueueSize: definition.eventQueueSize ?? 2000,
              outputSchema: definition.outputSchema
            }
            return env
          }).pipe(Effect.onError(() => Scope.close(scope, Exit.void)))
          built.set(definition.id, { env, scope })
          return env
        })
      )

    const dropAgent = (agentId: string) =>
      Effect.suspend(() => {
        const b = built.get(agentId)
        built.delete(agentId)
        return b ? Scope.close(b.scope, Exit.void) : Effect.void
      })

    /** Admits a run to its session's lane: returns the wait for its turn and the release of its turn. */
    const admit = (sessionId: string, runId: string, queueSize: number) =>
      Effect.gen(function*() {
        let lane = lanes.get(sessionId)
        if (!lane) {
          lane = { tail: undefined, waiting: 0, runs: new Set() }
          lanes.set(sessionId, lane)
        }
        const prev = lane.tail
        if (prev && lane.waiting >= queueSize) return yield* new SessionBusy({ sessionId, queueSize })
        const mine = yield* Deferred.make<void>()
        lane.tail = mine
        lane.runs.add(runId)
        sessions.add(sessionId)
        const theLane = lane
        if (prev) theLane.waiting++
        let waited = prev === undefined
        const waitTurn = prev
          ? Deferred.await(prev).pipe(Effect.ensuring(Effect.sync(() => {
            if (!waited) {
              waited = true
              theLane.waiting--
            }
          })))
          : Effect.void
        // a run that ends while still waiting hands its turn on only once its predecessor is done
        const release = Effect.suspend(() => {
          theLane.runs.delete(runId)
          if (theLane.tail === mine) lanes.delete(sessionId)
          return prev && !waited
            ? Effect.andThen(
              Effect.sync(() => {
                waited = true
                theLane.waiting--
              }),
              Deferred.completeWith(mine, Deferred.await(prev))
            )
            : Deferred.succeed(mine, undefined)
        })
        return { waitTurn, release }
      })

    const normalize = (input: RunInput): Effect.Effect<RunRequest, ConfigError> =>
      input instanceof RunRequest
        ? Effect.succeed(input)
        : Effect.mapError(
          decodeRequest(input),
          (e) => ConfigError.single("request", ParseResult.TreeFormatter.formatErrorSync(e))
        )

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
      return Effect.succeed(new RunRequest({ ...request, runId }))
    }

    /** Starts a run as a fiber of the runtime; returns its result deferred. */
    const start = (input: RunInput, sink?: ChunkSink) =>
      Effect.gen(function*() {
        const request = yield* Effect.flatMap(normalize(input), adoptRunId)
        const definition = yield* lookup(request.agentId)
        const env = yield* envFor(definition)
        if (yield* FiberMap.has(fibers, request.runId)) {
          return yield* ConfigError.single("request.runId", `a run with id '${request.runId}' is already in progress`)
        }
        const turn = yield* admit(request.sessionId, request.runId, env.sessionQueueSize)
        const done = yield* Deferred.make<RunResult>()
        yield* FiberMap.run(
          fibers,
          request.runId,
          executeRun(request, env, { store, bus, skillsInstructions: skills.instructions }, {
            sink,
            waitTurn: turn.waitTurn,
            onResult: (result) => Deferred.succeed(done, result)
          }).pipe(
            // a run that could not even produce its result (a defect) must not leave its caller waiting
            Effect.onExit((exit) => Deferred.done(done, exit)),
            Effect.ensuring(turn.release)
          )
        )
        return { request, done }
      })

    const cancel = (runId: string) =>
      Effect.gen(function*() {
        if (!(yield* FiberMap.has(fibers, runId))) return false
        yield* FiberMap.remove(fibers, runId)
        return true
      })

    const runDetailed = (input: RunInput): Effect.Effect<RunResult, StartError> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function*() {
          const { done, request } = yield* start(input)
          return yield* restore(Deferred.await(done)).pipe(Effect.onInterrupt(() => cancel(request.runId)))
        })
      )

    const runStream = (input: RunInput): Stream.Stream<RunStreamChunk, StartError> =>
      Stream.unwrapScoped(
        Effect.gen(function*() {
          const request = yield* Effect.flatMap(normalize(input), adoptRunId)
          const definition = yield* lookup(request.agentId)
          const env = yield* envFor(definition)
          const queue = yield* Effect.acquireRelease(
            Queue.bounded<RunStreamChunk>(env.eventQueueSize),
            Queue.shutdown
          )
          let finished = false
          // a consumer that went away must not stop the run from finishing its bookkeeping
          const sink: ChunkSink = (chunk) => {
            if (chunk.kind === "run.finished") finished = true
            return Effect.ignore(Effect.exit(Queue.offer(queue, chunk)))
          }
          yield* Effect.acquireRelease(
            start(request, sink),
            // shut the queue first: a run blocked on a full queue must be able to finish its cancellation
            ({ request }) => Effect.zipRight(Queue.shutdown(queue), finished ? Effect.void : cancel(request.runId))
          )
          return Stream.fromQueue(queue).pipe(Stream.takeUntil((chunk) => chunk.kind === "run.finished"))
        })
      )

    const service: Service = {
      run: (input) =>
        Effect.flatMap(runDetailed(input), (result) =>
          result.stopReason === "completed" ? Effect.succeed(result.finalOutput) : Effect.fail(new RunFailed({ result }))),
      runDetailed,
      runStream,
      cancel,
      listAgents: Effect.sync(() => [...agents.values()].map((a) => ({ id: a.id, name: a.name ?? a.id }))),
      getAgentInfo: (agentId) =>
        Effect.sync(() => {
          const a = agents.get(agentId)
          if (!a) return Option.none()
          const b = built.get(agentId)
          return Option.some({
            id: a.id,
            name: a.name ?? a.id,
            tools: (a.tools ?? []).map((t) => t.name),
            loaded: b !== undefined,
            model: b?.env.model.model,
            info: a.info ?? {}
          })
        }),
      closeSession: (sessionId) =>
        Effect.gen(function*() {
          const lane = lanes.get(sessionId)
          if (lane) yield* Effect.forEach([...lane.runs], cancel, { discard: true })
          sessions.delete(sessionId)
        }),
      releaseSession: (sessionId) =>
        Effect.sync(() => {
          if (!lanes.has(sessionId)) sessions.delete(sessionId)
        }),
      reload: Effect.gen(function*() {
        if (!options.reload) {
          return yield* ConfigError.single("", "Cannot reload: this runtime was not built from a config file")
        }
        const next = yield* options.reload
        yield* checkDefinitions(next)
        const changed = [...built.keys()]
        agents = new Map(next.map((a) => [a.id, a] as const))
        // running runs keep the seams they started with; the next runs build them anew
        yield* Effect.forEach(changed, dropAgent, { discard: true })
      }),
      reloadAgent: (agentId) => Effect.flatMap(lookup(agentId), () => dropAgent(agentId)),
      sessionCount: Effect.sync(() => sessions.size),
      close: Effect.gen(function*() {
        yield* FiberMap.clear(fibers)
        yield* Effect.forEach([...built.keys()], dropAgent, { discard: true })
      })
    }
    return service
  })

/**
 * The runtime as a Layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options
): Layer.Layer<AgentRuntime, ConfigError, SessionStore | EventBus.EventBus | Skills.Skills> =>
  Layer.scoped(AgentRuntime, make(options))

/**
 * The runtime with the in-memory session store, a PubSub event bus and no skills: everything needed
 * but the agents. Provide a `LanguageModel` (or give each agent its own) to leave the mock.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerInMemory = (options: Options): Layer.Layer<AgentRuntime, ConfigError> =>
  layer(options).pipe(
    Layer.provide(Layer.mergeAll(InMemorySessionStore.layer, EventBus.layer(), Skills.layerNone))
  )

/**
 * Decodes a value as a `RunRequest` (for requests arriving as JSON).
 *
 * @since 0.1.0
 * @category constructors
 */
export const decodeRequest = Schema.decodeUnknown(RunRequest)
