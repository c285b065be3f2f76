/**
 * Server-Sent Events framing of run chunks: `id:` the chunk's sequence (what `Last-Event-ID` names on a
 * re-attach), `event:` its kind, `data:` the chunk as JSON; heartbeats are comments, which every SSE
 * client ignores but which keep proxies from closing an idle stream.
 */
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import type * as Duration from "effect/Duration"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as RunStreamChunk from "../../kernel/RunStreamChunk.js"

const encoder = new TextEncoder()

/** One chunk as an SSE event. */
export const frame = (chunk: RunStreamChunk.RunStreamChunk, redact: (u: unknown) => unknown): Uint8Array =>
  encoder.encode(
    `id: ${chunk.sequence}\nevent: ${chunk.kind}\ndata: ${JSON.stringify(redact(RunStreamChunk.toJson(chunk)))}\n\n`
  )

const opening = encoder.encode(": openagents\n\n")
const ping = encoder.encode(": ping\n\n")

/** The response streaming `chunks` as events, with a heartbeat every `heartbeat` until they end. */
export const response = <E>(
  chunks: Stream.Stream<RunStreamChunk.RunStreamChunk, E>,
  options: { readonly heartbeat: Duration.DurationInput; readonly redact: (u: unknown) => unknown }
): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.stream(
    Stream.concat(
      // the comment sends the headers at once, so a client waiting for a quiet run knows it is attached
      Stream.make(opening),
      Stream.merge(
        Stream.map(chunks, (chunk) => frame(chunk, options.redact)),
        Stream.as(Stream.fromSchedule(Schedule.spaced(options.heartbeat)), ping),
        { haltStrategy: "left" }
      )
    ),
    {
      contentType: "text/event-stream",
      headers: { "cache-control": "no-cache", "x-accel-buffering": "no", connection: "keep-alive" }
    }
  )

/** The sequence after which a re-attach resumes: `Last-Event-ID`, else `?after=`, else -1 (everything). */
export const resumeAfter = (header: string | undefined, query: string | undefined): number | undefined => {
  const raw = header ?? query
  if (raw === undefined || raw.trim() === "") return -1
  const n = Number(raw)
  return Number.isInteger(n) && n >= -1 ? n : undefined
}

