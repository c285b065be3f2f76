/**
 * A toolkit: the tools of an agent, by name.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
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
 * A toolkit as a Layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (...tools: ReadonlyArray<Tool.Tool>): Layer.Layer<Toolkit> =>
  Layer.sync(Toolkit, () => make(...tools))
