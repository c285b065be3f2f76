/**
 * `openagents/cluster`: the runtime as a cluster of runners on @effect/cluster and PostgreSQL. Runners
 * (`Runner.layer`, `openagents runner`) execute the runs of the sessions whose shards they own; clients
 * (`ClusterClient.layer`, `openagents run --cluster`) submit runs and stream their chunks from any
 * process. See docs/scale-out.md.
 *
 * @since 0.5.0
 */

/** @since 0.5.0 */
export * as ClusterClient from "./ClusterClient.js"
/** @since 0.5.0 */
export * as Runner from "./Runner.js"
/** @since 0.5.0 */
export * as SessionEntity from "./SessionEntity.js"
/** @since 0.5.0 */
export * as ClusterConfig from "../config/ClusterConfig.js"
