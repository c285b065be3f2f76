/**
 * A toolkit: the tools of an agent, by name.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { ToolSpec } from "../kernel/Transcript.js"
import * as Tool from "./Tool.js"

/**
 * What a toolkit holds.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly tools: ReadonlyMap<string, Tool.Tool>
  /** The tools as the model sees them, in a stable order. */
  readonly specs: ReadonlyArray<ToolSpec>
  /**
   * Lets go of what the tools hold for a session (an MCP connection per session): the runtime calls it when
   * a session is closed or released. Optional; idempotent.
   */
  readonly releaseSession?: ((sessionId: string) => Effect.Effect<void>) | undefined
}

/**
 * The tools of an agent.
 *
 * @since 0.1.0
 * @category tags
 */
export class Toolkit extends Context.Tag("openagents/Toolkit")<Toolkit, Service>() {}

/**
 * Builds a toolkit; two tools with one name are an error.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (...tools: ReadonlyArray<Tool.Tool>): Service => {
  const byName = new Map<string, Tool.Tool>()
  for (const tool of tools) {
    if (byName.has(tool.name)) throw new Error(`Duplicate tool name '${tool.name}' in toolkit`)
    byName.set(tool.name, tool)
  }
  return { tools: byName, specs: tools.map(Tool.spec) }
}

/**
 * An empty toolkit.
 *
 * @since 0.1.0
 * @category constructors
 */
export const empty: Service = make()

/**
 * A toolkit as a Layer. Handlers that require services get them from the context the Layer is built in,
 * so their requirements are the Layer's (as `@effect/ai`'s `Toolkit.toLayer`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = <const Tools extends ReadonlyArray<Tool.Tool<any, any>>>(
  ...tools: Tools
): Layer.Layer<Toolkit, never, Tool.Requirements<Tools[number]>> =>
  Layer.effect(
    Toolkit,
    Effect.map(
      Effect.context<Tool.Requirements<Tools[number]>>(),
      (context) => make(...tools.map((tool) => Tool.provide(tool, context)))
    )
  )
