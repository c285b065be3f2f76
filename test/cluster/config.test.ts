/**
 * The `cluster` block: checked at its paths like every block, its defaults, and what it needs of the
 * `session` block; and the FIFO limit on a runner's concurrent runs.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { Limiter } from "../../src/cluster/internal/executions.js"
import { settingsOf } from "../../src/config/ClusterConfig.js"
import * as ConfigLoader from "../../src/config/ConfigLoader.js"
import { ConfigError } from "../../src/kernel/Errors.js"

const agents = [{ id: "a" }]
const postgres = { type: "postgres", config: { url: "postgres://postgres@127.0.0.1:5432/app", schema: "s" } }

describe("cluster block", () => {
  it.effect("bad values are refused at their paths", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(ConfigLoader.load({
        agents,
        session: postgres,
        cluster: {
          url: "mysql://x",
          port: 70000,
          max_concurrent_runs: 0,
          table_prefix: "Bad-Prefix",
          shard: 3,
          drain_timeout_ms: -1
        }
      }))
      const paths = error.issues.map((i) => i.path).sort()
      assert.deepStrictEqual(paths, [
        "cluster.drain_timeout_ms",
        "cluster.max_concurrent_runs",
        "cluster.port",
        "cluster.shard",
        "cluster.table_prefix",
        "cluster.url"
      ])
    }))

  it.effect("defaults, and the url of the postgres session store", () =>
    Effect.gen(function*() {
      const loaded = yield* ConfigLoader.load({ agents, session: postgres, cluster: { port: 4000 } })
      const settings = settingsOf(loaded.config)
      assert.deepStrictEqual(settings, {
        url: "postgres://postgres@127.0.0.1:5432/app",
        tablePrefix: "openagents_cluster",
        host: "127.0.0.1",
        listenHost: undefined,
        port: 4000,
        shards: 300,
        // one run in flight, one lease connection: the store's default 20
        maxConcurrentRuns: 20,
        sessionQueueSize: 64,
        healthCheckIntervalMs: 1000,
        drainTimeoutMs: 30000,
        sessionSchema: "s"
      })
    }))

  it.effect("max_concurrent_runs: at most the session store's lease connections (each run holds one), by default as many", () =>
    Effect.gen(function*() {
      const over = settingsOf((yield* ConfigLoader.load({ agents, session: postgres, cluster: { max_concurrent_runs: 32 } })).config)
      assert.instanceOf(over, ConfigError)
      assert.strictEqual((over as ConfigError).issues[0]!.path, "cluster.max_concurrent_runs")
      assert.match((over as ConfigError).message, /is 32, more than the session store's 20 lease connections/)
      assert.match((over as ConfigError).issues[0]!.hint ?? "", /max_lease_connections to 32/)
      const raised = { ...postgres, config: { ...postgres.config, max_lease_connections: 40 } }
      const ok = settingsOf((yield* ConfigLoader.load({ agents, session: raised, cluster: { max_concurrent_runs: 32 } })).config)
      assert.strictEqual((ok as { maxConcurrentRuns: number }).maxConcurrentRuns, 32)
      const byDefault = settingsOf((yield* ConfigLoader.load({ agents, session: raised, cluster: {} })).config)
      assert.strictEqual((byDefault as { maxConcurrentRuns: number }).maxConcurrentRuns, 40)
      const bad = yield* Effect.flip(ConfigLoader.load({ agents, session: { ...postgres, config: { ...postgres.config, max_lease_connections: 0 } } }))
      assert.deepStrictEqual(bad.issues.map((i) => i.path), ["session.config.max_lease_connections"])
    }))

  it.effect("drain_timeout_ms: 0 leaves at once; a value is kept", () =>
    Effect.gen(function*() {
      for (const ms of [0, 1000]) {
        const loaded = yield* ConfigLoader.load({ agents, session: postgres, cluster: { drain_timeout_ms: ms } })
        const settings = settingsOf(loaded.config)
        assert.strictEqual((settings as { drainTimeoutMs: number }).drainTimeoutMs, ms)
      }
    }))

  it.effect("a cluster needs the block, and the postgres session store", () =>
    Effect.gen(function*() {
      const none = settingsOf((yield* ConfigLoader.load({ agents, session: postgres })).config)
      assert.instanceOf(none, ConfigError)
      assert.strictEqual((none as ConfigError).issues[0]!.path, "cluster")
      const memory = settingsOf((yield* ConfigLoader.load({ agents, cluster: {} })).config)
      assert.instanceOf(memory, ConfigError)
      assert.strictEqual((memory as ConfigError).issues[0]!.path, "session.type")
      assert.match((memory as ConfigError).message, /postgres session store/)
    }))
})

describe("a runner's limit on concurrent runs", () => {
  it.effect("at most `limit` at a time, the others admitted in arrival order", () =>
    Effect.gen(function*() {
      const limiter = new Limiter(2)
      const order: Array<number> = []
      const gates = yield* Effect.forEach([0, 1, 2, 3, 4], () => Deferred.make<void>())
      const fibers = yield* Effect.forEach([0, 1, 2, 3, 4], (i) =>
        Effect.fork(limiter.withPermit(Effect.zipRight(Effect.sync(() => order.push(i)), Deferred.await(gates[i]!)))))
      yield* Effect.yieldNow({ priority: 1 })
      assert.deepStrictEqual(order, [0, 1])
      assert.strictEqual(limiter.active, 2)
      assert.strictEqual(limiter.queued, 3)
      // a waiter that leaves gives its place up
      yield* Fiber.interrupt(fibers[3]!)
      yield* Deferred.succeed(gates[1]!, undefined)
      yield* Fiber.join(fibers[1]!)
      yield* Effect.yieldNow({ priority: 1 })
      assert.deepStrictEqual(order, [0, 1, 2])
      yield* Deferred.succeed(gates[0]!, undefined)
      yield* Deferred.succeed(gates[2]!, undefined)
      yield* Deferred.succeed(gates[4]!, undefined)
      yield* Fiber.join(fibers[4]!)
      assert.deepStrictEqual(order, [0, 1, 2, 4])
      assert.strictEqual(limiter.active, 0)
      assert.strictEqual(limiter.queued, 0)
    }))
})
