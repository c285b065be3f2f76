/**
 * Shared helpers of the session store tests: data fixtures, temporary directories, log capture, and a way
 * to drive `TestClock` while a store does real I/O.
 */
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import type * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import { JournalEntry, SessionArtifact, SessionCheckpoint, SessionMessage } from "../../src/kernel/Session.js"
import type { Message } from "../../src/kernel/Transcript.js"
import { SessionStore } from "../../src/sessions/SessionStore.js"

/** Text that tends to break naive encoders: escapes, separators, NUL, astral and joined emoji, RTL. */
export const trickyText =
  "héllo wörld — 日本語 — עברית — 🎉👩‍👩‍👧 — \u2028\u2029 — \"quotes\" \\ back\nnew\r\nline\ttab \u0000 nul {\"t\":\"state\"}"

/** A nested JSON payload with every kind of JSON value. */
export const nestedPayload = {
  list: [1, 2.5, -3, 0, null, true, false, "x", { deep: { deeper: [[trickyText], { empty: {} }] } }],
  "key with spaces": {},
  "🎉": [],
  "": "empty key",
  big: 1e300,
  small: 5e-324,
  unicode: trickyText
}

/** A temporary directory, removed with everything in it when the scope closes. */
export const tempDir: Effect.Effect<string, never, Scope.Scope> = Effect.acquireRelease(
  Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "openagents-sessions-"))),
  (dir) => Effect.promise(() => fs.rm(dir, { recursive: true, force: true }))
)

/** Builds a store Layer in the current scope and returns the service. */
export const openStore = <E>(layer: Layer.Layer<SessionStore, E>): Effect.Effect<SessionStore["Type"], E, Scope.Scope> =>
  Effect.map(Layer.build(layer), (context) => Context.get(context, SessionStore))

/** Every kind of message the transcript knows, with tricky text and nested payloads. */
export const sampleMessages = (runId: string, count = 4): Array<SessionMessage> => {
  const variants: ReadonlyArray<Message> = [
    { _tag: "system", content: `system ${trickyText}` },
    { _tag: "user", content: trickyText },
    {
      _tag: "assistant",
      content: [
        { _tag: "text", text: trickyText },
        { _tag: "tool_call", id: "call-1", name: "search", arguments: nestedPayload, rawArguments: "{\"q\": \"é\"" },
        { _tag: "tool_call", id: "call-2", name: "calc", arguments: { expression: "6*7" } },
        { _tag: "reasoning", text: "thinking…", provider: "anthropic", signature: "sig==", providerData: nestedPayload }
      ]
    },
    { _tag: "tool", toolCallId: "call-1", toolName: "search", content: JSON.stringify(nestedPayload), isError: true }
  ]
  return Array.from({ length: count }, (_, i) =>
    new SessionMessage({
      runId,
      agentId: "agent-ü",
      message: variants[i % variants.length]!,
      timestampMs: 1_700_000_000_000 + i
    }))
}

/** A plain user message carrying its writer and index, for counting. */
export const numberedMessage = (runId: string, index: number): SessionMessage =>
  new SessionMessage({ runId, agentId: "agent", message: { _tag: "user", content: `${runId}#${index}` }, timestampMs: index })

/** An artifact with a nested payload; `kind`/`metadata` left to their defaults when `plain`. */
export const sampleArtifact = (name: string, plain = false): SessionArtifact =>
  plain
    ? new SessionArtifact({ name, payload: trickyText })
    : new SessionArtifact({ name, kind: "report", payload: nestedPayload, metadata: { "ключ": [trickyText], n: 1 } })

/** A checkpoint whose state is tagged with `tag`. */
export const sampleCheckpoint = (checkpointId: string, tag: string, createdAtMs = 1): SessionCheckpoint =>
  new SessionCheckpoint({
    checkpointId,
    state: { tag, journal: { runId: "run-1", seq: 3 }, nested: nestedPayload },
    transcriptLength: 7,
    artifactCount: 2,
    createdAtMs
  })

/** A journal entry of `runId` at `seq`, with a small default payload. */
export const journalEntry = (runId: string, seq: number, payload: unknown = { step: seq, text: trickyText }): JournalEntry =>
  new JournalEntry({
    runId,
    seq,
    kind: seq === 0 ? "run_started" : seq % 2 === 0 ? "tool" : "model",
    payload,
    timestampMs: 1_700_000_000_000 + seq
  })

/** Collects the messages of every log line at or above `Warning`. */
export const captureWarnings = (): { readonly lines: Array<string>; readonly layer: Layer.Layer<never> } => {
  const lines: Array<string> = []
  const logger = Logger.make(({ logLevel, message }) => {
    if (logLevel._tag === "Warning" || logLevel._tag === "Error" || logLevel._tag === "Fatal") {
      lines.push(Array.isArray(message) ? message.map(String).join(" ") : String(message))
    }
  })
  return { lines, layer: Logger.add(logger) }
}

/** Waits on the real clock (the store's real I/O runs meanwhile); `TestClock` is untouched. */
export const liveSleep = (ms: number): Effect.Effect<void> =>
  Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))

/**
 * Advances `TestClock` by `step` (letting real I/O happen in between) until `done` holds; fails after
 * `maxSteps` steps. Used where a store sleeps between attempts while doing real file or database I/O.
 */
export const advanceUntil = (
  done: Effect.Effect<boolean>,
  options: { readonly step: number; readonly maxSteps?: number }
): Effect.Effect<void> =>
  Effect.gen(function*() {
    const maxSteps = options.maxSteps ?? 400
    for (let i = 0; i < maxSteps; i++) {
      if (yield* done) return
      yield* TestClock.adjust(options.step)
      yield* liveSleep(2)
    }
    if (!(yield* done)) return yield* Effect.dieMessage(`condition not reached after ${maxSteps} steps of ${options.step} ms`)
  })

/** Advances `TestClock` by `total` ms in steps, letting real I/O happen between the steps. */
export const advanceBy = (total: number, step = 50): Effect.Effect<void> =>
  Effect.gen(function*() {
    for (let t = 0; t < total; t += step) {
      yield* TestClock.adjust(step)
      yield* liveSleep(2)
    }
  })
