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

/**
 * @since 0.2.0
 * @category modules
 */
export * as BuiltinToolError from "./BuiltinToolError.js"

/**
 * @since 0.2.0
 * @category modules
 */
export * as DateTools from "./DateTools.js"

/**
 * @since 0.2.0
 * @category modules
 */
export * as FileSearch from "./FileSearch.js"

/**
 * @since 0.2.0
 * @category modules
 */
export * as FileTools from "./FileTools.js"

/**
 * @since 0.2.0
 * @category modules
 */
export * as GetEnv from "./GetEnv.js"

/**
 * @since 0.2.0
 * @category modules
 */
export * as HttpRequest from "./HttpRequest.js"

/**
 * @since 0.2.0
 * @category modules
 */
export * as MathTools from "./MathTools.js"

/**
 * @since 0.2.0
 * @category modules
 */
export * as RandomTools from "./RandomTools.js"

/**
 * @since 0.2.0
 * @category modules
 */
export * as RememberPreference from "./RememberPreference.js"

/**
 * @since 0.2.0
 * @category modules
 */
export * as ShellExec from "./ShellExec.js"

/**
 * @since 0.2.0
 * @category modules
 */
export * as UrlTools from "./UrlTools.js"
