/**
 * The approvals group: the calls waiting for a decision, and the decision itself. A decision that lets a
 * stopped run go on starts the continued run through the server's registry, so it is a run of the server
 * like any other: `Accept: text/event-stream` streams it from the decision's response, and
 * `GET /v1/runs/{runId}/events` and `GET /v1/runs/{runId}` follow it (under the same run id; its chunks
 * start again at sequence 0, with `run.started`).
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { continuation } from "../../runtime/internal/approvals.js"
import { AgentRuntime } from "../../runtime/AgentRuntime.js"
import { Api, Decision } from "../Api.js"
import { decodeBody } from "./body.js"
import { startFailure } from "./handlers.js"
import { Runs } from "./runs.js"

export const approvals = HttpApiBuilder.group(Api, "approvals", (handlers) =>
  Effect.gen(function*() {
    const runtime = yield* AgentRuntime
    const { registry, sse } = yield* Runs
    return handlers
      .handle("list", ({ urlParams }) => Effect.orDie(runtime.pendingApprovals(urlParams.sessionId)))
      .handleRaw("decide", ({ path, request }) =>
        Effect.gen(function*() {
          const payload = yield* decodeBody(request, Decision, "decision")
          // the decision only: a run of this process waiting for it goes on by itself; a stopped one is
          // continued below, as a run of the server
          // the run's session when the server knows the run: the store then looks in that session only
          const sessionId = Option.getOrUndefined(Option.map(registry.get(path.runId), (entry) => entry.sessionId))
          const options = { continueRun: false, sessionId }
          yield* (payload.decision === "approve"
            ? runtime.approve(path.runId, path.callId, { ...options, ...(payload.arguments ? { arguments: payload.arguments } : {}) })
            : runtime.reject(path.runId, path.callId, payload.reason, options)).pipe(
              Effect.catchTag("SessionStoreError", Effect.die),
              Effect.mapError(startFailure)
            )
          const decided = { runId: path.runId, callId: path.callId, decision: payload.decision }
          const ofRun = (yield* Effect.orDie(runtime.pendingApprovals(sessionId))).filter((p) => p.runId === path.runId)
          const next = continuation(ofRun, false)
          if (next === undefined) return decided
          const entry = yield* Effect.mapError(registry.start(next), startFailure)
          if ((request.headers["accept"] ?? "").includes("text/event-stream")) return sse(entry, -1, false)
          return { ...decided, result: yield* Deferred.await(entry.done) }
        }))
  }))
