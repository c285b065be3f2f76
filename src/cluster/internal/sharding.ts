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
import type * as SqlClient from "@effect/sql/SqlClient"
import * as PgClient from "@effect/sql-pg/PgClient"
import * as Duration from "effect/Duration"
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
    shardLockRefreshInterval: Duration.seconds(5),
    shardLockExpiration: Duration.seconds(15),
    entityTerminationTimeout: Duration.seconds(5),
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
