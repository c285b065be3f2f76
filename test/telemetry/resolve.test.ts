/**
 * How the config's `telemetry` block and the standard OTEL_* variables decide what is exported.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Telemetry from "../../src/telemetry/Telemetry.js"

describe("Telemetry.resolve", () => {
  it("is off by default, and off whatever else is set under enabled: false or OTEL_SDK_DISABLED=true", () => {
    assert.isUndefined(Telemetry.resolve(undefined, {}))
    assert.isUndefined(Telemetry.resolve({}, {}))
    assert.isUndefined(Telemetry.resolve({ enabled: false }, { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" }))
    assert.isUndefined(Telemetry.resolve({ enabled: true }, { OTEL_SDK_DISABLED: "TRUE" }))
    assert.isUndefined(Telemetry.resolve(undefined, { OTEL_SERVICE_NAME: "x" })) // a name alone exports nothing
  })

  it("enabled: true exports traces and metrics to localhost:4318 unless told otherwise", () => {
    const o = Telemetry.resolve({ enabled: true }, {})!
    assert.strictEqual(o.serviceName, "openagents")
    assert.strictEqual(o.traces!.url, "http://localhost:4318/v1/traces")
    assert.strictEqual(o.metrics!.url, "http://localhost:4318/v1/metrics")
    assert.strictEqual(o.traces!.timeoutMs, 5000)
  })

  it("the OTEL_* variables turn it on and configure it", () => {
    const o = Telemetry.resolve(undefined, {
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/",
      OTEL_EXPORTER_OTLP_HEADERS: "api-key=abc%20def,x-team=a",
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "http://metrics:9000/m",
      OTEL_SERVICE_NAME: "svc",
      OTEL_RESOURCE_ATTRIBUTES: "deployment.environment=prod",
      OTEL_METRIC_EXPORT_INTERVAL: "1000",
      OTEL_EXPORTER_OTLP_TIMEOUT: "2000"
    })!
    assert.strictEqual(o.serviceName, "svc")
    assert.strictEqual(o.traces!.url, "http://collector:4318/v1/traces")
    assert.strictEqual(o.metrics!.url, "http://metrics:9000/m")
    assert.deepStrictEqual(o.traces!.headers, { "api-key": "abc def", "x-team": "a" })
    assert.deepStrictEqual(o.resourceAttributes, { "deployment.environment": "prod" })
    assert.strictEqual(o.metricsIntervalMs, 1000)
    assert.strictEqual(o.traces!.timeoutMs, 2000)
    assert.isDefined(Telemetry.resolve(undefined, { OTEL_TRACES_EXPORTER: "otlp" }))
    assert.isDefined(Telemetry.resolve(undefined, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://c/v1/traces" }))
  })

  it("the config wins over the environment for what both name; none turns a signal off", () => {
    const o = Telemetry.resolve({
      enabled: true,
      service_name: "from-config",
      exporter: { type: "otlp_http", endpoint: "http://block:4318", headers: { "api-key": "config" } },
      metrics: false
    }, { OTEL_SERVICE_NAME: "env", OTEL_EXPORTER_OTLP_ENDPOINT: "http://env:4318", OTEL_EXPORTER_OTLP_HEADERS: "api-key=env,x=1" })!
    assert.strictEqual(o.serviceName, "from-config")
    assert.strictEqual(o.traces!.url, "http://block:4318/v1/traces")
    assert.deepStrictEqual(o.traces!.headers, { "api-key": "config", x: "1" })
    assert.isUndefined(o.metrics)
    const envOff = Telemetry.resolve(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: "http://e", OTEL_TRACES_EXPORTER: "none", OTEL_METRICS_EXPORTER: "none" })!
    assert.isUndefined(envOff.traces)
    assert.isUndefined(envOff.metrics)
    const none = Telemetry.resolve({ enabled: true, exporter: { type: "none" } }, {})!
    assert.isUndefined(none.traces)
    assert.isUndefined(none.metrics)
  })
})
