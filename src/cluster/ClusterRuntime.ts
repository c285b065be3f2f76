/**
 * The `AgentRuntime` of a process that submits runs to the cluster instead of executing them: `run`,
 * `runDetailed`, `runStream` and `cancel` go to the runner owning the run's session (through the
 * `ClusterClient`); everything else (agents, approvals, traces, experiences) is the local runtime's, built
 * from the same config over the cluster's shared session store. Whatever is written against
 * `AgentRuntime` (the HTTP server, the Promise client, an Effect app) then runs on the cluster when this
 * Layer replaces the local one: `openagents serve CONFIG --cluster`, `createRuntime(config, { cluster: true })`.
 *
 * What differs from a local runtime (see docs/scale-out.md):
 * - a request carries no `outputType` Schema or `deps` (they cannot cross processes): a `ConfigError`;
 * - a run the cluster could not finish (its non-durable run lost with its runner, no runner up, the
 *   cluster's PostgreSQL down) ends with a `failed` result whose error is the `ClusterRunError`, as a
 *   run failed by its model does: its stream still starts with `run.started` and ends with `run.finished`;
 * - after a failover the stream goes on with the resumed run's chunks (the steps after its last
 *   checkpoint are seen again), `sequence` without a gap;
 * - a call needing approval stops its run with `awaiting_approval` (a runner does not hold a run waiting
 *   for a human; `waitForApproval: true` is refused): `approve` or `reject` continues it on the cluster.
 *
 * @since 0.5.0
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type { ClusterSettings } from "../config/ClusterConfig.js"
import { ConfigError, RunFailed, SessionBusy, UnknownAgentError } from "../kernel/Errors.js"
import { RunErrorInfo, RunRequest, RunResult, RunUsage } from "../kernel/Run.js"
import type { RunStreamChunk } from "../kernel/RunStreamChunk.js"
import { continuation } from "../runtime/internal/approvals.js"
import { decodeRunRequest } from "../runtime/internal/request.js"
import { AgentRuntime, type OutputOf, type RunInput, type StartError } from "../runtime/AgentRuntime.js"
import * as ClusterClient from "./ClusterClient.js"
import type { ClusterRunError } from "./SessionEntity.js"

const encodeRequest = Schema.encodeSync(RunRequest)

/** The request as the cluster takes it (JSON), or why it cannot go there. */
const toClusterInput = (
  local: AgentRuntime["Type"],
  input: RunInput
): Effect.Effect<{ readonly request: RunRequest; readonly json: ClusterClient.ClusterRunInput }, StartError> =>
  Effect.gen(function*() {
    const request = input instanceof RunRequest ? input : yield* Either.match(decodeRunRequest(input), {
      onLeft: Effect.fail,
      onRight: Effect.succeed
    })
    for (const field of ["outputType", "deps"] as const) {
      if (request[field] !== undefined) {
        return yield* ConfigError.single(
          `request.${field}`,
          "cannot be sent to the cluster (a run there gets the JSON of its request)",
          { hint: field === "outputType" ? "give the agent an output schema in its config instead" : "give the agent its services in its config instead" }
        )
      }
    }
    if (request.waitForApproval === true) {
      return yield* ConfigError.single(
        "request.waitForApproval",
        "a run on the cluster cannot wait for a decision made in another process",
        { hint: "leave it out: the run stops with awaiting_approval, and approve or reject continues it on the cluster" }
      )
    }
    const agents = yield* local.listAgents
    if (!agents.some((a) => a.id === request.agentId)) {
      const ids = agents.map((a) => a.id)
      const suggestion = ids.find((id) => id.toLowerCase() === request.agentId.toLowerCase())
      return yield* new UnknownAgentError({ agentId: request.agentId, available: ids, ...(suggestion ? { suggestion } : {}) })
    }
    const { deps: _deps, outputType: _outputType, ...json } = encodeRequest(request) as ClusterClient.ClusterRunInput & {
      readonly deps?: unknown
      readonly outputType?: unknown
    }
    // a call needing a human stops the run (it does not hold a runner waiting): a decision continues it
    return { request, json: { ...json, waitForApproval: false } }
  })

/** A refusal before the run started, as the runtime's start error: a full session queue, a request refused. */
const refusal = (request: RunRequest, error: ClusterRunError): StartError | undefined =>
  error.reason === "busy"
    ? new SessionBusy({ sessionId: request.sessionId, reason: "queue_full" })
    : error.reason === "rejected"
    ? ConfigError.single("request", error.message, error.hint !== undefined ? { hint: error.hint } : {})
    : undefined

/** A run the cluster could not finish, as the failed result it ends with. */
const failedResult = (request: RunRequest, error: ClusterRunError): RunResult =>
  new RunResult({
    runId: request.runId,
    sessionId: request.sessionId,
    agentId: request.agentId,
    finalOutput: null,
    stopReason: "failed",
    usage: RunUsage.empty,
    artifacts: [],
    error: new RunErrorInfo({
      tag: "ClusterRunError",
      message: `${error.reason}: ${error.message}`,
      retryable: error.retryable,
      ...(error.hint !== undefined ? { hint: error.hint } : {})
    }),
    metadata: { clusterError: error.reason }
  })

/**
 * The chunks that end a stream cut by `error`: `run.started` when nothing came yet, then `run.finished`
 * with the failed result, each numbered on from `seen`.
 */
const endOf = (request: RunRequest, error: ClusterRunError, seen: number): Effect.Effect<ReadonlyArray<RunStreamChunk>> =>
  Effect.map(Clock.currentTimeMillis, (timestampMs) => {
    const envelope = { runId: request.runId, sessionId: request.sessionId, agentId: request.agentId, timestampMs }
    const result = failedResult(request, error)
    const started: ReadonlyArray<RunStreamChunk> = seen > 0 ? [] : [{
      ...envelope,
      kind: "run.started",
      sequence: 0,
      payload: { inputText: request.inputText, durable: request.durable, ...(request.parentRunId ? { parentRunId: request.parentRunId } : {}) }
    }]
    return [...started, {
      ...envelope,
      kind: "run.finished",
      sequence: Math.max(seen, 1),
      payload: { stopReason: "failed", error: result.error!.message, durationMs: 0 },
      result
    }]
  })

/**
 * Builds the cluster's runtime over the local one (agents, approvals, traces) and a cluster client.
 *
 * @since 0.5.0
 * @category constructors
 */
export const make = (local: AgentRuntime["Type"], client: ClusterClient.ClusterClient["Type"]): AgentRuntime["Type"] => {
  /** The session of each run submitted here and not yet ended (for `cancel`). */
  const active = new Map<string, string>()

  const cancel = (runId: string): Effect.Effect<boolean> =>
    Effect.gen(function*() {
      const sessionId = active.get(runId) ?? Option.getOrUndefined(yield* client.sessionOf(runId))
      if (sessionId === undefined) return false
      return yield* client.cancel(sessionId, runId)
    }).pipe(Effect.orElseSucceed(() => false))

  const runStream = (input: RunInput): Stream.Stream<RunStreamChunk, StartError> =>
    Stream.unwrap(Effect.map(toClusterInput(local, input), ({ json, request }) =>
      Stream.suspend(() => {
        let seen = 0
        let ended = false
        active.set(request.runId, request.sessionId)
        return client.runStream(json).pipe(
          Stream.tap((chunk) =>
            Effect.sync(() => {
              if (chunk.runId !== request.runId) return
              seen = chunk.sequence + 1
              if (chunk.kind === "run.finished" && chunk.parentRunId === undefined) ended = true
            })
          ),
          Stream.catchAll((error): Stream.Stream<RunStreamChunk, StartError> => {
            const refused = seen === 0 ? refusal(request, error) : undefined
            if (refused !== undefined) return Stream.fail(refused)
            return Stream.fromIterableEffect(Effect.tap(endOf(request, error, seen), () => Effect.sync(() => (ended = true))))
          }),
          // ending the stream early cancels the run, as a local runtime's does
          Stream.ensuring(Effect.suspend(() => {
            active.delete(request.runId)
            return ended ? Effect.void : Effect.asVoid(client.cancel(request.sessionId, request.runId).pipe(Effect.ignore))
          }))
        )
      })
    ))

  // the result alone comes back from the runner (no chunk on the wire); interrupting it cancels the run
  const runDetailed = (input: RunInput): Effect.Effect<RunResult, StartError> =>
    Effect.flatMap(toClusterInput(local, input), ({ json, request }) =>
      Effect.suspend(() => {
        active.set(request.runId, request.sessionId)
        return client.runDetailed(json).pipe(
          Effect.catchAll((error) => {
            const refused = refusal(request, error)
            return refused !== undefined ? Effect.fail(refused) : Effect.succeed(failedResult(request, error))
          }),
          Effect.onInterrupt(() => Effect.ignore(client.cancel(request.sessionId, request.runId))),
          Effect.ensuring(Effect.sync(() => active.delete(request.runId)))
        )
      }))

  /** A decision: recorded in the shared store by the local runtime; a stopped run goes on on the cluster. */
  const decided = (
    decide: Effect.Effect<Option.Option<RunResult>, any>,
    runId: string,
    options: { readonly sessionId?: string | undefined; readonly waitForApproval?: boolean | undefined; readonly continueRun?: boolean | undefined } | undefined
  ) =>
    Effect.gen(function*() {
      yield* decide
      if (options?.continueRun === false) return Option.none<RunResult>()
      const ofRun = (yield* local.pendingApprovals(options?.sessionId)).filter((p) => p.runId === runId)
      const next = continuation(ofRun, false)
      if (next === undefined) return Option.none<RunResult>()
      return Option.some(yield* runDetailed(next))
    })

  return AgentRuntime.of({
    ...local,
    run: <I extends RunInput>(input: I) =>
      Effect.flatMap(runDetailed(input), (result) =>
        result.stopReason === "completed"
          ? Effect.succeed(result.finalOutput as OutputOf<I>)
          : Effect.fail(new RunFailed({ result }))),
    runDetailed: runDetailed as AgentRuntime["Type"]["runDetailed"],
    runStream,
    cancel,
    approve: (runId, callId, options) =>
      decided(local.approve(runId, callId, { ...options, continueRun: false }), runId, options),
    reject: (runId, callId, reason, options) =>
      decided(local.reject(runId, callId, reason, { ...options, continueRun: false }), runId, options),
    closeSession: (sessionId) =>
      Effect.zipRight(
        Effect.forEach([...active].filter(([, s]) => s === sessionId), ([runId]) => cancel(runId), { discard: true }),
        local.closeSession(sessionId)
      )
  })
}

/**
 * The cluster's runtime as a Layer over the local runtime in context: runs go to the cluster of
 * `settings` through a client-only member (this process hosts no session).
 *
 * @since 0.5.0
 * @category layers
 */
export const layer = (settings: ClusterSettings): Layer.Layer<AgentRuntime, never, AgentRuntime> =>
  Layer.effect(
    AgentRuntime,
    Effect.gen(function*() {
      const local = yield* AgentRuntime
      const client = yield* ClusterClient.ClusterClient
      return make(local, client)
    })
  ).pipe(Layer.provide(ClusterClient.layer(settings)))
