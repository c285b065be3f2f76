/**
 * What the `traces`, `feedback` and `experiences` commands share: the runtime of a config (its traces
 * and experiences; no agent is built, no model called), where it keeps them, how failures end the
 * command, and a trace as a tree of steps.
 *
 * @since 0.3.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Context from "effect/Context"
import * as Schema from "effect/Schema"
import * as ConfigLoader from "../../config/ConfigLoader.js"
import * as Plugins from "../../config/Plugins.js"
import * as TracesConfig from "../../config/TracesConfig.js"
import * as AgentRuntime from "../../runtime/AgentRuntime.js"
import { Trace, type TraceStep, type TraceWithSteps } from "../../traces/TraceStore.js"
import { configFailure } from "./configErrors.js"
import { CliExit, EXIT } from "./exit.js"
import { clip } from "./store.js"

/**
 * The runtime of a config, and where its traces are (for messages).
 *
 * @since 0.3.0
 * @category models
 */
export interface Opened {
  readonly runtime: AgentRuntime.Service
  /** E.g. `the SQLite file /abs/agent.db`. */
  readonly where: string
  readonly inMemory: boolean
  readonly enabled: boolean
}

/**
 * Opens a config's runtime for its traces and experiences, held until the scope closes. A bad config is
 * a CliExit(2).
 *
 * @since 0.3.0
 * @category constructors
 */
export const openRuntime = (configPath: string) =>
  Effect.gen(function*() {
    const loaded = yield* ConfigLoader.loadFile(configPath).pipe(Effect.mapError(configFailure))
    const built = yield* Plugins.fromConfig(loaded).pipe(Effect.mapError(configFailure))
    const context = yield* Layer.build(AgentRuntime.layer({ agents: built.agents }).pipe(Layer.provide(built.services))).pipe(
      Effect.mapError(configFailure)
    )
    const place = TracesConfig.placeOf(loaded.config.traces, loaded.config.session, loaded.dir)
    const opened: Opened = {
      runtime: Context.get(context, AgentRuntime.AgentRuntime),
      where: place.dbPath !== undefined ? `the SQLite file ${place.dbPath}` : "memory",
      inMemory: place.dbPath === undefined,
      enabled: place.enabled
    }
    return opened
  })

/**
 * A hint for an empty listing or an unknown id: traces in memory do not outlive a process.
 *
 * @since 0.3.0
 * @category formatting
 */
export const placeHint = (opened: Opened): string | undefined =>
  !opened.enabled
    ? "tracing is off in this config (traces.enabled: false)"
    : opened.inMemory
    ? "this config keeps traces in memory: nothing outlives a process; use SQLite sessions or traces: {\"type\": \"sqlite\", \"config\": {\"db_path\": \"traces.db\"}}"
    : undefined

/**
 * A failure of the runtime's trace operations as the CLI's exit: an unknown id is a usage error (2),
 * a store failure 1.
 *
 * @since 0.3.0
 * @category errors
 */
export const traceFailure = (opened: Opened) => (e: { readonly _tag: string; readonly message: string; readonly hint?: string | undefined }) => {
  const notFound = e._tag === "TraceNotFound" || e._tag === "StepNotFound" || e._tag === "ExperienceNotFound"
  const hint = e.hint ?? (notFound ? placeHint(opened) : undefined)
  return new CliExit({ code: notFound ? EXIT.usage : EXIT.failed, message: `${e.message}${hint ? `\n  hint: ${hint}` : ""}` })
}

const usd = (n: number | null | undefined) => (n === null || n === undefined ? "$?" : `$${n.toFixed(6)}`)

/**
 * A trace as one line of a listing.
 *
 * @since 0.3.0
 * @category formatting
 */
export const traceLine = (t: Trace): string =>
  `${t.traceId}  ${t.mode}  agent ${t.agentId}${t.sessionId ? `  session ${t.sessionId}` : ""}  ${t.status}  ` +
  `${t.totalTokens} tokens  ${usd(t.totalCostUsd)}  ${new Date(t.startedAtMs).toISOString()}  ${clip(t.task, 60)}`

const stepLine = (s: TraceStep): string => {
  const d = s.data
  const parts = [`#${s.sequence} ${s.type}`, s.stepId]
  switch (s.type) {
    case "llm_call": {
      parts.push(`${String(d["tokens"] ?? 0)} tokens`, usd(d["costUsd"] as number | null))
      const calls = (d["toolCalls"] as ReadonlyArray<{ name: string }> | undefined) ?? []
      if (d["error"] !== undefined) parts.push(`error: ${clip(String(d["error"]), 80)}`)
      else if (calls.length > 0) parts.push(`→ ${calls.map((c) => c.name).join(", ")}`)
      else parts.push(`"${clip(String(d["response"] ?? ""), 60)}"`)
      break
    }
    case "tool_call":
      parts.push(`tool ${String(d["tool"])}`, d["error"] !== undefined
        ? `error: ${clip(String(d["error"]), 80)}`
        : `→ ${clip(JSON.stringify(d["result"] ?? null), 60)}`)
      break
    case "memory_read":
      parts.push(`${String(d["count"] ?? 0)} messages`)
      break
    case "conclusion":
      parts.push(`"${clip(typeof d["output"] === "string" ? d["output"] : JSON.stringify(d["output"] ?? null), 60)}"`)
      break
    case "feedback":
      parts.push(`${String(d["feedbackType"])}: "${clip(String(d["content"] ?? ""), 60)}"`)
      break
    case "memory_write":
      parts.push(`experience ${String(d["experienceId"])}`)
      break
  }
  if (s.parentIds.length > 1) parts.push(`(after ${s.parentIds.join(", ")})`)
  return parts.join("  ")
}

/** Steps shown under their parent: a tool call under its model call, feedback under its target. */
const nests = (s: TraceStep) => s.type === "tool_call" || s.type === "feedback" || s.type === "memory_write"

/**
 * A trace as an indented tree: model calls in order, each with its tool calls under it; feedback under
 * the step it is about, the experience it wrote under it.
 *
 * @since 0.3.0
 * @category formatting
 */
export const traceTree = ({ steps, trace }: TraceWithSteps): string => {
  const byId = new Map(steps.map((s) => [s.stepId, s] as const))
  const children = new Map<string, Array<TraceStep>>()
  const roots: Array<TraceStep> = []
  for (const s of steps) {
    const parent = s.parentIds[0]
    if (nests(s) && parent !== undefined && byId.has(parent)) {
      const list = children.get(parent) ?? []
      list.push(s)
      children.set(parent, list)
    } else roots.push(s)
  }
  const lines = [traceLine(trace), `task: ${clip(trace.task, 200)}`]
  const walk = (s: TraceStep, depth: number) => {
    lines.push(`${"  ".repeat(depth + 1)}${stepLine(s)}`)
    for (const c of children.get(s.stepId) ?? []) walk(c, depth + 1)
  }
  for (const r of roots) walk(r, 0)
  return lines.join("\n")
}

/**
 * A trace and its steps as JSON: the trace's fields, and each step's `stepId`, `type`, `sequence`,
 * `parentIds`, `data`.
 *
 * @since 0.3.0
 * @category formatting
 */
export const traceJson = ({ steps, trace }: TraceWithSteps) => ({
  ...(Schema.encodeSync(Trace)(trace) as object),
  steps: steps.map((s) => ({
    stepId: s.stepId,
    type: s.type,
    sequence: s.sequence,
    parentIds: s.parentIds,
    data: s.data,
    createdAtMs: s.createdAtMs
  }))
})
