/**
 * The OpenTelemetry SDK behind `Telemetry.layer`: a tracer provider whose spans go to the exporters and
 * through the GenAI processor, a meter provider for the metrics that processor records, and Effect's
 * tracer bridged to them by `@effect/opentelemetry`. Imported only when telemetry is on (it loads the SDK).
 * Private to the telemetry module.
 */
import * as Resource from "@effect/opentelemetry/Resource"
import * as Tracer from "@effect/opentelemetry/Tracer"
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http"
import { MeterProvider, type MetricReader, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics"
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor
} from "@opentelemetry/sdk-trace-base"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { Custom, Options } from "../Telemetry.js"
import { GenAiSpanProcessor } from "./genAi.js"

/** How long closing the layer waits for the last export before giving up (a collector that is down). */
const SHUTDOWN_TIMEOUT = "5 seconds"

const shutdown = (close: () => Promise<unknown>) =>
  Effect.promise(() => close().catch(() => undefined)).pipe(Effect.interruptible, Effect.timeoutOption(SHUTDOWN_TIMEOUT))

interface Parts {
  readonly serviceName: string
  readonly serviceVersion?: string | undefined
  readonly resourceAttributes?: Readonly<Record<string, string>> | undefined
  readonly spanExporters: ReadonlyArray<SpanExporter>
  readonly metricReaders: ReadonlyArray<MetricReader>
  readonly batch: boolean
}

const make = (parts: Parts): Layer.Layer<never> => {
  const providers = Effect.gen(function*() {
    const resource = yield* Resource.Resource
    const meterProvider = parts.metricReaders.length === 0
      ? undefined
      : new MeterProvider({ resource, readers: [...parts.metricReaders] })
    const processors: Array<SpanProcessor> = [
      new GenAiSpanProcessor(meterProvider?.getMeter("openagents")),
      ...parts.spanExporters.map((exporter) => parts.batch ? new BatchSpanProcessor(exporter) : new SimpleSpanProcessor(exporter))
    ]
    // both providers shut down at once (a shutdown exports what is left): a span records its metrics when
    // it ends, so by then they are all in the meter, and a collector that is down costs one timeout, not two
    return yield* Effect.acquireRelease(
      Effect.sync(() => new BasicTracerProvider({ resource, spanProcessors: processors })),
      (provider) => shutdown(() => Promise.all([provider.shutdown(), meterProvider?.shutdown()]))
    )
  })
  const resource = Resource.layer({
    serviceName: parts.serviceName,
    ...(parts.serviceVersion !== undefined ? { serviceVersion: parts.serviceVersion } : {}),
    ...(parts.resourceAttributes !== undefined ? { attributes: { ...parts.resourceAttributes } } : {})
  })
  return Tracer.layer.pipe(
    Layer.provide(Layer.scoped(Tracer.OtelTracerProvider, providers)),
    Layer.provide(resource),
    Layer.map(() => Context.empty())
  )
}

/** The SDK for resolved options: OTLP/HTTP (JSON) exporters for traces and metrics. */
export const layer = (options: Options): Layer.Layer<never> =>
  make({
    serviceName: options.serviceName,
    serviceVersion: options.serviceVersion,
    resourceAttributes: options.resourceAttributes,
    spanExporters: options.traces ? [new OTLPTraceExporter({ url: options.traces.url, headers: { ...options.traces.headers }, timeoutMillis: options.traces.timeoutMs })] : [],
    metricReaders: options.metrics
      ? [
        new PeriodicExportingMetricReader({
          exporter: new OTLPMetricExporter({ url: options.metrics.url, headers: { ...options.metrics.headers }, timeoutMillis: options.metrics.timeoutMs }),
          exportIntervalMillis: options.metricsIntervalMs ?? 60_000,
          // the reader refuses a timeout longer than its interval
          exportTimeoutMillis: Math.min(options.metrics.timeoutMs, options.metricsIntervalMs ?? 60_000)
        })
      ]
      : [],
    batch: options.batch ?? true
  })

/** The SDK with exporters given directly. */
export const layerCustom = (custom: Custom): Layer.Layer<never> =>
  make({
    serviceName: custom.serviceName ?? "openagents",
    spanExporters: custom.spanExporters ?? [],
    metricReaders: custom.metricReaders ?? [],
    batch: custom.batch ?? false
  })
