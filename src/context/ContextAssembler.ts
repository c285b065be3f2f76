/**
 * The context assembler seam: decides which messages a run starts with, given what memory injected.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { ConfigError } from "../kernel/Errors.js"
import type { RunRequest } from "../kernel/Run.js"
import type { Message, ToolSpec } from "../kernel/Transcript.js"

/**
 * What an assembler returns: the messages to start from and notes for the run's metadata.
 *
 * @since 0.1.0
 * @category models
 */
export interface Assembly {
  readonly messages: ReadonlyArray<Message>
  readonly metadata: Readonly<Record<string, unknown>>
}

/**
 * What an assembler implements.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly assemble: (input: AssembleInput) => Effect.Effect<Assembly, ConfigError>
}

/**
 * What an assembler is given: the request (its `inputText` is the latest user message, which the run
 * appends after the assembled messages and which is always kept) and the history memory injected. The
 * runtime also passes what is sent beside the messages, so that a token budget can count it: the system
 * prompt (the agent's instructions with the skills' text), the model id (which tokenizer counts) and the
 * tools' specs. A failure (a budget the system prompt alone exceeds) fails the run.
 *
 * @since 0.2.0
 * @category models
 */
export interface AssembleInput {
  readonly request: RunRequest
  readonly history: ReadonlyArray<Message>
  /** @since 0.2.0 */
  readonly system?: string | undefined
  /** @since 0.2.0 */
  readonly model?: string | undefined
  /** @since 0.2.0 */
  readonly tools?: ReadonlyArray<ToolSpec> | undefined
}

/**
 * The context assembler used by an agent.
 *
 * @since 0.1.0
 * @category tags
 */
export class ContextAssembler extends Context.Tag("openagents/ContextAssembler")<ContextAssembler, Service>() {}

/**
 * `passthrough`: the history exactly as memory injected it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const passthrough: Service = ContextAssembler.of({
  assemble: ({ history }) => Effect.succeed({ messages: history, metadata: { assembler: "passthrough" } })
})

/**
 * The passthrough assembler as a Layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerPassthrough: Layer.Layer<ContextAssembler> = Layer.succeed(ContextAssembler, passthrough)
