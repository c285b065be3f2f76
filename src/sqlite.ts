/**
 * `openagents/sqlite`: the SQLite session store, apart from the main entry point because its driver
 * (`@effect/sql-sqlite-node`, a native addon) is an optional peer dependency that an app without SQLite
 * sessions does not install.
 *
 * @since 0.2.0
 */

/** @since 0.1.0 */
export * as SqliteSessionStore from "./sessions/SqliteSessionStore.js"

/** @since 0.3.0 */
export * as SqliteTraceStore from "./traces/SqliteTraceStore.js"

/** @since 0.3.0 */
export * as SqliteExperienceStore from "./memory/SqliteExperienceStore.js"
