/**
 * What the console shows of a run, folded from its stream chunks (the JSON of `RunStreamChunk`): the
 * text, each tool call with its arguments, output and result, approvals, retries, each model call's
 * usage and cost, and the end. Pure and DOM-free, so it is unit-tested in Node; the view renders it.
 */

/** A chunk as the API sends it (`RunStreamChunk.toJson`), loosely typed: the console shows what it gets. */
export interface WireChunk {
  readonly kind: string
  readonly runId: string
  readonly sessionId: string
  readonly agentId: string
  readonly sequence: number
  readonly timestampMs?: number
  readonly payload: Readonly<Record<string, unknown>>
  readonly result?: WireResult
}

/** A `RunResult` as JSON (the fields the console reads). */
export interface WireResult {
  readonly runId: string
  readonly sessionId?: string
  readonly stopReason: string
  readonly finalOutput?: unknown
  readonly error?: { readonly message?: string; readonly type?: string; readonly code?: string } | null
  readonly usage?: {
    readonly llmCalls?: number
    readonly toolCalls?: number
    readonly inputTokens?: number
    readonly outputTokens?: number
    readonly totalTokens?: number
    readonly costUsd?: number | null
  }
  readonly traceId?: string
}

/** The state of one tool call. */
export interface ToolItem {
  readonly type: "tool"
  readonly callId: string
  toolId: string
  params: unknown
  output: string
  finished: boolean
  result?: unknown
  error?: string
  errorTag?: string
  approval?: {
    state: "pending" | "approve" | "reject"
    readonly editableParams: ReadonlyArray<string>
    arguments?: unknown
    reason?: string
  }
}

/** One entry of the run's timeline, in the order it happened. */
export type Item =
  | { readonly type: "text"; text: string }
  | ToolItem
  | { readonly type: "llm"; readonly step: number; readonly model: string; readonly stopReason: string; readonly inputTokens: number; readonly outputTokens: number; readonly costUsd: number | undefined }
  | { readonly type: "retry"; readonly label: string; readonly detail: string }
  | { readonly type: "note"; readonly kind: string; readonly detail: string }

/** The whole view of a run. */
export interface RunView {
  runId: string | undefined
  sessionId: string | undefined
  agentId: string | undefined
  /** `running`, `awaiting approval`, or the stop reason once finished. */
  status: string
  finished: boolean
  lastSequence: number
  chunks: number
  deltas: number
  text: string
  readonly items: Array<Item>
  inputTokens: number
  outputTokens: number
  /** Sum of the model calls' costs; undefined while no call had a price. */
  costUsd: number | undefined
  result: WireResult | undefined
  error: string | undefined
}

/** An empty view, before the first chunk. */
export const empty = (): RunView => ({
  runId: undefined,
  sessionId: undefined,
  agentId: undefined,
  status: "starting",
  finished: false,
  lastSequence: -1,
  chunks: 0,
  deltas: 0,
  text: "",
  items: [],
  inputTokens: 0,
  outputTokens: 0,
  costUsd: undefined,
  result: undefined,
  error: undefined
})

const str = (u: unknown): string => (typeof u === "string" ? u : u === undefined ? "" : JSON.stringify(u))
const num = (u: unknown): number => (typeof u === "number" && Number.isFinite(u) ? u : 0)

const toolOf = (view: RunView, callId: string, toolId: string): ToolItem => {
  for (const item of view.items) if (item.type === "tool" && item.callId === callId) return item
  const item: ToolItem = { type: "tool", callId, toolId, params: null, output: "", finished: false }
  view.items.push(item)
  return item
}

/**
 * Folds one chunk into the view (mutating it, and returning it). A chunk already seen (by sequence,
 * as after a reconnect with `Last-Event-ID`) changes nothing.
 */
export const apply = (view: RunView, chunk: WireChunk): RunView => {
  if (chunk.sequence <= view.lastSequence) return view
  view.lastSequence = chunk.sequence
  view.chunks++
  view.runId ??= chunk.runId
  view.sessionId ??= chunk.sessionId
  view.agentId ??= chunk.agentId
  const p = chunk.payload ?? {}
  switch (chunk.kind) {
    case "run.started":
      view.status = "running"
      break
    case "llm.delta": {
      const text = str(p["text"])
      view.deltas++
      const last = view.items[view.items.length - 1]
      if (last?.type === "text") last.text += text
      else {
        // the text of a new model call starts a new paragraph of the streamed text
        if (view.text !== "") view.text += "\n\n"
        view.items.push({ type: "text", text })
      }
      view.text += text
      break
    }
    case "llm.finished": {
      const usage = (p["usage"] ?? {}) as Record<string, unknown>
      const cost = typeof p["costUsd"] === "number" ? p["costUsd"] : undefined
      view.inputTokens += num(usage["inputTokens"])
      view.outputTokens += num(usage["outputTokens"])
      if (cost !== undefined) view.costUsd = (view.costUsd ?? 0) + cost
      view.items.push({
        type: "llm",
        step: num(p["step"]),
        model: str(p["model"]),
        stopReason: str(p["stopReason"]),
        inputTokens: num(usage["inputTokens"]),
        outputTokens: num(usage["outputTokens"]),
        costUsd: cost
      })
      break
    }
    case "tool.started": {
      const tool = toolOf(view, str(p["callId"]), str(p["toolId"]))
      tool.params = p["params"] ?? null
      break
    }
    case "tool.delta":
      toolOf(view, str(p["callId"]), str(p["toolId"])).output += str(p["text"])
      break
    case "tool.finished": {
      const tool = toolOf(view, str(p["callId"]), str(p["toolId"]))
      tool.finished = true
      if ("error" in p && p["error"] !== undefined) {
        tool.error = str(p["error"])
        tool.errorTag = str(p["errorTag"])
      } else tool.result = p["result"] ?? null
      break
    }
    case "tool.approval_requested": {
      const tool = toolOf(view, str(p["callId"]), str(p["tool"]))
      tool.params = p["arguments"] ?? tool.params
      const editable = Array.isArray(p["editableParams"]) ? (p["editableParams"] as Array<unknown>).map(str) : []
      tool.approval = { state: "pending", editableParams: editable }
      view.status = "awaiting approval"
      break
    }
    case "tool.approval_decided": {
      const tool = toolOf(view, str(p["callId"]), str(p["tool"]))
      const decision = p["decision"] === "reject" ? "reject" : "approve"
      tool.approval = { editableParams: tool.approval?.editableParams ?? [], state: decision }
      if (p["arguments"] !== undefined) tool.approval.arguments = p["arguments"]
      if (p["reason"] !== undefined) tool.approval.reason = str(p["reason"])
      if (!view.finished) view.status = "running"
      break
    }
    case "validation.retry":
      view.items.push({ type: "retry", label: `output retry ${num(p["attempt"])}`, detail: str(p["error"]) })
      break
    case "llm.retry":
      view.items.push({ type: "retry", label: `model retry ${num(p["attempt"])}`, detail: str(p["error"] ?? p["errorTag"]) })
      break
    case "run.checkpoint_saved":
      view.items.push({ type: "note", kind: "checkpoint", detail: `step ${num(p["step"])} saved` })
      break
    case "run.resume_attempted":
      view.items.push({ type: "retry", label: `resume attempt ${num(p["attempt"])}`, detail: str(p["error"]) })
      break
    case "run.finished": {
      view.finished = true
      view.status = str(p["stopReason"] ?? chunk.result?.stopReason)
      if (chunk.result) finish(view, chunk.result)
      else if (p["error"] !== undefined) view.error = str(p["error"])
      break
    }
    default:
      view.items.push({ type: "note", kind: chunk.kind, detail: JSON.stringify(p) })
  }
  return view
}

/** Records a run's result: the one of `run.finished`, or the JSON answer of a run that was not streamed. */
export const finish = (view: RunView, result: WireResult): RunView => {
  view.result = result
  view.finished = true
  view.status = result.stopReason
  view.runId ??= result.runId
  if (result.error) view.error = result.error.message ?? JSON.stringify(result.error)
  const usage = result.usage
  if (usage) {
    view.inputTokens = num(usage.inputTokens)
    view.outputTokens = num(usage.outputTokens)
    if (typeof usage.costUsd === "number") view.costUsd = usage.costUsd
  }
  return view
}

/** A cost in US dollars, as the console prints it. */
export const formatCost = (usd: number | undefined | null): string =>
  usd === undefined || usd === null ? "n/a" : usd === 0 ? "$0" : usd < 0.01 ? `$${usd.toFixed(6)}` : `$${usd.toFixed(4)}`
