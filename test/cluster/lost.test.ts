/**
 * Two runner processes; long runs in flight on the second when it is SIGKILLed: its non-durable runs end
 * on the client with ClusterRunError reason "lost", its durable ones resume on the first and complete.
 * Also: watching a run from its first chunk, `openagents run --cluster` from another process, and
 * `openagents runner` refusing a config without the postgres session store.
 */
import { assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as ClusterClient from "../../src/cluster/ClusterClient.js"
import { type ClusterSettings, settingsOf } from "../../src/config/ClusterConfig.js"
import {
  basePort,
  createDatabase,
  openagents,
  query,
  resources,
  startRunner,
  waitForRunners,
  writeConfig
} from "./support.js"

const { databases, runners, scope } = resources()

describe("cluster: a runner dies under long runs", () => {
  it("non-durable runs in flight are lost (typed), durable ones resume and complete; watch; run --cluster; runner checks its config", async () => {
    const db = await createDatabase()
    databases.push(db.name)
    // each answer takes 1.5 s: a run is in flight for seconds
    const { file, config, dir } = writeConfig({ url: db.url, delayMs: 1500, sessionQueueSize: 2 })
    const port = basePort()
    runners.push(startRunner(file, port), startRunner(file, port + 1))
    await Promise.all(runners.map((r) => r.ready))
    await waitForRunners(db.url, 2)
    const client = Context.get(
      await Effect.runPromise(Layer.buildWithScope(ClusterClient.layer(settingsOf(config) as ClusterSettings), scope)),
      ClusterClient.ClusterClient
    )

    // a run watched from its first chunk by a second subscriber: the same chunks, run.finished last
    const watchedId = "watched-1"
    const watched = Effect.runFork(client.runDetailed({ agentId: "worker", sessionId: "w", runId: watchedId, inputText: "w", durable: false }))
    await new Promise((r) => setTimeout(r, 1000))
    const chunks = Chunk.toReadonlyArray(await Effect.runPromise(Stream.runCollect(client.watch("w", watchedId))))
    const result = await Effect.runPromise(Fiber.join(watched))
    assert.strictEqual(result.stopReason, "completed")
    assert.strictEqual(chunks[0]?.kind, "run.started")
    assert.strictEqual(chunks.at(-1)?.kind, "run.finished")
    assert.isTrue(chunks.every((c) => c.runId === watchedId))
    const stored = await Effect.runPromise(client.result(watchedId))
    assert.strictEqual(stored._tag === "Some" ? stored.value.finalOutput : undefined, "done")

    // four runs at once on one session whose queue holds two: two run (one after the other), two are refused
    const queued = await Promise.all([0, 1, 2, 3].map((i) =>
      Effect.runPromise(Effect.either(client.runDetailed({ agentId: "worker", sessionId: "q", runId: `q-${i}`, inputText: `q ${i}` })))
    ))
    const busy = queued.flatMap((o) => (o._tag === "Left" ? [o.left] : []))
    assert.deepStrictEqual(busy.map((e) => [e.reason, e.retryable]), [["busy", true], ["busy", true]])
    assert.match(busy[0]!.message, /session_queue_size 2/)
    assert.strictEqual(queued.filter((o) => o._tag === "Right" && o.right.stopReason === "completed").length, 2)

    // sixteen runs, half durable; once some of each run on the second runner, it is killed
    const victim = runners[1]!
    const address = `127.0.0.1:${victim.port}`
    const runs = Array.from({ length: 16 }, (_, i) => ({ runId: `long-${i}`, sessionId: `l${i}`, durable: i % 2 === 0 }))
    const fibers = runs.map((r) =>
      Effect.runFork(Effect.either(client.runDetailed({ agentId: "worker", ...r, inputText: "go" })))
    )
    let onVictim: ReadonlyArray<{ run_id: string; durable: boolean }> = []
    for (let i = 0; i < 300; i++) {
      await new Promise((r) => setTimeout(r, 100))
      onVictim = await query(db.url, `SELECT run_id, durable FROM openagents_cluster_runs WHERE runner = '${address}' AND status = 'running'`)
      if (onVictim.some((r) => r.durable) && onVictim.some((r) => !r.durable)) break
    }
    assert.isTrue(onVictim.some((r) => r.durable) && onVictim.some((r) => !r.durable), "durable and non-durable runs on the victim")
    victim.child.kill("SIGKILL")
    const outcomes = await Promise.all(fibers.map((f) => Effect.runPromise(Fiber.join(f))))
    // the non-durable runs the victim had taken and not finished when it died, read after the kill: a run it
    // took between the poll above and the kill is among them, one it finished in between is not (a row
    // keeps the runner that took it)
    const unfinished = await query<{ run_id: string }>(
      db.url,
      `SELECT run_id FROM openagents_cluster_runs WHERE runner = '${address}' AND NOT durable AND status <> 'finished'`
    )
    const victimIds = new Set(unfinished.map((r) => r.run_id))
    assert.isAbove(victimIds.size, 0, "a non-durable run was in flight on the victim")
    runs.forEach((r, i) => {
      const outcome = outcomes[i]!
      if (r.durable || !victimIds.has(r.runId)) {
        assert.strictEqual(outcome._tag, "Right", `${r.runId}: ${outcome._tag === "Left" ? outcome.left.message : ""}`)
        if (outcome._tag === "Right") assert.strictEqual(outcome.right.stopReason, "completed")
      } else {
        assert.strictEqual(outcome._tag, "Left", `${r.runId} (non-durable, on the dead runner) did not complete`)
        if (outcome._tag === "Left") {
          assert.strictEqual(outcome.left._tag, "ClusterRunError")
          assert.strictEqual(outcome.left.reason, "lost")
          assert.strictEqual(outcome.left.retryable, false)
          assert.match(outcome.left.message, /lost/)
        }
      }
    })
    const resumed = new Set((await query<{ run_id: string }>(db.url, "SELECT run_id FROM openagents_cluster_runs WHERE attempts > 1 AND durable AND status = 'finished'")).map((r) => r.run_id))
    // every durable run seen on the victim was resumed (and any it took between the poll and the kill too)
    for (const r of onVictim) if (r.durable) assert.isTrue(resumed.has(r.run_id), `the victim's durable run ${r.run_id} resumed`)

    // a durable run left by a runner that is gone, whose client is gone too: a runner's sweep sends it
    // again to its session's owner, which runs it (it had no checkpoint yet: from the start, same run id)
    const orphan = { agentId: "worker", sessionId: "o1", runId: "orphan-1", inputText: "orphan", durable: true }
    await query(db.url, `INSERT INTO openagents_cluster_runs (run_id, session_id, durable, runner, status, request, started_at)
      VALUES ('orphan-1', 'o1', true, '127.0.0.1:1', 'running', '${JSON.stringify(orphan)}', now() - interval '1 minute')`)
    let swept: { _tag: string; value?: { finalOutput: unknown } } = { _tag: "None" }
    for (let i = 0; i < 600 && swept._tag === "None"; i++) {
      await new Promise((r) => setTimeout(r, 200))
      swept = await Effect.runPromise(client.result("orphan-1"))
    }
    assert.strictEqual(swept.value?.finalOutput, "done", "the orphan ran to its end")

    // the CLI: a run submitted from another process, on the runner left
    const cliRun = await openagents("run", file, "--cluster", "--session", "cli-1", "--input", "hi", "--durable", "--format", "json")
    assert.strictEqual(cliRun.code, 0, cliRun.stderr)
    assert.strictEqual(JSON.parse(cliRun.stdout).finalOutput, "done")

    // a runner needs the postgres session store
    const bad = path.join(dir, "memory.json")
    fs.writeFileSync(bad, JSON.stringify({ ...config, session: { type: "in_memory" } }))
    const refused = await openagents("runner", bad)
    assert.strictEqual(refused.code, 2)
    assert.match(refused.stderr, /session\.type: is 'in_memory': a cluster needs the postgres session store/)
  }, 400_000)
})
