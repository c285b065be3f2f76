/**
 * Assertions on a run's chunks: collect a `runStream`, then ask what the answer said, which tools were
 * called with what, and how the run ended. Failures are `node:assert` AssertionErrors naming what was
 * expected and what the run did, so they read well under any test runner.
 *
 * ```ts
 * const chunks = yield* Chunks.collectChunks(runtime.runStream({ agentId: "a", inputText: "6*7?" }))
 * Chunks.expectToolCalls(chunks, [{ name: "calc", arguments: { expression: "6*7" } }])
 * assert.strictEqual(Chunks.textOf(chunks), "The answer is 42.")
 * ```
 *
 * @since 0.2.0
 */
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type { RunResult, StopReason } from "../kernel/Run.js"
import type { ChunkOf, RunStreamChunk } from "../kernel/RunStreamChunk.js"
import * as assert from "./internal/assert.js"

/**
 * Runs a stream of chunks (`AgentRuntime.runStream`) to its end and returns every chunk, checking the
 * stream's contract on the way: `sequence` from 0 without gaps, one run id, `run.finished` once and last.
 *
 * @since 0.2.0
 * @category collecting
 */
export const collectChunks = <E, R>(
  stream: Stream.Stream<RunStreamChunk, E, R>
): Effect.Effect<ReadonlyArray<RunStreamChunk>, E, R> =>
  Effect.map(Stream.runCollect(stream), (collected) => {
    const chunks = Chunk.toReadonlyArray(collected)
    chunks.forEach((chunk, i) => {
      assert.strictEqual(chunk.sequence, i, `chunk ${i} (${chunk.kind}) has sequence ${chunk.sequence}`)
      assert.strictEqual(chunk.runId, chunks[0]!.runId, `chunk ${i} (${chunk.kind}) belongs to another run`)
    })
    const finished = chunks.filter((c) => c.kind === "run.finished").length
    assert.strictEqual(finished, 1, `expected one run.finished chunk, got ${finished}`)
    assert.strictEqual(chunks[chunks.length - 1]!.kind, "run.finished", "run.finished comes last")
    return chunks
  })

/**
 * The chunks of one kind, typed: `ofKind(chunks, "tool.finished")[0].payload.result`.
 *
 * @since 0.2.0
 * @category accessors
 */
export const ofKind = <K extends RunStreamChunk["kind"]>(
  chunks: ReadonlyArray<RunStreamChunk>,
  kind: K
): ReadonlyArray<ChunkOf<K>> => chunks.filter((c) => c.kind === kind) as ReadonlyArray<unknown> as ReadonlyArray<ChunkOf<K>>

/**
 * The text the model streamed (every `llm.delta`, concatenated; the answers of all steps).
 *
 * @since 0.2.0
 * @category accessors
 */
export const textOf = (chunks: ReadonlyArray<RunStreamChunk>): string =>
  ofKind(chunks, "llm.delta").map((c) => c.payload.text).join("")

/**
 * One tool call of a run: its tool, its arguments, and how it ended.
 *
 * @since 0.2.0
 * @category models
 */
export interface ToolCall {
  readonly name: string
  readonly callId: string
  readonly arguments: unknown
  /** The result, when the call succeeded. */
  readonly result?: unknown
  /** The error message, when it failed (or undefined while it has not finished). */
  readonly error?: string | undefined
}

/**
 * The tool calls of a run, in the order they started, each with its result or error.
 *
 * @since 0.2.0
 * @category accessors
 */
export const toolCallsOf = (chunks: ReadonlyArray<RunStreamChunk>): ReadonlyArray<ToolCall> => {
  const finished = new Map(ofKind(chunks, "tool.finished").map((c) => [c.payload.callId, c.payload] as const))
  return ofKind(chunks, "tool.started").map((c) => {
    const end = finished.get(c.payload.callId)
    return {
      name: c.payload.toolId,
      callId: c.payload.callId,
      arguments: c.payload.params,
      ...(end && end.error === undefined ? { result: end.result } : {}),
      ...(end?.error !== undefined ? { error: end.error } : {})
    }
  })
}

/**
 * What a tool call is expected to be: its tool, and optionally its exact arguments and result, or that
 * it failed (`error: true`, or a text its error must contain).
 *
 * @since 0.2.0
 * @category models
 */
export interface ExpectedCall {
  readonly name: string
  readonly arguments?: unknown
  readonly result?: unknown
  readonly error?: boolean | string
}

/**
 * Asserts that the run called exactly these tools, in this order, with these arguments and outcomes
 * (only the fields given are compared), and returns the calls.
 *
 * @since 0.2.0
 * @category assertions
 */
export const expectToolCalls = (
  chunks: ReadonlyArray<RunStreamChunk>,
  expected: ReadonlyArray<ExpectedCall | string>
): ReadonlyArray<ToolCall> => {
  const calls = toolCallsOf(chunks)
  const wanted = expected.map((e) => (typeof e === "string" ? { name: e } : e))
  assert.deepStrictEqual(
    calls.map((c) => c.name),
    wanted.map((e) => e.name),
    "the tools called, in order"
  )
  wanted.forEach((e, i) => {
    const call = calls[i]!
    const where = `tool call ${i} (${call.name})`
    if ("arguments" in e) assert.deepStrictEqual(call.arguments, e.arguments, `${where}: arguments`)
    if ("result" in e) assert.deepStrictEqual(call.result, e.result, `${where}: result`)
    if (e.error === true) assert.isDefined(call.error, `${where}: expected to fail`)
    if (e.error === false) assert.isUndefined(call.error, `${where}: expected to succeed`)
    if (typeof e.error === "string") assert.include(call.error ?? "", e.error, `${where}: error`)
  })
  return calls
}

/**
 * The run's result, from its `run.finished` chunk (a failed assertion when there is none).
 *
 * @since 0.2.0
 * @category accessors
 */
export const resultOf = (chunks: ReadonlyArray<RunStreamChunk>): RunResult => {
  const last = chunks[chunks.length - 1]
  if (last === undefined || last.kind !== "run.finished") {
    assert.isTrue(false, "the chunks end without run.finished")
  }
  return (last as ChunkOf<"run.finished">).result
}

/**
 * Asserts the run's stop reason (with its error in the message when it differs) and returns the result.
 *
 * @since 0.2.0
 * @category assertions
 */
export const expectStopReason = (chunks: ReadonlyArray<RunStreamChunk>, stopReason: StopReason): RunResult => {
  const result = resultOf(chunks)
  const error = result.error ? ` (${result.error.tag}: ${result.error.message})` : ""
  assert.strictEqual(result.stopReason, stopReason, `the run stopped with ${result.stopReason}${error}`)
  return result
}
