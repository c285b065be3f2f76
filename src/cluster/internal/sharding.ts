/**
 * The @effect/cluster machinery of a runner or a client, built from explicit settings (never from the
 * environment, which NodeClusterSocket.layer reads): socket transport, msgpack, runners, shard locks
 * and messages in PostgreSQL tables named `<prefix>_*`.
 */
import * as RunnerAddress from "@effect/cluster/RunnerAddress"
import * as RunnerHealth from "@effect/cluster/RunnerHealth"
import * as Runners from "@effect/cluster/Runners"
import type * as Sharding from "@effect/cluster/Sharding"
import * as ShardingConfig from "@effect/cluster/ShardingConfig"
import * as SocketRunner from "@effect/cluster/SocketRunner"
import * as SqlMessageStorage from "@effect/cluster/SqlMessageStorage"
import * as SqlRunnerStorage from "@effect/cluster/SqlRunnerStorage"
import { layerClientProtocol, layerSocketServer } from "@effect/platform-node/NodeClusterSocket"
import * as RpcSerialization from "@effect/rpc/RpcSerialization"
import * as SqlClient from "@effect/sql/SqlClient"
import * as PgClient from "@effect/sql-pg/PgClient"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type { ClusterSettings } from "../../config/ClusterConfig.js"

/** The runner's address as other processes reach it; none for a client. */
export const addressOf = (settings: ClusterSettings): RunnerAddress.RunnerAddress =>
  RunnerAddress.make(settings.host, settings.port)

const shardingConfig = (settings: ClusterSettings, role: "runner" | "client") => {
  const interval = Duration.millis(settings.healthCheckIntervalMs)
  return ShardingConfig.layer({
    runnerAddress: role === "client" ? Option.none() : Option.some(addressOf(settings)),
    runnerListenAddress: role === "runner" && settings.listenHost !== undefined
      ? Option.some(RunnerAddress.make(settings.listenHost, settings.port))
      : Option.none(),
    shardsPerGroup: settings.shards,
    runnerHealthCheckInterval: interval,
    refreshAssignmentsInterval: interval,
    // volatile messages only: the message table is polled for nothing of ours
    entityMessagePollInterval: Duration.seconds(5),
    sendRetryInterval: Duration.millis(100),
    // a runner is dropped from the runners table when its heartbeat (every lock refresh) is older than the
    // lock expiration: that, not the health check (a singleton, which may have lived on the dead runner),
    // bounds the failover time. 2 and 6 intervals: about 6 s with the default, and a live runner must miss
    // three heartbeats in a row to lose its shards (the session lease still fences its runs if it does)
    shardLockRefreshInterval: Duration.times(interval, 2),
    shardLockExpiration: Duration.times(interval, 6),
    // an entity closing stops taking the acks of its streamed replies (RpcServer refuses a client's messages
    // after Eof), so a Run stream in flight stalls there anyway: waiting longer for it would only hold the
    // shard. Runs execute detached from the entity; the client resubmits to the new owner (docs/scale-out.md)
    entityTerminationTimeout: Duration.seconds(5),
    // the close of an entity's registration unregisters the runner at once: how a drain leaves the
    // assignment while its runs go on (the default, named because the drain relies on it)
    preemptiveShutdown: true,
    entityMaxIdleTime: Duration.minutes(5),
    // every message crosses the wire anyway; no need to simulate it for local ones
    simulateRemoteSerialization: false
  })
}

/** The PostgreSQL client of the cluster's tables. */
export const pgLayer = (settings: ClusterSettings, maxConnections = 10) =>
  PgClient.layer({
    url: Redacted.make(settings.url),
    maxConnections,
    connectTimeout: Duration.seconds(5)
  })

/**
 * Sharding for a runner (it listens, hosts entities, checks the other runners' health) or for a client
 * (it only sends), over the given SQL client.
 */
export const shardingLayer = (
  settings: ClusterSettings,
  role: "runner" | "client"
): Layer.Layer<Sharding.Sharding | Runners.Runners, never, SqlClient.SqlClient> => {
  const prefix = settings.tablePrefix
  const transport = role === "client"
    ? SocketRunner.layerClientOnly
    : Layer.provide(SocketRunner.layer, layerSocketServer).pipe(
      Layer.provide(RunnerHealth.layerPing.pipe(Layer.provide(Runners.layerRpc), Layer.provide(layerClientProtocol)))
    )
  return transport.pipe(
    Layer.provide(Layer.orDie(SqlMessageStorage.layerWith({ prefix }))),
    Layer.provide(Layer.orDie(SqlRunnerStorage.layerWith({ prefix }))),
    Layer.provide(layerClientProtocol),
    Layer.provide(shardingConfig(settings, role)),
    Layer.provide(RpcSerialization.layerMsgPack),
    Layer.orDie
  ) as Layer.Layer<Sharding.Sharding | Runners.Runners, never, SqlClient.SqlClient>
}

/**
 * Creates the tables of @effect/cluster's SQL storage, one process at a time: their `CREATE TABLE IF
 * NOT EXISTS` race when runners start together on a fresh database ("Failed to execute statement").
 * The lock is the two-key form of advisory locks, a space apart from the one-key shard locks.
 */
export const migrate = (settings: ClusterSettings): Effect.Effect<void, never, SqlClient.SqlClient> =>
  Effect.scoped(Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const conn = yield* sql.reserve
    const key = `hashtext('openagents'), hashtext('${settings.tablePrefix}')`
    yield* conn.executeRaw(`SELECT pg_advisory_lock(${key})`, [])
    yield* Effect.scoped(Layer.build(
      Layer.mergeAll(SqlMessageStorage.layerWith({ prefix: settings.tablePrefix }), SqlRunnerStorage.layerWith({ prefix: settings.tablePrefix })).pipe(
        Layer.provide(shardingConfig(settings, "client"))
      )
    )).pipe(Effect.ensuring(Effect.ignore(conn.executeRaw(`SELECT pg_advisory_unlock(${key})`, []))))
  })).pipe(Effect.orDie)
