/**
 * OpenTelemetry for runs: the runtime's spans (`invoke_agent`, `chat`, `execute_tool`, see
 * docs/observability.md) exported over OTLP/HTTP, and metrics derived from them (token usage, operation
 * duration, cost, runs by stop reason). Off by default, and free when off: no tracer is installed, so the
 * run loop builds no span, and the OpenTelemetry SDK is not even loaded (it is imported when a telemetry
 * Layer is built, which keeps the CLI's start-up time).
 *
 * @since 0.4.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { MetricReader } from "@opentelemetry/sdk-metrics"
import type { SpanExporter } from "@opentelemetry/sdk-trace-base"
import { ConfigError } from "../kernel/Errors.js"

/**
 * Where spans or metrics go: an OTLP/HTTP (JSON) endpoint, with headers.
 *
 * @since 0.4.0
 * @category models
 */
export interface OtlpExporter {
  readonly _tag: "OtlpHttp"
  /** The full URL that receives the export, e.g. `http://127.0.0.1:4318/v1/traces`. */
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  /**
   * How long one export may take, retries included, in milliseconds. A collector that is down holds a
   * process's exit this long at most per signal, as the exporter's retry timers keep Node running.
   */
  readonly timeoutMs: number
}

/**
 * What a telemetry Layer sets up, once the config and the `OTEL_*` variables are resolved.
 *
 * @since 0.4.0
 * @category models
 */
export interface Options {
  readonly serviceName: string
  readonly serviceVersion?: string | undefined
  /** Extra resource attributes (`OTEL_RESOURCE_ATTRIBUTES`, the config's `resource_attributes`). */
  readonly resourceAttributes?: Readonly<Record<string, string>> | undefined
  /** Where spans go; `undefined` sends them nowhere (metrics are still derived from them). */
  readonly traces?: OtlpExporter | undefined
  /** Where metrics go; `undefined` records no metrics. */
  readonly metrics?: OtlpExporter | undefined
  /** How often metrics are exported, in milliseconds (default 60000). */
  readonly metricsIntervalMs?: number | undefined
  /** Spans are exported in batches; `false` exports each span as it ends (tests, short CLI runs). */
  readonly batch?: boolean | undefined
}

/**
 * Exporters given directly rather than by URL: an in-memory span exporter and a metric reader in tests,
 * or any exporter an app already has.
 *
 * @since 0.4.0
 * @category models
 */
export interface Custom {
  readonly serviceName?: string | undefined
  readonly spanExporters?: ReadonlyArray<SpanExporter> | undefined
  readonly metricReaders?: ReadonlyArray<MetricReader> | undefined
  readonly batch?: boolean | undefined
}

const sdk = Effect.tryPromise({
  try: () => import("./internal/sdk.js"),
  catch: (e) =>
    ConfigError.single("telemetry", `cannot load OpenTelemetry: ${(e as Error).message}`, {
      hint: "telemetry needs the optional packages @effect/opentelemetry, @opentelemetry/api, @opentelemetry/sdk-trace-base, " +
        "@opentelemetry/sdk-metrics, @opentelemetry/resources, @opentelemetry/exporter-trace-otlp-http and " +
        "@opentelemetry/exporter-metrics-otlp-http: npm install them, or turn telemetry off"
    })
})

/**
 * A Layer that installs an OpenTelemetry tracer (and meter) for everything built on it: runs under it are
 * traced. Closing its scope flushes what is left and shuts the exporters down.
 *
 * @since 0.4.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<never, ConfigError> =>
  Layer.unwrapEffect(Effect.map(sdk, (m) => m.layer(options)))

/**
 * A Layer like {@link layer} with exporters given directly (an `InMemorySpanExporter`, a metric reader).
 *
 * @since 0.4.0
 * @category layers
 */
export const layerCustom = (custom: Custom): Layer.Layer<never, ConfigError> =>
  Layer.unwrapEffect(Effect.map(sdk, (m) => m.layerCustom(custom)))

/**
 * The environment variables this module reads, as in the OpenTelemetry specification.
 *
 * @since 0.4.0
 * @category models
 */
export type Env = Readonly<Record<string, string | undefined>>

/**
 * The `telemetry` block of agent.json, as {@link resolve} reads it.
 *
 * @since 0.4.0
 * @category models
 */
export interface Settings {
  readonly enabled?: boolean | undefined
  readonly service_name?: string | undefined
  readonly service_version?: string | undefined
  readonly resource_attributes?: Readonly<Record<string, string>> | undefined
  readonly exporter?: {
    readonly type: "otlp_http" | "none"
    readonly endpoint?: string | undefined
    readonly traces_endpoint?: string | undefined
    readonly metrics_endpoint?: string | undefined
    readonly headers?: Readonly<Record<string, string>> | undefined
    readonly timeout_ms?: number | undefined
  } | undefined
  readonly metrics?: boolean | undefined
  readonly metrics_interval_ms?: number | undefined
}

const truthy = (value: string | undefined) => value !== undefined && value.trim().toLowerCase() === "true"
const set = (value: string | undefined): string | undefined => (value === undefined || value.trim() === "" ? undefined : value.trim())

/** `k=v,k2=v2` (the format of `OTEL_EXPORTER_OTLP_HEADERS` and `OTEL_RESOURCE_ATTRIBUTES`), values URL-decoded. */
const keyValues = (value: string | undefined): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const pair of (value ?? "").split(",")) {
    const at = pair.indexOf("=")
    if (at <= 0) continue
    const key = pair.slice(0, at).trim()
    const raw = pair.slice(at + 1).trim()
    let decoded = raw
    try {
      decoded = decodeURIComponent(raw)
    } catch {
      // a value that is not URL-encoded is taken as written
    }
    if (key !== "") out[key] = decoded
  }
  return out
}

/** Shorter than the specification's 10 s: a CLI run waits this long for a collector that is down. */
const DEFAULT_TIMEOUT_MS = 5_000

const withPath = (base: string, signal: "traces" | "metrics") => `${base.replace(/\/+$/, "")}/v1/${signal}`

/**
 * The telemetry of a config and an environment, or `undefined` when it is off. Off unless the config says
 * `enabled: true` or the environment names an exporter (`OTEL_EXPORTER_OTLP_ENDPOINT`,
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, or `OTEL_TRACES_EXPORTER=otlp`); `enabled: false` and
 * `OTEL_SDK_DISABLED=true` turn it off whatever else is set. The config wins over the environment for
 * what both name; `OTEL_TRACES_EXPORTER=none` / `OTEL_METRICS_EXPORTER=none` turn one signal off.
 *
 * @since 0.4.0
 * @category constructors
 */
export const resolve = (settings: Settings | undefined, env: Env): Options | undefined => {
  if (truthy(env.OTEL_SDK_DISABLED) || settings?.enabled === false) return undefined
  const tracesExporter = set(env.OTEL_TRACES_EXPORTER)?.toLowerCase()
  const metricsExporter = set(env.OTEL_METRICS_EXPORTER)?.toLowerCase()
  const fromEnv = set(env.OTEL_EXPORTER_OTLP_ENDPOINT) !== undefined ||
    set(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) !== undefined || tracesExporter === "otlp"
  if (settings?.enabled !== true && !fromEnv) return undefined
  const exporter = settings?.exporter
  const none = exporter?.type === "none"
  const base = exporter?.endpoint ?? set(env.OTEL_EXPORTER_OTLP_ENDPOINT) ?? "http://localhost:4318"
  const headers = { ...keyValues(env.OTEL_EXPORTER_OTLP_HEADERS), ...exporter?.headers }
  const tracesOn = !none && (exporter !== undefined || tracesExporter !== "none")
  const metricsOn = !none && (settings?.metrics ?? true) && (settings?.metrics !== undefined || metricsExporter !== "none")
  const timeout = exporter?.timeout_ms ?? Number(set(env.OTEL_EXPORTER_OTLP_TIMEOUT) ?? Number.NaN)
  const timeoutMs = Number.isFinite(timeout) && timeout > 0 ? timeout : DEFAULT_TIMEOUT_MS
  const interval = settings?.metrics_interval_ms ?? Number(set(env.OTEL_METRIC_EXPORT_INTERVAL) ?? Number.NaN)
  const resourceAttributes = { ...keyValues(env.OTEL_RESOURCE_ATTRIBUTES), ...settings?.resource_attributes }
  return {
    serviceName: settings?.service_name ?? set(env.OTEL_SERVICE_NAME) ?? resourceAttributes["service.name"] ?? "openagents",
    serviceVersion: settings?.service_version,
    resourceAttributes,
    traces: tracesOn
      ? {
        _tag: "OtlpHttp",
        url: exporter?.traces_endpoint ??
          (exporter?.endpoint !== undefined ? undefined : set(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)) ?? withPath(base, "traces"),
        headers: { ...headers, ...keyValues(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS), ...exporter?.headers },
        timeoutMs
      }
      : undefined,
    metrics: metricsOn
      ? {
        _tag: "OtlpHttp",
        url: exporter?.metrics_endpoint ??
          (exporter?.endpoint !== undefined ? undefined : set(env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT)) ?? withPath(base, "metrics"),
        headers: { ...headers, ...keyValues(env.OTEL_EXPORTER_OTLP_METRICS_HEADERS), ...exporter?.headers },
        timeoutMs
      }
      : undefined,
    metricsIntervalMs: Number.isFinite(interval) && interval > 0 ? interval : undefined
  }
}

/**
 * The Layer of a config's `telemetry` block and the environment: {@link layer} when telemetry is on,
 * `Layer.empty` when it is off (nothing loaded, nothing installed).
 *
 * @since 0.4.0
 * @category layers
 */
export const layerFromSettings = (settings: Settings | undefined, env: Env): Layer.Layer<never, ConfigError> => {
  const options = resolve(settings, env)
  return options === undefined ? Layer.empty : layer(options)
}
