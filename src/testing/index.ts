/**
 * `openagents/testing`: the test kit of this project, for your agents and your provider Layers.
 *
 * - `MockModel`: the scripted model (text, tool calls, usage, delays on the Effect clock, errors).
 * - `WireServer`: a loopback HTTP server speaking Anthropic Messages, OpenAI Chat Completions and
 *   OpenAI Responses to the real SDK clients, streamed or not, with scripted faults.
 * - `Chunks`: collect a run's stream and assert on its text, tool calls and stop reason.
 * - `Timing`: real-time waits and TestClock drivers for tests that mix HTTP and the TestClock.
 * - `Conformance`: the provider conformance suite, registered with `@effect/vitest`'s `describe`/`it`.
 *
 * Nothing here imports a test runner at load time: `@effect/vitest` (and vitest) are optional peers
 * that only `Conformance.run` is handed by its caller.
 *
 * @since 0.2.0
 */

/**
 * @since 0.2.0
 */
export * as Chunks from "./Chunks.js"

/**
 * @since 0.2.0
 */
export * as Conformance from "./Conformance.js"

/**
 * @since 0.2.0
 */
export * as MockModel from "../llm/MockModel.js"

/**
 * @since 0.2.0
 */
export * as Timing from "./Timing.js"

/**
 * @since 0.2.0
 */
export * as WireServer from "./WireServer.js"

/**
 * @since 0.2.0
 */
export { collectChunks, expectStopReason, expectToolCalls, textOf, toolCallsOf } from "./Chunks.js"

/**
 * @since 0.2.0
 */
export { Wire } from "./WireServer.js"
