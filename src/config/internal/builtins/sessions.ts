/**
 * The builtin session types of agent.json: one row each (description, config Schema, constructor).
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as path from "node:path"
import { ConfigError } from "../../../kernel/Errors.js"
import * as InMemorySessionStore from "../../../sessions/InMemorySessionStore.js"
import * as JsonlSessionStore from "../../../sessions/JsonlSessionStore.js"
import { JsonlFileSessionConfig, NoConfig, PostgresSessionConfig, SqliteSessionConfig } from "../../BuiltinConfigs.js"
import { builtin, storeError, type Table } from "../builtin.js"

export const sessions = {
  in_memory: builtin({
    description: "Keeps sessions in process memory; they are gone when the process exits.",
    config: NoConfig,
    make: () => InMemorySessionStore.layer
  }),
  jsonl_file: builtin({
    description: "Stores each session as append-only JSONL files under `root_dir`.",
    config: JsonlFileSessionConfig,
    make: (c, { dir, where }) =>
      Layer.mapError(
        JsonlSessionStore.layer({
          rootDir: path.resolve(dir, c.root_dir),
          fsync: c.fsync === true,
          lockTimeoutMs: c.lock_timeout_ms
        }),
        storeError(where, "root_dir")
      )
  }),
  sqlite: builtin({
    description: "Stores sessions in the SQLite database file at `db_path`.",
    config: SqliteSessionConfig,
    make: (c, { dir, where }) =>
      // loaded on first use: a config without SQLite sessions never loads the driver (a native addon),
      // which is an optional peer dependency of the package: its absence is a config error naming it
      Layer.unwrapEffect(
        Effect.map(
          Effect.tryPromise({
            try: () => import("../../../sessions/SqliteSessionStore.js"),
            catch: (e) =>
              ConfigError.single(
                `${where}.type`,
                `the sqlite session store needs the @effect/sql-sqlite-node package: ${(e as Error).message}`,
                { hint: "install it: npm install @effect/sql-sqlite-node @effect/sql @effect/experimental" }
              )
          }),
          (SqliteSessionStore) =>
            Layer.mapError(
              SqliteSessionStore.layer({
                dbPath: path.resolve(dir, c.db_path),
                busyTimeoutMs: c.busy_timeout_ms,
                lockTimeoutMs: c.lock_timeout_ms
              }),
              storeError(where, "db_path")
            )
        )
      )
  }),
  postgres: builtin({
    description: "Stores sessions in a PostgreSQL database (schema `schema`, default public), shared by every process.",
    config: PostgresSessionConfig,
    make: (c, { where }) =>
      // loaded on first use, like sqlite: @effect/sql-pg is an optional peer dependency
      Layer.unwrapEffect(
        Effect.map(
          Effect.tryPromise({
            try: () => import("../../../sessions/PostgresSessionStore.js"),
            catch: (e) =>
              ConfigError.single(
                `${where}.type`,
                `the postgres session store needs the @effect/sql-pg package: ${(e as Error).message}`,
                { hint: "install it: npm install @effect/sql-pg @effect/sql @effect/experimental" }
              )
          }),
          (PostgresSessionStore) =>
            Layer.mapError(
              PostgresSessionStore.layer({
                url: Redacted.make(c.url),
                schema: c.schema,
                lockTimeoutMs: c.lock_timeout_ms,
                maxConnections: c.max_connections,
                maxLeaseConnections: c.max_lease_connections,
                connectTimeoutMs: c.connect_timeout_ms
              }),
              storeError(where, "url")
            )
        )
      )
  })
} as const satisfies Table<"session">
