/**
 * The handlers of every group but runs: thin mappings from HTTP to the runtime and the session store,
 * with the runtime's errors turned into the API's statuses (unknown ids 404, invalid input 400).
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type { ApprovalError, SessionStoreError } from "../../kernel/Errors.js"
import { AgentRuntime, type StartError } from "../../runtime/AgentRuntime.js"
import { SessionStore } from "../../sessions/SessionStore.js"
import { Api, Authorization, BadRequest, Conflict, FeedbackBody, NotFound, Unauthorized, Unavailable } from "../Api.js"
import { decodeBody } from "./body.js"
import { checker } from "./auth.js"

/** A store failure is the server's fault: a 500 with the store's message is all a client can act on. */
const orDie = <A, R>(effect: Effect.Effect<A, SessionStoreError | { readonly _tag: string }, R>) =>
  Effect.orDie(effect)

/** The runtime's start errors as statuses: invalid request 400, unknown agent 404, busy session 409. */
export const startFailure = (error: StartError | ApprovalError): BadRequest | NotFound | Conflict => {
  switch (error._tag) {
    case "ConfigError":
      return new BadRequest({
        message: error.message,
        issues: error.issues.map((i) => ({ path: i.path, message: i.message, ...(i.hint ? { hint: i.hint } : {}) }))
      })
    case "UnknownAgentError":
      return new NotFound({ message: error.message, hint: error.hint })
    case "SessionBusy":
      return new Conflict({ message: error.message })
    case "ApprovalError":
      return error.message.startsWith("no call")
        ? new NotFound({ message: error.message, ...(error.hint ? { hint: error.hint } : {}) })
        : new BadRequest({ message: error.message, issues: [{ path: "arguments", message: error.message }] })
  }
}

/**
 * Bearer-token checking; `tokens: undefined` lets every request in (`--no-auth`).
 */
export const authorization = (tokens: ReadonlyArray<string> | undefined) => {
  const check = tokens === undefined ? undefined : checker(tokens)
  return Layer.succeed(Authorization, {
    bearer: (token) =>
      check === undefined || check(Redacted.value(token))
        ? Effect.void
        : Effect.fail(new Unauthorized({ message: "a valid bearer token is required (Authorization: Bearer <token>)" }))
  })
}

/** The session id readiness reads: a read of a session that does not exist, which the store answers without writing. */
const READINESS_PROBE = "openagents-readyz"

/**
 * Liveness answers as long as the process serves HTTP; readiness also needs the session store to answer a
 * read within `readyTimeout` (a database that is down or a full pool makes it 503, naming the store's error).
 */
export const health = (readyTimeout: Duration.DurationInput) =>
  HttpApiBuilder.group(Api, "health", (handlers) =>
    Effect.gen(function*() {
      const runtime = yield* AgentRuntime
      const store = yield* SessionStore
      return handlers
        .handle("health", () => Effect.succeed({ status: "ok" }))
        .handle("ready", () =>
          store.getState(READINESS_PROBE).pipe(
            Effect.timeoutFail({
              duration: readyTimeout,
              onTimeout: () => new Unavailable({ message: `the session store did not answer within ${Duration.format(readyTimeout)}` })
            }),
            Effect.catchTag("SessionStoreError", (e) => Effect.fail(new Unavailable({ message: `the session store fails: ${e.message}` }))),
            Effect.zipRight(runtime.listAgents),
            Effect.map((agents) => ({ status: "ready", agents: agents.length }))
          ))
    }))

export const agents = HttpApiBuilder.group(Api, "agents", (handlers) =>
  Effect.gen(function*() {
    const runtime = yield* AgentRuntime
    return handlers
      .handle("list", () => runtime.listAgents)
      .handle("describe", ({ path }) =>
        Effect.flatMap(runtime.getAgentInfo(path.agentId), (info) =>
          Option.match(info, {
            onNone: () =>
              Effect.flatMap(runtime.listAgents, (all) =>
                Effect.fail(
                  new NotFound({
                    message: `Unknown agent id '${path.agentId}'. Available agents: [${all.map((a) => a.id).join(", ")}]`
                  })
                )),
            onSome: (a) => Effect.succeed({ ...a, model: a.model })
          })))
  }))

export const sessions = HttpApiBuilder.group(Api, "sessions", (handlers) =>
  Effect.gen(function*() {
    const runtime = yield* AgentRuntime
    const store = yield* SessionStore
    const require = (sessionId: string) =>
      Effect.flatMap(orDie(store.listSessions), (all) =>
        all.includes(sessionId)
          ? Effect.void
          : Effect.fail(new NotFound({ message: `no session '${sessionId}'`, hint: "list them with GET /v1/sessions" })))
    return handlers
      .handle("list", () => orDie(store.listSessions))
      .handle("show", ({ path }) =>
        Effect.zipRight(
          require(path.sessionId),
          orDie(Effect.all({
            sessionId: Effect.succeed(path.sessionId),
            messages: store.loadMessages(path.sessionId),
            state: store.getState(path.sessionId),
            journaledRuns: store.listJournaledRuns(path.sessionId),
            pendingApprovals: store.listPendingApprovals(path.sessionId)
          }))
        ))
      .handle("delete", ({ path }) =>
        Effect.gen(function*() {
          yield* require(path.sessionId)
          // the session's runs end first; then the store forgets it (held, so another process's run refuses)
          yield* runtime.closeSession(path.sessionId)
          yield* Effect.scoped(Effect.zipRight(store.acquire(path.sessionId), store.deleteSession(path.sessionId))).pipe(
            Effect.catchTag("SessionBusy", (e) => Effect.fail(new Conflict({ message: e.message }))),
            Effect.catchTag("SessionStoreError", Effect.die)
          )
        }))
  }))

export const traces = HttpApiBuilder.group(Api, "traces", (handlers) =>
  Effect.gen(function*() {
    const runtime = yield* AgentRuntime
    const traceNotFound = (traceId: string) =>
      new NotFound({ message: `no trace '${traceId}'`, hint: "list them with GET /v1/traces" })
    return handlers
      .handle("list", ({ urlParams }) => orDie(runtime.listTraces(urlParams)))
      .handle("show", ({ path }) =>
        runtime.getTrace(path.traceId).pipe(
          Effect.catchTag("TraceNotFound", () => Effect.fail(traceNotFound(path.traceId))),
          Effect.catchTag("TraceStoreError", Effect.die)
        ))
      .handleRaw("feedback", ({ path, request }) =>
        Effect.flatMap(decodeBody(request, FeedbackBody, "feedback"), (payload) => runtime.addFeedback({ ...payload, traceId: path.traceId })).pipe(
          Effect.map((r) => ({
            feedbackStepId: r.feedbackStepId,
            ...(r.experienceId ? { experienceId: r.experienceId } : {}),
            ...(r.memoryWriteStepId ? { memoryWriteStepId: r.memoryWriteStepId } : {})
          })),
          Effect.catchTags({
            TraceNotFound: () => Effect.fail(traceNotFound(path.traceId)),
            StepNotFound: (e) =>
              Effect.fail(new NotFound({ message: `trace '${e.traceId}' has no step '${e.stepId}'` })),
            TraceStoreError: Effect.die,
            ExperienceStoreError: Effect.die
          })
        ))
      .handle("experiences", ({ urlParams }) => orDie(runtime.listExperiences(urlParams)))
      .handle("deleteExperience", ({ path }) =>
        Effect.flatMap(orDie(runtime.deleteExperience(path.experienceId)), (deleted) =>
          deleted ? Effect.void : Effect.fail(new NotFound({ message: `no experience '${path.experienceId}'` }))))
  }))
