/**
 * The `traces` block of agent.json, the `experiences` memory's config, and the Layers they become: where
 * traces and experiences are kept. Tracing is on unless `traces.enabled` is false; with SQLite sessions
 * the traces and experiences go to the sessions' database file, otherwise they stay in memory unless
 * `traces` names a SQLite file of its own.
 *
 * @since 0.3.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as path from "node:path"
import { ConfigError } from "../kernel/Errors.js"
import * as ExperienceStore from "../memory/ExperienceStore.js"
import * as InMemoryTraceStore from "../traces/InMemoryTraceStore.js"

const NonEmpty = Schema.String.pipe(Schema.minLength(1))

/**
 * Top-level `traces`: `{ "enabled": false }` turns tracing off; `{ "type": "sqlite", "config": { "db_path": ... } }`
 * keeps traces (and experiences) in that file.
 *
 * @since 0.3.0
 * @category schemas
 */
export const TracesConfig = Schema.Struct({
  enabled: Schema.optional(Schema.Boolean).annotations({ description: "Record a trace of every run (default true)." }),
  type: Schema.optional(Schema.Literal("in_memory", "sqlite")).annotations({
    description: "Where traces are kept: 'in_memory', or 'sqlite' (default: the sessions' SQLite file when sessions are SQLite, else in memory)."
  }),
  config: Schema.optional(Schema.Struct({
    db_path: Schema.optional(NonEmpty).annotations({
      description: "SQLite file of the traces and experiences (relative paths are resolved against the config file)."
    }),
    busy_timeout_ms: Schema.optional(Schema.Int.pipe(Schema.nonNegative()))
  }))
}).annotations({ identifier: "TracesConfig", title: "traces" })

/**
 * @since 0.3.0
 * @category models
 */
export interface TracesConfig extends Schema.Schema.Type<typeof TracesConfig> {}

/**
 * `agents[].memory` `{ "type": "experiences", "config": {...} }`.
 *
 * @since 0.3.0
 * @category schemas
 */
export const ExperiencesMemoryConfig = Schema.Struct({
  top_k: Schema.optional(Schema.Int.pipe(Schema.nonNegative())).annotations({
    description: "Experiences injected at most (default 5)."
  }),
  heading: Schema.optional(NonEmpty).annotations({ description: "Heading of the system prompt's section." }),
  history: Schema.optional(Schema.Literal("window_buffer", "none")).annotations({
    description: "The session history kept beside the experiences (default window_buffer)."
  }),
  window_size: Schema.optional(Schema.Int.pipe(Schema.positive())).annotations({
    description: "Turns the window buffer keeps (default 20)."
  })
})

/**
 * Where traces and experiences go for a config: a SQLite file, or memory; and whether runs are traced.
 *
 * @since 0.3.0
 * @category models
 */
export interface TracesPlace {
  readonly enabled: boolean
  /** `type: "sqlite"` with no file to use. */
  readonly missingDbPath?: boolean | undefined
  /** The SQLite file, or undefined for memory. */
  readonly dbPath: string | undefined
  readonly busyTimeoutMs: number | undefined
}

/**
 * Where a config keeps its traces (`session` is the config's session block).
 *
 * @since 0.3.0
 * @category utils
 */
export const placeOf = (
  traces: TracesConfig | undefined,
  session: { readonly type?: string | undefined; readonly config?: Readonly<Record<string, unknown>> | undefined },
  dir: string
): TracesPlace => {
  const enabled = traces?.enabled !== false
  const busyTimeoutMs = traces?.config?.busy_timeout_ms
  if (traces?.type === "in_memory") return { enabled, dbPath: undefined, busyTimeoutMs }
  if (traces?.config?.db_path !== undefined) return { enabled, dbPath: path.resolve(dir, traces.config.db_path), busyTimeoutMs }
  const sessionDb = session.type === "sqlite" ? session.config?.["db_path"] : undefined
  if (typeof sessionDb === "string") return { enabled, dbPath: path.resolve(dir, sessionDb), busyTimeoutMs }
  return { enabled, dbPath: undefined, busyTimeoutMs, missingDbPath: traces?.type === "sqlite" }
}

const driverMissing = (e: unknown) =>
  ConfigError.single("traces.type", `SQLite traces need the @effect/sql-sqlite-node package: ${(e as Error).message}`, {
    hint: "install it: npm install @effect/sql-sqlite-node @effect/sql @effect/experimental"
  })

/**
 * The trace store (when tracing is on) and the experience store of a config. The SQLite modules are
 * loaded only when used (the driver is an optional peer dependency).
 *
 * @since 0.3.0
 * @category layers
 */
export const layer = (place: TracesPlace): Layer.Layer<ExperienceStore.ExperienceStore, ConfigError> => {
  const at = place.dbPath
  if (place.missingDbPath) {
    return Layer.fail(ConfigError.single("traces.config.db_path", "is required with type 'sqlite' (unless the sessions are SQLite)", {
      hint: "add \"config\": {\"db_path\": \"traces.db\"}"
    }))
  }
  if (at === undefined) {
    return place.enabled
      ? Layer.merge(InMemoryTraceStore.layer(), ExperienceStore.layerInMemory)
      : ExperienceStore.layerInMemory
  }
  const options = { dbPath: at, busyTimeoutMs: place.busyTimeoutMs }
  const asConfigError = (e: { readonly message: string }) =>
    ConfigError.single("traces.config.db_path", e.message, { hint: "check the path and the permissions of its folder" })
  return Layer.unwrapEffect(
    Effect.map(
      Effect.tryPromise({
        try: () => Promise.all([import("../traces/SqliteTraceStore.js"), import("../memory/SqliteExperienceStore.js")]),
        catch: driverMissing
      }),
      ([SqliteTraceStore, SqliteExperienceStore]) => {
        const experiences = Layer.mapError(SqliteExperienceStore.layer(options), asConfigError)
        return place.enabled
          ? Layer.merge(Layer.mapError(SqliteTraceStore.layer(options), asConfigError), experiences)
          : experiences
      }
    )
  )
}
