/**
 * The `cluster` block of agent.json: where the runners of a cluster deployment meet (PostgreSQL), how
 * they reach each other, and their limits (see docs/scale-out.md). Read by `openagents runner` and by
 * `openagents run --cluster`; a config without it runs in one process as always.
 *
 * @since 0.5.0
 */
import * as Schema from "effect/Schema"
import { ConfigError } from "../kernel/Errors.js"
import { NonEmptyString, NonNegativeInt, PositiveInt } from "./internal/primitives.js"

const PgUrl = NonEmptyString.pipe(Schema.pattern(/^postgres(ql)?:\/\//)).annotations({
  description: "a postgres:// or postgresql:// URL"
})

const Port = Schema.Int.pipe(Schema.between(0, 65535)).annotations({ description: "a port number, 0..65535" })

/**
 * Top-level `cluster`: `{ "url": "postgres://postgres@127.0.0.1:5432/app", "port": 34431,
 * "max_concurrent_runs": 64 }`.
 *
 * @since 0.5.0
 * @category schemas
 */
export const ClusterConfig = Schema.Struct({
  url: Schema.optional(PgUrl).annotations({
    description: "PostgreSQL of the cluster: runners, shard locks, messages and run results (default: the url " +
      "of the postgres session store, which a cluster needs)."
  }),
  table_prefix: Schema.optional(
    Schema.String.pipe(Schema.pattern(/^[a-z_][a-z0-9_]{0,39}$/)).annotations({
      description: "lower-case letters, digits and underscores, not starting with a digit, at most 40"
    })
  ).annotations({ description: "Prefix of the cluster's tables (default openagents_cluster)." }),
  host: Schema.optional(NonEmptyString).annotations({
    description: "The address other runners and clients reach this runner at (default 127.0.0.1)."
  }),
  listen_host: Schema.optional(NonEmptyString).annotations({
    description: "The address this runner listens on (default: host; 0.0.0.0 to listen everywhere)."
  }),
  port: Schema.optional(Port).annotations({
    description: "The runner's port (default 34431; `openagents runner --port` overrides it, one per runner of a host)."
  }),
  shards: Schema.optional(PositiveInt).annotations({
    description: "Shards the sessions are spread over (default 300); the same on every runner and client."
  }),
  max_concurrent_runs: Schema.optional(PositiveInt).annotations({
    description: "Runs one runner executes at a time (default: the session store's max_lease_connections, 20); " +
      "more wait in its queue. Each holds a session lease on a connection of its own, so at most max_lease_connections."
  }),
  session_queue_size: Schema.optional(PositiveInt).annotations({
    description: "Runs one session may have waiting across the cluster (default 64); past it a submit fails " +
      "with ClusterRunError reason 'busy' (retryable)."
  }),
  health_check_interval_ms: Schema.optional(PositiveInt).annotations({
    description: "How often runners check each other and refresh shard assignments (default 1000); runners " +
      "heartbeat every 2 intervals and a runner silent for 6 is dead: its shards move."
  }),
  drain_timeout_ms: Schema.optional(NonNegativeInt).annotations({
    description: "How long a runner stopped by SIGTERM/SIGINT lets its runs in flight finish before it leaves " +
      "(default 30000; `openagents runner --drain-timeout` overrides it); durable runs still running then " +
      "resume on another runner from their journal, non-durable ones end cancelled. 0: leave at once."
  })
}).annotations({ identifier: "ClusterConfig", title: "cluster" })

/**
 * @since 0.5.0
 * @category models
 */
export interface ClusterConfig extends Schema.Schema.Type<typeof ClusterConfig> {}

/**
 * The cluster settings of a config with every default applied.
 *
 * @since 0.5.0
 * @category models
 */
export interface ClusterSettings {
  readonly url: string
  readonly tablePrefix: string
  readonly host: string
  readonly listenHost: string | undefined
  readonly port: number
  readonly shards: number
  readonly maxConcurrentRuns: number
  readonly sessionQueueSize: number
  readonly healthCheckIntervalMs: number
  /** How long a stopped runner lets its runs in flight finish before it leaves (see `Runner.drain`). */
  readonly drainTimeoutMs: number
  /** The PostgreSQL schema of the session store (the cluster's sessions live there). */
  readonly sessionSchema: string | undefined
}

/**
 * The settings of a config's `cluster` block, checked against its `session` block: a cluster keeps its
 * sessions in the postgres session store, so that any runner can resume any session's run.
 *
 * @since 0.5.0
 * @category constructors
 */
export const settingsOf = (
  config: {
    readonly cluster?: ClusterConfig | undefined
    readonly session?: { readonly type?: string | undefined; readonly config?: unknown } | undefined
  },
  source?: string
): ClusterSettings | ConfigError => {
  const opts = source ? { source } : {}
  const cluster = config.cluster
  if (cluster === undefined) {
    return ConfigError.single("cluster", "is missing: a cluster deployment needs a cluster block", {
      hint: "add \"cluster\": {\"url\": \"postgres://...\"} (see docs/scale-out.md)",
      ...opts
    })
  }
  const session = config.session
  const sessionConfig = (session?.config ?? {}) as {
    readonly url?: unknown
    readonly schema?: unknown
    readonly max_lease_connections?: unknown
  }
  if (session?.type !== "postgres") {
    return ConfigError.single("session.type", `is '${session?.type ?? "in_memory"}': a cluster needs the postgres session store`, {
      hint: "set \"session\": {\"type\": \"postgres\", \"config\": {\"url\": \"postgres://...\"}}, so any runner can resume any session",
      ...opts
    })
  }
  const url = cluster.url ?? (typeof sessionConfig.url === "string" ? sessionConfig.url : undefined)
  if (url === undefined) return ConfigError.single("cluster.url", "is missing", opts)
  // a run in flight holds its session's lease on a connection of its own: more runs than lease
  // connections would wait for one, and fail once the store's connect timeout passed
  const leaseConnections = typeof sessionConfig.max_lease_connections === "number" ? sessionConfig.max_lease_connections : 20
  const maxConcurrentRuns = cluster.max_concurrent_runs ?? leaseConnections
  if (maxConcurrentRuns > leaseConnections) {
    return ConfigError.single(
      "cluster.max_concurrent_runs",
      `is ${maxConcurrentRuns}, more than the session store's ${leaseConnections} lease connections ` +
        "(session.config.max_lease_connections): each run in flight holds its session's lease on a connection of its own",
      {
        hint: `raise session.config.max_lease_connections to ${maxConcurrentRuns} or more (PostgreSQL's max_connections, ` +
          "100 by default, must cover every runner's), or lower cluster.max_concurrent_runs",
        ...opts
      }
    )
  }
  return {
    url,
    tablePrefix: cluster.table_prefix ?? "openagents_cluster",
    host: cluster.host ?? "127.0.0.1",
    listenHost: cluster.listen_host,
    port: cluster.port ?? 34431,
    shards: cluster.shards ?? 300,
    maxConcurrentRuns,
    sessionQueueSize: cluster.session_queue_size ?? 64,
    healthCheckIntervalMs: cluster.health_check_interval_ms ?? 1000,
    drainTimeoutMs: cluster.drain_timeout_ms ?? 30000,
    sessionSchema: typeof sessionConfig.schema === "string" ? sessionConfig.schema : undefined
  }
}
