/**
 * The server's entry point (`openagents/server`): the API definitions, the Layers serving them, and the
 * web console's files.
 *
 * @since 0.4.0
 */

/**
 * @since 0.4.0
 */
export * as Api from "./Api.js"

/**
 * @since 0.4.0
 */
export * as Console from "./Console.js"

/**
 * @since 0.4.0
 */
export * as Server from "./Server.js"
