/**
 * `openagents/cluster`: the runtime as a cluster of runners on @effect/cluster and PostgreSQL. Runners
 * (`Runner.layer`, `openagents runner`) execute the runs of the sessions whose shards they own; clients
 * (`ClusterClient.layer`, `openagents run --cluster`) submit runs and stream their chunks from any
 * process; `ClusterRuntime.layer` is an `AgentRuntime` whose runs go to the cluster (`openagents serve
 * --cluster`, `createRuntime(config, { cluster: true })`). See docs/scale-out.md.
 *
 * @since 0.5.0
 */

/** @since 0.5.0 */
export * as ClusterClient from "./ClusterClient.js"
/** @since 0.5.0 */
export * as ClusterRuntime from "./ClusterRuntime.js"
/** @since 0.5.0 */
export * as Runner from "./Runner.js"
/** @since 0.5.0 */
export * as SessionEntity from "./SessionEntity.js"
/** @since 0.5.0 */
export * as ClusterConfig from "../config/ClusterConfig.js"
