/**
 * A loopback OTLP/HTTP receiver: a real HTTP server on 127.0.0.1 (a port chosen by the OS) that accepts
 * what the OpenTelemetry exporters post to /v1/traces and /v1/metrics (JSON) and decodes the spans.
 */
import * as http from "node:http"
import type { AddressInfo } from "node:net"

/** A span as received, its attributes decoded from OTLP's typed values. */
export interface ReceivedSpan {
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId: string | undefined
  readonly name: string
  readonly attributes: Record<string, unknown>
  readonly status: { readonly code?: number; readonly message?: string }
  readonly resource: Record<string, unknown>
}

export interface Receiver {
  readonly endpoint: string
  readonly spans: Array<ReceivedSpan>
  /** Every metric data point by metric name. */
  readonly metrics: Map<string, Array<{ readonly attributes: Record<string, unknown>; readonly point: any }>>
  readonly requests: Array<{ readonly path: string; readonly contentType: string; readonly headers: http.IncomingHttpHeaders }>
  readonly close: () => Promise<void>
}

const valueOf = (v: any): unknown => {
  if (v === undefined || v === null) return undefined
  if ("stringValue" in v) return v.stringValue
  if ("intValue" in v) return Number(v.intValue)
  if ("doubleValue" in v) return Number(v.doubleValue)
  if ("boolValue" in v) return v.boolValue
  if ("arrayValue" in v) return (v.arrayValue.values ?? []).map(valueOf)
  return v
}

const attributesOf = (list: ReadonlyArray<any> | undefined): Record<string, unknown> =>
  Object.fromEntries((list ?? []).map((a) => [a.key, valueOf(a.value)]))

export const startReceiver = (): Promise<Receiver> =>
  new Promise((resolve) => {
    const spans: Array<ReceivedSpan> = []
    const metrics: Receiver["metrics"] = new Map()
    const requests: Receiver["requests"] = []
    const server = http.createServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (c: Buffer) => chunks.push(c))
      req.on("end", () => {
        const path = req.url ?? ""
        requests.push({ path, contentType: String(req.headers["content-type"]), headers: req.headers })
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}")
        if (path === "/v1/traces") {
          for (const rs of body.resourceSpans ?? []) {
            const resource = attributesOf(rs.resource?.attributes)
            for (const ss of rs.scopeSpans ?? []) {
              for (const s of ss.spans ?? []) {
                spans.push({
                  traceId: s.traceId,
                  spanId: s.spanId,
                  parentSpanId: s.parentSpanId || undefined,
                  name: s.name,
                  attributes: attributesOf(s.attributes),
                  status: s.status ?? {},
                  resource
                })
              }
            }
          }
        } else if (path === "/v1/metrics") {
          for (const rm of body.resourceMetrics ?? []) {
            for (const sm of rm.scopeMetrics ?? []) {
              for (const m of sm.metrics ?? []) {
                const points = m.histogram?.dataPoints ?? m.sum?.dataPoints ?? m.gauge?.dataPoints ?? []
                const list = metrics.get(m.name) ?? []
                for (const p of points) list.push({ attributes: attributesOf(p.attributes), point: p })
                metrics.set(m.name, list)
              }
            }
          }
        }
        res.writeHead(200, { "content-type": "application/json" })
        res.end("{}")
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resolve({
        endpoint: `http://127.0.0.1:${port}`,
        spans,
        metrics,
        requests,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections()
            server.close(() => done())
          })
      })
    })
  })
