/**
 * `openagents/postgres`: the PostgreSQL session store, apart from the main entry point because its
 * driver (`@effect/sql-pg`, with `pg`) is an optional peer dependency that an app without PostgreSQL
 * sessions does not install.
 *
 * @since 0.4.0
 */

/** @since 0.4.0 */
export * as PostgresSessionStore from "./sessions/PostgresSessionStore.js"
