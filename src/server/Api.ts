/**
 * The HTTP API of openagents as `@effect/platform` HttpApi definitions: endpoints, payloads, errors and
 * the bearer-token security. `Server.layer` implements them; the OpenAPI document is derived from them.
 *
 * @since 0.4.0
 */
import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiMiddleware from "@effect/platform/HttpApiMiddleware"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as HttpApiSecurity from "@effect/platform/HttpApiSecurity"
import * as OpenApi from "@effect/platform/OpenApi"
import * as Schema from "effect/Schema"
import { PendingApproval } from "../kernel/Approval.js"
import { RunResult } from "../kernel/Run.js"
import { Experience } from "../memory/ExperienceStore.js"
import { FeedbackType, Trace, TraceStep } from "../traces/TraceStore.js"

/**
 * One problem of a request, at its path (`request.budget.maxSteps`), as the CLI prints it.
 *
 * @since 0.4.0
 * @category errors
 */
export const Issue = Schema.Struct({
  path: Schema.String,
  message: Schema.String,
  hint: Schema.optional(Schema.String)
})

/**
 * 400: the request is invalid; `message` is the CLI's text, `issues` every problem at its path.
 *
 * @since 0.4.0
 * @category errors
 */
export class BadRequest extends Schema.TaggedError<BadRequest>()("BadRequest", {
  message: Schema.String,
  issues: Schema.optional(Schema.Array(Issue))
}, HttpApiSchema.annotations({ status: 400 })) {}

/**
 * 401: no bearer token, or not one of the server's.
 *
 * @since 0.4.0
 * @category errors
 */
export class Unauthorized extends Schema.TaggedError<Unauthorized>()("Unauthorized", {
  message: Schema.String
}, HttpApiSchema.annotations({ status: 401 })) {}

/**
 * 404: no agent, run, session, trace, experience or pending call with this id.
 *
 * @since 0.4.0
 * @category errors
 */
export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", {
  message: Schema.String,
  hint: Schema.optional(Schema.String)
}, HttpApiSchema.annotations({ status: 404 })) {}

/**
 * 409: the session is busy (its queue is full) or a run with this id is in progress.
 *
 * @since 0.4.0
 * @category errors
 */
export class Conflict extends Schema.TaggedError<Conflict>()("Conflict", {
  message: Schema.String,
  hint: Schema.optional(Schema.String)
}, HttpApiSchema.annotations({ status: 409 })) {}

/**
 * 410: the chunks after this `Last-Event-ID` left the server's replay window.
 *
 * @since 0.4.0
 * @category errors
 */
export class Gone extends Schema.TaggedError<Gone>()("Gone", {
  message: Schema.String
}, HttpApiSchema.annotations({ status: 410 })) {}

/**
 * 503: the server is up but cannot serve runs (its session store does not answer).
 *
 * @since 0.4.0
 * @category errors
 */
export class Unavailable extends Schema.TaggedError<Unavailable>()("Unavailable", {
  message: Schema.String
}, HttpApiSchema.annotations({ status: 503 })) {}

/**
 * The bearer-token security of every endpoint but health and readiness.
 *
 * @since 0.4.0
 * @category security
 */
export class Authorization extends HttpApiMiddleware.Tag<Authorization>()("openagents/server/Authorization", {
  failure: Unauthorized,
  security: { bearer: HttpApiSecurity.bearer }
}) {}

const RunIdPath = Schema.Struct({ runId: Schema.String })

/**
 * The body of `POST /v1/runs`: a RunRequest as JSON plus `cancelOnDisconnect`. Checked by the runtime's
 * own request check, so problems read as in the CLI and the Promise client.
 *
 * @since 0.4.0
 * @category models
 */
export const StartRun = Schema.Struct({
  agentId: Schema.String,
  sessionId: Schema.optional(Schema.String),
  inputText: Schema.String,
  runId: Schema.optional(Schema.String),
  budget: Schema.optional(Schema.Struct({
    maxSteps: Schema.optional(Schema.Int),
    maxDurationMs: Schema.optional(Schema.Int),
    maxToolCalls: Schema.optional(Schema.Int),
    maxCostUsd: Schema.optional(Schema.Number),
    maxValidationRetries: Schema.optional(Schema.Int),
    maxResumeAttempts: Schema.optional(Schema.Int)
  })),
  metadata: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  durable: Schema.optional(Schema.Boolean),
  resumeFromCheckpoint: Schema.optional(Schema.String),
  waitForApproval: Schema.optional(Schema.Boolean),
  approvalTimeoutMs: Schema.optional(Schema.Int),
  /** Cancel the run when the client that started it disconnects (default false: the run goes on). */
  cancelOnDisconnect: Schema.optional(Schema.Boolean)
}).annotations({ identifier: "StartRun" })

/**
 * A run as the server tracks it: running, or finished with its result.
 *
 * @since 0.4.0
 * @category models
 */
export const RunStatus = Schema.Struct({
  runId: Schema.String,
  agentId: Schema.String,
  sessionId: Schema.String,
  status: Schema.Literal("running", "finished"),
  /** The sequence of the last chunk the run emitted. */
  lastSequence: Schema.Number,
  result: Schema.optional(RunResult)
}).annotations({ identifier: "RunStatus" })

const AgentSummary = Schema.Struct({ id: Schema.String, name: Schema.String })

/**
 * What `GET /v1/agents/{agentId}` tells about an agent.
 *
 * @since 0.4.0
 * @category models
 */
export const AgentInfo = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  tools: Schema.Array(Schema.String),
  loaded: Schema.Boolean,
  model: Schema.optional(Schema.String),
  info: Schema.Record({ key: Schema.String, value: Schema.Unknown })
}).annotations({ identifier: "AgentInfo" })

/**
 * A session as `GET /v1/sessions/{sessionId}` shows it.
 *
 * @since 0.4.0
 * @category models
 */
export const SessionView = Schema.Struct({
  sessionId: Schema.String,
  messages: Schema.Array(Schema.Unknown),
  state: Schema.Unknown,
  journaledRuns: Schema.Array(Schema.String),
  pendingApprovals: Schema.Array(PendingApproval)
}).annotations({ identifier: "SessionView" })

/**
 * The body of `POST /v1/approvals/{runId}/{callId}`.
 *
 * @since 0.4.0
 * @category models
 */
export const Decision = Schema.Struct({
  decision: Schema.Literal("approve", "reject"),
  /** Edited arguments of an approved call (only its editable parameters may change). */
  arguments: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  reason: Schema.optional(Schema.String)
}).annotations({ identifier: "Decision" })

const Decided = Schema.Struct({
  runId: Schema.String,
  callId: Schema.String,
  decision: Schema.Literal("approve", "reject"),
  /** The continued run's result, when the decision continued a stopped run. */
  result: Schema.optional(RunResult)
})

/**
 * The body of `POST /v1/traces/{traceId}/feedback`.
 *
 * @since 0.4.0
 * @category models
 */
export const FeedbackBody = Schema.Struct({
  stepId: Schema.String,
  type: FeedbackType,
  content: Schema.String,
  extractExperience: Schema.optional(Schema.Boolean)
})

const FeedbackResult = Schema.Struct({
  feedbackStepId: Schema.String,
  experienceId: Schema.optional(Schema.String),
  memoryWriteStepId: Schema.optional(Schema.String)
})

const Health = Schema.Struct({ status: Schema.String })
const Readiness = Schema.Struct({ status: Schema.String, agents: Schema.Number })

/**
 * Health and readiness: the only endpoints without a token.
 *
 * @since 0.4.0
 * @category groups
 */
export class HealthGroup extends HttpApiGroup.make("health")
  .add(HttpApiEndpoint.get("health", "/healthz").addSuccess(Health))
  .add(HttpApiEndpoint.get("ready", "/readyz").addSuccess(Readiness).addError(Unavailable))
{}

/**
 * Agents of the server's config.
 *
 * @since 0.4.0
 * @category groups
 */
export class AgentsGroup extends HttpApiGroup.make("agents")
  .add(HttpApiEndpoint.get("list", "/agents").addSuccess(Schema.Array(AgentSummary)))
  .add(
    HttpApiEndpoint.get("describe", "/agents/:agentId").setPath(Schema.Struct({ agentId: Schema.String }))
      .addSuccess(AgentInfo).addError(NotFound)
  )
  .middleware(Authorization)
  .prefix("/v1")
{}

/**
 * Runs: start (JSON or Server-Sent Events), status, cancel, and the events of a run from `Last-Event-ID`.
 *
 * @since 0.4.0
 * @category groups
 */
export class RunsGroup extends HttpApiGroup.make("runs")
  .add(
    HttpApiEndpoint.post("start", "/runs").setPayload(StartRun).addSuccess(RunResult)
      .addError(BadRequest).addError(NotFound).addError(Conflict)
      .annotate(OpenApi.Description, "Starts a run. With `Accept: text/event-stream` the response is its chunks as " +
        "Server-Sent Events (`id:` = sequence, `event:` = kind, `data:` = the chunk as JSON), else the RunResult.")
  )
  .add(HttpApiEndpoint.get("get", "/runs/:runId").setPath(RunIdPath).addSuccess(RunStatus).addError(NotFound))
  .add(
    HttpApiEndpoint.post("cancel", "/runs/:runId/cancel").setPath(RunIdPath)
      .addSuccess(Schema.Struct({ runId: Schema.String, cancelled: Schema.Boolean })).addError(NotFound)
  )
  .add(
    HttpApiEndpoint.get("events", "/runs/:runId/events").setPath(RunIdPath)
      .addSuccess(Schema.String.pipe(HttpApiSchema.withEncoding({ kind: "Text", contentType: "text/event-stream" })))
      .addError(BadRequest).addError(NotFound).addError(Gone)
      .annotate(OpenApi.Description, "The run's chunks as Server-Sent Events, after the `Last-Event-ID` header's " +
        "sequence (or `?after=`): what the client missed is replayed, then the live chunks until run.finished.")
  )
  .middleware(Authorization)
  .prefix("/v1")
{}

/**
 * Sessions of the session store.
 *
 * @since 0.4.0
 * @category groups
 */
export class SessionsGroup extends HttpApiGroup.make("sessions")
  .add(HttpApiEndpoint.get("list", "/sessions").addSuccess(Schema.Array(Schema.String)))
  .add(
    HttpApiEndpoint.get("show", "/sessions/:sessionId").setPath(Schema.Struct({ sessionId: Schema.String }))
      .addSuccess(SessionView).addError(NotFound)
  )
  .add(
    HttpApiEndpoint.del("delete", "/sessions/:sessionId").setPath(Schema.Struct({ sessionId: Schema.String }))
      .addSuccess(HttpApiSchema.NoContent).addError(NotFound).addError(Conflict)
  )
  .middleware(Authorization)
  .prefix("/v1")
{}

/**
 * Tool calls waiting for a human's decision.
 *
 * @since 0.4.0
 * @category groups
 */
export class ApprovalsGroup extends HttpApiGroup.make("approvals")
  .add(
    HttpApiEndpoint.get("list", "/approvals")
      .setUrlParams(Schema.Struct({ sessionId: Schema.optional(Schema.String) }))
      .addSuccess(Schema.Array(PendingApproval))
  )
  .add(
    HttpApiEndpoint.post("decide", "/approvals/:runId/:callId")
      .setPath(Schema.Struct({ runId: Schema.String, callId: Schema.String }))
      .setPayload(Decision).addSuccess(Decided).addError(BadRequest).addError(NotFound).addError(Conflict)
  )
  .middleware(Authorization)
  .prefix("/v1")
{}

/**
 * Execution traces, feedback on their steps, and the experiences feedback teaches.
 *
 * @since 0.4.0
 * @category groups
 */
export class TracesGroup extends HttpApiGroup.make("traces")
  .add(
    HttpApiEndpoint.get("list", "/traces")
      .setUrlParams(Schema.Struct({
        agentId: Schema.optional(Schema.String),
        sessionId: Schema.optional(Schema.String),
        limit: Schema.optional(Schema.NumberFromString.pipe(Schema.int(), Schema.positive()))
      }))
      .addSuccess(Schema.Array(Trace))
  )
  .add(
    HttpApiEndpoint.get("show", "/traces/:traceId").setPath(Schema.Struct({ traceId: Schema.String }))
      .addSuccess(Schema.Struct({ trace: Trace, steps: Schema.Array(TraceStep) })).addError(NotFound)
  )
  .add(
    HttpApiEndpoint.post("feedback", "/traces/:traceId/feedback").setPath(Schema.Struct({ traceId: Schema.String }))
      .setPayload(FeedbackBody).addSuccess(FeedbackResult).addError(BadRequest).addError(NotFound)
  )
  .add(
    HttpApiEndpoint.get("experiences", "/experiences")
      .setUrlParams(Schema.Struct({ agentId: Schema.optional(Schema.String) }))
      .addSuccess(Schema.Array(Experience))
  )
  .add(
    HttpApiEndpoint.del("deleteExperience", "/experiences/:experienceId")
      .setPath(Schema.Struct({ experienceId: Schema.String }))
      .addSuccess(HttpApiSchema.NoContent).addError(NotFound)
  )
  .middleware(Authorization)
  .prefix("/v1")
{}

/**
 * The whole API.
 *
 * @since 0.4.0
 * @category api
 */
export class Api extends HttpApi.make("openagents")
  .add(HealthGroup)
  .add(AgentsGroup)
  .add(RunsGroup)
  .add(SessionsGroup)
  .add(ApprovalsGroup)
  .add(TracesGroup)
  .annotate(OpenApi.Title, "openagents")
  .annotate(OpenApi.Version, "1")
{}
