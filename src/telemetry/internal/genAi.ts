/**
 * A span processor that finishes the runtime's GenAI spans and derives the metrics from them. Deriving
 * the metrics from spans keeps the run loop free of metric code: nothing is counted unless a tracer is
 * installed, and what is counted is what the spans say. Private to the telemetry module.
 */
import type { Context } from "@opentelemetry/api"
import type { Counter, Histogram, Meter } from "@opentelemetry/api"
import type { ReadableSpan, Span, SpanProcessor } from "@opentelemetry/sdk-trace-base"

/** The instruments, after the GenAI semantic conventions where they have one. */
interface Instruments {
  readonly tokens: Histogram
  readonly duration: Histogram
  readonly cost: Counter
  readonly runs: Counter
}

const instruments = (meter: Meter): Instruments => ({
  tokens: meter.createHistogram("gen_ai.client.token.usage", {
    description: "Tokens used by a model call, by token type (input, output).",
    unit: "{token}",
    advice: { explicitBucketBoundaries: [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864] }
  }),
  duration: meter.createHistogram("gen_ai.client.operation.duration", {
    description: "Duration of a GenAI operation: a model call (chat), a tool call (execute_tool), a run (invoke_agent).",
    unit: "s",
    advice: { explicitBucketBoundaries: [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92] }
  }),
  cost: meter.createCounter("openagents.run.cost", {
    description: "Cost of finished runs, in US dollars (runs whose price is known).",
    unit: "USD"
  }),
  runs: meter.createCounter("openagents.runs", {
    description: "Finished runs, by stop reason.",
    unit: "{run}"
  })
})

const FINISH_REASONS = "gen_ai.response.finish_reasons"
const ERROR = 2 // SpanStatusCode.ERROR, without loading @opentelemetry/api's values for one number

const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined)
const num = (value: unknown): number | undefined => (typeof value === "number" && Number.isFinite(value) ? value : undefined)

/** The attributes a metric point keeps: the low-cardinality ones (never run, session or call ids). */
const dimensions = (span: ReadableSpan, operation: string): Record<string, string> => {
  const a = span.attributes
  const out: Record<string, string> = { "gen_ai.operation.name": operation }
  for (const key of ["gen_ai.provider.name", "gen_ai.request.model", "gen_ai.response.model", "gen_ai.agent.id", "gen_ai.tool.name"]) {
    const value = str(a[key])
    if (value !== undefined) out[key] = value
  }
  if (span.status.code === ERROR) out["error.type"] = str(a["error.type"]) ?? "error"
  return out
}

const seconds = (span: ReadableSpan) => span.duration[0] + span.duration[1] / 1e9

/**
 * The GenAI span processor: turns `gen_ai.response.finish_reasons` back into an array (Effect's tracer
 * writes a non-scalar attribute as its JSON text) and, with a meter, records the metrics of each ended
 * runtime span.
 */
export class GenAiSpanProcessor implements SpanProcessor {
  private readonly instruments: Instruments | undefined
  constructor(meter: Meter | undefined) {
    this.instruments = meter ? instruments(meter) : undefined
  }

  onStart(_span: Span, _context: Context): void {}

  onEnding(span: Span): void {
    const reasons = span.attributes[FINISH_REASONS]
    if (typeof reasons === "string" && reasons.startsWith("[")) {
      try {
        const parsed: unknown = JSON.parse(reasons)
        if (Array.isArray(parsed) && parsed.every((r) => typeof r === "string")) span.setAttribute(FINISH_REASONS, parsed)
      } catch {
        // not an array after all: left as written
      }
    }
  }

  onEnd(span: ReadableSpan): void {
    const m = this.instruments
    if (!m) return
    const operation = str(span.attributes["gen_ai.operation.name"])
    if (operation === undefined) return
    const dims = dimensions(span, operation)
    m.duration.record(seconds(span), dims)
    if (operation === "chat") {
      const input = num(span.attributes["gen_ai.usage.input_tokens"])
      const output = num(span.attributes["gen_ai.usage.output_tokens"])
      if (input !== undefined) m.tokens.record(input, { ...dims, "gen_ai.token.type": "input" })
      if (output !== undefined) m.tokens.record(output, { ...dims, "gen_ai.token.type": "output" })
    } else if (operation === "invoke_agent") {
      const stop = str(span.attributes["openagents.run.stop_reason"])
      const agent = str(span.attributes["gen_ai.agent.id"])
      const attrs = { ...(agent !== undefined ? { "gen_ai.agent.id": agent } : {}), "openagents.run.stop_reason": stop ?? "unknown" }
      m.runs.add(1, attrs)
      // a parent run's usage includes its sub-agents': only top-level runs count, or cost would count twice
      const cost = num(span.attributes["openagents.usage.cost_usd"])
      if (cost !== undefined && cost > 0 && span.attributes["openagents.run.parent_id"] === undefined) m.cost.add(cost, attrs)
    }
  }

  forceFlush(): Promise<void> {
    return Promise.resolve()
  }

  shutdown(): Promise<void> {
    return Promise.resolve()
  }
}
