/**
 * The `telemetry` block of agent.json and the Layer it becomes: OpenTelemetry spans and metrics of runs,
 * exported over OTLP/HTTP (see docs/observability.md). Off unless the block says `enabled: true` or the
 * standard `OTEL_*` variables name an exporter; off, it is `Layer.empty` and the SDK is never loaded.
 *
 * @since 0.4.0
 */
import type * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import type { ConfigError } from "../kernel/Errors.js"
import * as Telemetry from "../telemetry/Telemetry.js"
import { NonEmptyString, PositiveInt } from "./internal/primitives.js"

const Url = Schema.String.pipe(Schema.pattern(/^https?:\/\/[^\s]+$/)).annotations({
  description: "an http:// or https:// URL"
})

const Headers = Schema.Record({ key: Schema.String, value: Schema.String }).annotations({
  description: "an object of header names to string values"
})

/**
 * Where the spans and metrics go.
 *
 * @since 0.4.0
 * @category schemas
 */
export const TelemetryExporterConfig = Schema.Struct({
  type: Schema.Literal("otlp_http", "none").annotations({
    description: "'otlp_http' (OTLP over HTTP, JSON), or 'none' (nothing is exported)."
  }),
  endpoint: Schema.optional(Url).annotations({
    description: "Base URL of the collector; spans go to <endpoint>/v1/traces, metrics to <endpoint>/v1/metrics " +
      "(default OTEL_EXPORTER_OTLP_ENDPOINT, else http://localhost:4318)."
  }),
  traces_endpoint: Schema.optional(Url).annotations({ description: "Full URL for spans, instead of <endpoint>/v1/traces." }),
  metrics_endpoint: Schema.optional(Url).annotations({ description: "Full URL for metrics, instead of <endpoint>/v1/metrics." }),
  headers: Schema.optional(Headers).annotations({
    description: "Headers of every export, e.g. {\"authorization\": \"Bearer ${OTEL_TOKEN}\"} (added to OTEL_EXPORTER_OTLP_HEADERS)."
  }),
  timeout_ms: Schema.optional(PositiveInt).annotations({
    description: "Longest one export may take, retries included (default OTEL_EXPORTER_OTLP_TIMEOUT, else 5000); " +
      "a process waits up to this long for a collector that is down before it exits."
  })
}).annotations({ identifier: "TelemetryExporterConfig", title: "telemetry.exporter" })

/**
 * Top-level `telemetry`: `{ "enabled": true, "service_name": "...", "exporter": { "type": "otlp_http",
 * "endpoint": "http://127.0.0.1:4318" }, "metrics": true }`.
 *
 * @since 0.4.0
 * @category schemas
 */
export const TelemetryConfig = Schema.Struct({
  enabled: Schema.optional(Schema.Boolean).annotations({
    description: "Turn OpenTelemetry on (true) or off whatever the environment says (false). Default: on only when " +
      "OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_TRACES_EXPORTER=otlp is set."
  }),
  service_name: Schema.optional(NonEmptyString).annotations({
    description: "service.name of the spans and metrics (default OTEL_SERVICE_NAME, else 'openagents')."
  }),
  service_version: Schema.optional(NonEmptyString).annotations({ description: "service.version of the spans and metrics." }),
  resource_attributes: Schema.optional(Headers).annotations({
    description: "More resource attributes (added to OTEL_RESOURCE_ATTRIBUTES)."
  }),
  exporter: Schema.optional(TelemetryExporterConfig).annotations({
    description: "Where spans and metrics go (default OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT or http://localhost:4318)."
  }),
  metrics: Schema.optional(Schema.Boolean).annotations({
    description: "Export metrics (token usage, operation duration, cost, runs by stop reason; default true)."
  }),
  metrics_interval_ms: Schema.optional(PositiveInt).annotations({
    description: "How often metrics are exported, in milliseconds (default OTEL_METRIC_EXPORT_INTERVAL, else 60000)."
  })
}).annotations({ identifier: "TelemetryConfig", title: "telemetry" })

/**
 * @since 0.4.0
 * @category models
 */
export interface TelemetryConfig extends Schema.Schema.Type<typeof TelemetryConfig> {}

/**
 * The Layer of a config's `telemetry` block in this process's environment: the OpenTelemetry SDK when it
 * is on, `Layer.empty` when it is off.
 *
 * @since 0.4.0
 * @category layers
 */
export const layer = (
  config: TelemetryConfig | undefined,
  env: Telemetry.Env = process.env
): Layer.Layer<never, ConfigError> => Telemetry.layerFromSettings(config, env)
