/**
 * The Promise facade, for code that does not use Effect.
 *
 * @example
 * const runtime = await createRuntime("agent.json")
 * const answer = await runtime.run({ agentId: "assistant", inputText: "hello" })
 * for await (const chunk of runtime.runStream({ agentId: "assistant", inputText: "hi" })) console.log(chunk.kind)
 * await runtime.close()
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Runtime from "effect/Runtime"
import { settingsOf } from "../config/ClusterConfig.js"
import * as ConfigLoader from "../config/ConfigLoader.js"
import * as Plugins from "../config/Plugins.js"
import * as Option from "effect/Option"
import type { PendingApproval } from "../kernel/Approval.js"
import { ConfigError } from "../kernel/Errors.js"
import type { RunResult } from "../kernel/Run.js"
import type { RunStreamChunk } from "../kernel/RunStreamChunk.js"
import type { Experience, ExperiencePatch } from "../memory/ExperienceStore.js"
import * as AgentRuntime from "../runtime/AgentRuntime.js"
import type { FeedbackInput, FeedbackResult, Trace, TraceFilter, TraceWithSteps } from "../traces/TraceStore.js"
import { toAsyncIterable } from "./internal/asyncIterable.js"

/**
 * A runtime driven with Promises.
 *
 * @since 0.1.0
 * @category models
 */
export interface Client {
  /** The final output; rejects with `RunFailed` (carrying the result) unless the run completed. */
  readonly run: (request: AgentRuntime.RunInput) => Promise<unknown>
  /** The whole result, whatever the stop reason. */
  readonly runDetailed: (request: AgentRuntime.RunInput) => Promise<RunResult>
  /** The run's chunks as they happen; leaving the loop early cancels the run. */
  readonly runStream: (request: AgentRuntime.RunInput) => AsyncIterable<RunStreamChunk>
  readonly cancel: (runId: string) => Promise<boolean>
  /**
   * A background delegation's status (see docs/multi-agent.md): `running`, then its child run's stop
   * reason with its output or error; `undefined` for a task id this runtime did not start.
   *
   * @since 0.4.0
   */
  readonly taskStatus: (taskId: string) => Promise<AgentRuntime.TaskInfo | undefined>
  /**
   * Cancels the session's runs and forgets the session, so a long-lived process does not keep every
   * session it ever served. Its stored history stays in the session store.
   *
   * @since 0.2.0
   */
  readonly closeSession: (sessionId: string) => Promise<void>
  readonly listAgents: () => Promise<ReadonlyArray<{ readonly id: string; readonly name: string }>>
  /**
   * Tool calls waiting for a human, of one session or all (see docs/approvals.md).
   *
   * @since 0.3.0
   */
  readonly pendingApprovals: (sessionId?: string) => Promise<ReadonlyArray<PendingApproval>>
  /**
   * Approves a pending call, with edited arguments if given. Resolves with the continued run's result when
   * the run had stopped, `undefined` when a run of this runtime was waiting; rejects with `ApprovalError`
   * for an unknown call or a refused edit (the call stays pending).
   *
   * @since 0.3.0
   */
  readonly approve: (
    runId: string,
    callId: string,
    options?: { readonly arguments?: Readonly<Record<string, unknown>>; readonly sessionId?: string }
  ) => Promise<RunResult | undefined>
  /**
   * Rejects a pending call: the model is told, with the reason, and the run goes on (as for `approve`).
   *
   * @since 0.3.0
   */
  readonly reject: (runId: string, callId: string, reason?: string, options?: { readonly sessionId?: string }) => Promise<RunResult | undefined>
  readonly reload: () => Promise<void>
  /** Cancels every run and releases every resource (stores, connections). */
  readonly close: () => Promise<void>
  /** A trace with its steps (rejects with `TraceNotFound`). @since 0.3.0 */
  readonly getTrace: (traceId: string) => Promise<TraceWithSteps>
  /** @since 0.3.0 */
  readonly listTraces: (filter?: TraceFilter) => Promise<ReadonlyArray<Trace>>
  /** Feedback on a step; positive and correction feedback become experiences. @since 0.3.0 */
  readonly addFeedback: (input: FeedbackInput) => Promise<FeedbackResult>
  /** @since 0.3.0 */
  readonly listExperiences: (filter?: { readonly agentId?: string }) => Promise<ReadonlyArray<Experience>>
  /** @since 0.3.0 */
  readonly updateExperience: (experienceId: string, patch: ExperiencePatch) => Promise<Experience>
  /** @since 0.3.0 */
  readonly deleteExperience: (experienceId: string) => Promise<boolean>
  /** One model call outside any run, traced as a `call` trace. @since 0.3.0 */
  readonly call: (input: AgentRuntime.CallInput) => Promise<AgentRuntime.CallResult>
}

/**
 * Wraps a runtime Layer in a {@link Client}.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromLayer = async (layer: Layer.Layer<AgentRuntime.AgentRuntime, ConfigError>): Promise<Client> => {
  const managed = ManagedRuntime.make(layer)
  const effectRuntime = await managed.runtime().catch((e: unknown) => {
    throw Runtime.isFiberFailure(e) ? Cause.squash(e[Runtime.FiberFailureCauseId]) : e
  })
  const runtime = await managed.runPromise(AgentRuntime.AgentRuntime)
  // reject with the typed error itself (a RunFailed, a ConfigError, ...), not a wrapper
  const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> =>
    managed.runPromiseExit(effect).then((exit) => {
      if (Exit.isSuccess(exit)) return exit.value
      throw Cause.squash(exit.cause)
    })
  return {
    run: (request) => run(runtime.run(request)),
    runDetailed: (request) => run(runtime.runDetailed(request)),
    runStream: (request) =>
      toAsyncIterable(runtime.runStream(request), effectRuntime, {
        capacity: 2000,
        onError: (cause) => Cause.squash(cause)
      }),
    cancel: (runId) => run(runtime.cancel(runId)),
    taskStatus: (taskId) => run(runtime.taskStatus(taskId)).then(Option.getOrUndefined),
    closeSession: (sessionId) => run(runtime.closeSession(sessionId)),
    listAgents: () => run(runtime.listAgents),
    pendingApprovals: (sessionId) => run(runtime.pendingApprovals(sessionId)),
    approve: (runId, callId, options) => run(runtime.approve(runId, callId, options)).then(Option.getOrUndefined),
    reject: (runId, callId, reason, options) => run(runtime.reject(runId, callId, reason, options)).then(Option.getOrUndefined),
    reload: () => run(runtime.reload),
    close: () => run(runtime.close).then(() => managed.dispose()),
    getTrace: (traceId) => run(runtime.getTrace(traceId)),
    listTraces: (filter) => run(runtime.listTraces(filter)),
    addFeedback: (input) => run(runtime.addFeedback(input)),
    listExperiences: (filter) => run(runtime.listExperiences(filter)),
    updateExperience: (id, patch) => run(runtime.updateExperience(id, patch)),
    deleteExperience: (id) => run(runtime.deleteExperience(id)),
    call: (input) => run(runtime.call(input))
  }
}

/**
 * Options of {@link createRuntime}.
 *
 * @since 0.5.0
 * @category models
 */
export interface CreateOptions {
  /**
   * Submit the runs to the cluster of the config's `cluster` block (runners started with `openagents
   * runner`) instead of running them in this process; see docs/scale-out.md. Needs the optional
   * packages `@effect/cluster` and `@effect/sql-pg`.
   */
  readonly cluster?: boolean | undefined
}

/**
 * A runtime from an `agent.json` path or a config object.
 *
 * @since 0.1.0
 * @category constructors
 */
export const createRuntime = async (config: string | Record<string, unknown>, options?: CreateOptions): Promise<Client> => {
  if (options?.cluster !== true) return fromLayer(Plugins.runtimeLayer(config))
  // loaded on demand: the cluster's packages are optional peers
  const ClusterRuntime = await import("../cluster/ClusterRuntime.js")
  const layer = Layer.unwrapEffect(Effect.gen(function*() {
    const loaded = yield* ConfigLoader.load(config)
    const settings = settingsOf(loaded.config, loaded.path)
    if (settings instanceof ConfigError) return yield* settings
    return ClusterRuntime.layer(settings).pipe(Layer.provide(Plugins.runtimeLayer(config)))
  }))
  return fromLayer(layer)
}
