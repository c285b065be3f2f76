/**
 * How `ClusterRuntime` turns what the cluster client reports into the runtime's contract, with a client
 * that plays a cluster's answers in this process (the end-to-end behaviour, on real runner processes, is
 * in runtime.test.ts): a run the cluster could not finish ends with a `failed` result naming the
 * `ClusterRunError`, its stream still `run.started` first, `run.finished` last and `sequence` gap-free;
 * a busy session before the start is `SessionBusy`; a stream left early cancels the run on the cluster.
 */
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Exit, Option, Stream } from "effect"
import type * as ClusterClient from "../../src/cluster/ClusterClient.js"
import * as ClusterRuntime from "../../src/cluster/ClusterRuntime.js"
import { clusterRunError } from "../../src/cluster/SessionEntity.js"
import type { RunResult } from "../../src/kernel/Run.js"
import type { RunStreamChunk } from "../../src/kernel/RunStreamChunk.js"
import * as MockModel from "../../src/llm/MockModel.js"
import * as AgentRuntime from "../../src/runtime/AgentRuntime.js"

/** The chunks a run of `input` makes on the local runtime (what a runner would send). */
const chunksOf = (local: AgentRuntime.AgentRuntime["Type"], input: ClusterClient.ClusterRunInput) =>
  Effect.map(Stream.runCollect(local.runStream(input as never)), Chunk.toReadonlyArray).pipe(Effect.orDie)

/** A client whose runs send `take` chunks of a real run, then end as `end` says. */
const playing = (
  local: AgentRuntime.AgentRuntime["Type"],
  take: number,
  end: ReturnType<typeof clusterRunError> | undefined,
  cancels: Array<string>
): ClusterClient.ClusterClient["Type"] => {
  const runStream: ClusterClient.ClusterClient["Type"]["runStream"] = (input) =>
    Stream.unwrap(Effect.map(chunksOf(local, { ...input, runId: `${input.runId}-local` }), (chunks) =>
      Stream.concat(
        Stream.fromIterable(chunks.slice(0, take).map((c) => ({ ...c, runId: input.runId! }) as RunStreamChunk)),
        end ? Stream.fail(end) : Stream.never
      )))
  return {
    runStream,
    runDetailed: (input) =>
      Stream.runFoldWhile(runStream(input), undefined as RunResult | undefined, (r) => r === undefined, (r, c) =>
        c.kind === "run.finished" ? c.result : r).pipe(Effect.map((r) => r!)),
    watch: () => Stream.die("unused"),
    cancel: (_sessionId, runId) => Effect.sync(() => (cancels.push(runId), true)),
    result: () => Effect.succeed(Option.none()),
    sessionOf: () => Effect.succeed(Option.none()),
    runnerStats: Effect.succeed([])
  }
}

const layer = AgentRuntime.layerInMemory({ agents: [{ id: "a", model: MockModel.layer() }] })

describe("ClusterRuntime (the client's answers as the runtime's contract)", () => {
  it.scoped("a run lost with its runner mid-stream: run.finished failed with the ClusterRunError, sequence going on", () =>
    Effect.gen(function*() {
      const local = yield* AgentRuntime.AgentRuntime
      const runtime = ClusterRuntime.make(local, playing(local, 2, clusterRunError("lost", "r1", "run r1 was lost"), []))
      const chunks = Chunk.toReadonlyArray(yield* Stream.runCollect(runtime.runStream({ agentId: "a", runId: "r1", inputText: "hi" })))
      assert.deepStrictEqual(chunks.map((c) => c.sequence), [0, 1, 2])
      assert.strictEqual(chunks[0]!.kind, "run.started")
      const last = chunks[2]!
      assert.strictEqual(last.kind, "run.finished")
      if (last.kind !== "run.finished") return
      assert.strictEqual(last.result.stopReason, "failed")
      assert.strictEqual(last.result.runId, "r1")
      assert.strictEqual(last.result.error?.tag, "ClusterRunError")
      assert.include(last.result.error!.message, "lost: run r1 was lost")
      assert.isFalse(last.result.error!.retryable)
      const detailed = yield* runtime.runDetailed({ agentId: "a", runId: "r2", inputText: "hi" })
      assert.strictEqual(detailed.stopReason, "failed")
      const failed = yield* Effect.exit(runtime.run({ agentId: "a", runId: "r3", inputText: "hi" }))
      assert.isTrue(Exit.isFailure(failed))
    }).pipe(Effect.provide(layer)))

  it.scoped("no runner before the start: run.started then run.finished failed (retryable); a busy session is SessionBusy", () =>
    Effect.gen(function*() {
      const local = yield* AgentRuntime.AgentRuntime
      const down = ClusterRuntime.make(local, playing(local, 0, clusterRunError("unavailable", "", "no runner has joined"), []))
      const chunks = Chunk.toReadonlyArray(yield* Stream.runCollect(down.runStream({ agentId: "a", runId: "u1", inputText: "hi" })))
      assert.deepStrictEqual(chunks.map((c) => [c.sequence, c.kind]), [[0, "run.started"], [1, "run.finished"]])
      const result = (chunks[1] as Extract<RunStreamChunk, { kind: "run.finished" }>).result
      assert.strictEqual(result.stopReason, "failed")
      assert.isTrue(result.error!.retryable)
      assert.strictEqual(result.metadata["clusterError"], "unavailable")

      const busy = ClusterRuntime.make(local, playing(local, 0, clusterRunError("busy", "b1", "the session's mailbox is full"), []))
      const error = yield* Effect.flip(busy.runDetailed({ agentId: "a", sessionId: "s9", runId: "b1", inputText: "hi" }))
      assert.strictEqual(error._tag, "SessionBusy")
    }).pipe(Effect.provide(layer)))

  it.scoped("leaving the stream early cancels the run on the cluster; a finished one is not cancelled", () =>
    Effect.gen(function*() {
      const local = yield* AgentRuntime.AgentRuntime
      const cancels: Array<string> = []
      const hanging = ClusterRuntime.make(local, playing(local, 1, undefined, cancels))
      const first = yield* Stream.runHead(hanging.runStream({ agentId: "a", sessionId: "s1", runId: "c1", inputText: "hi" }))
      assert.strictEqual(Option.getOrThrow(first).kind, "run.started")
      assert.deepStrictEqual(cancels, ["c1"])
      const whole = ClusterRuntime.make(local, playing(local, 100, undefined, cancels))
      const chunks = yield* Stream.runCollect(
        whole.runStream({ agentId: "a", runId: "c2", inputText: "hi" }).pipe(Stream.takeUntil((c) => c.kind === "run.finished"))
      )
      assert.strictEqual(Chunk.last(chunks).pipe(Option.getOrThrow).kind, "run.finished")
      assert.deepStrictEqual(cancels, ["c1"])
    }).pipe(Effect.provide(layer)))
})
