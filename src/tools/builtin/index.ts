/**
 * The builtin tools, one module each. Which `tools[].type` of agent.json names which of them, and what
 * its `config` accepts, is in the one table of builtin types, `config/Registry.ts`.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 * @category modules
 */
export * as Calc from "./Calc.js"

/**
 * @since 0.1.0
 * @category modules
 */
export * as CurrentTime from "./CurrentTime.js"

/**
 * @since 0.1.0
 * @category modules
 */
export * as JsonParse from "./JsonParse.js"

/**
 * @since 0.1.0
 * @category modules
 */
export * as TextTransform from "./TextTransform.js"
