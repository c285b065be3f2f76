/**
 * The runs the server started: each consumed into a window of its latest chunks (for re-attach with
 * `Last-Event-ID`) and published to its live readers, kept after it finished (for `GET /v1/runs/{id}`)
 * until newer finished runs push it out.
 *
 * Why a server-side consumer rather than handing the runtime's stream to the HTTP response: the run must
 * outlive the client that started it, and any number of clients may read it from any point.
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as FiberSet from "effect/FiberSet"
import * as Option from "effect/Option"
import * as PubSub from "effect/PubSub"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { RunResult } from "../../kernel/Run.js"
import type { RunStreamChunk } from "../../kernel/RunStreamChunk.js"
import type { AgentRuntime, RunInput, StartError } from "../../runtime/AgentRuntime.js"

/** A run of the server. */
export interface Entry {
  readonly runId: string
  readonly agentId: string
  readonly sessionId: string
  /** The latest chunks, `chunks[i].sequence === dropped + i`. */
  readonly chunks: Array<RunStreamChunk>
  dropped: number
  result: RunResult | undefined
  readonly done: Deferred.Deferred<RunResult>
  readonly live: PubSub.PubSub<RunStreamChunk>
}

/** The chunks a reader asked for are older than the window. */
export class OutOfWindow {
  readonly _tag = "OutOfWindow"
  constructor(readonly first: number) {}
}

export interface Options {
  /** Chunks kept per run for re-attach (default 10,000). */
  readonly maxChunksPerRun?: number | undefined
  /** Finished runs kept for status and replay (default 1,000). */
  readonly maxFinishedRuns?: number | undefined
}

export interface Registry {
  /**
   * Starts a run (a client's JSON, checked by the runtime, or a request of the server's own); succeeds once
   * it emitted its first chunk, fails with the runtime's start error.
   */
  readonly start: (input: RunInput | Readonly<Record<string, unknown>>) => Effect.Effect<Entry, StartError>
  readonly get: (runId: string) => Option.Option<Entry>
  /** The run's chunks after `after` (-1: all), live ones included, ending with run.finished. */
  readonly read: (entry: Entry, after: number) => Stream.Stream<RunStreamChunk, OutOfWindow>
  readonly size: () => number
}

export const make = (
  runtime: AgentRuntime["Type"],
  options: Options = {}
): Effect.Effect<Registry, never, Scope.Scope> =>
  Effect.gen(function*() {
    const maxChunks = options.maxChunksPerRun ?? 10_000
    const maxFinished = options.maxFinishedRuns ?? 1_000
    const runs = new Map<string, Entry>()
    // insertion-ordered: the oldest finished run is the first key
    const finished = new Set<string>()
    // interrupting a consumer (the server's scope closing) ends the runtime's stream, which cancels the run
    const consumers = yield* FiberSet.make<void, never>()

    const push = (entry: Entry, chunk: RunStreamChunk) =>
      Effect.suspend(() => {
        entry.chunks.push(chunk)
        if (entry.chunks.length > maxChunks) {
          entry.chunks.shift()
          entry.dropped++
        }
        if (chunk.kind !== "run.finished") return PubSub.publish(entry.live, chunk)
        entry.result = chunk.result
        finished.add(entry.runId)
        if (finished.size > maxFinished) {
          const oldest = finished.values().next().value!
          finished.delete(oldest)
          runs.delete(oldest)
        }
        return Effect.zipRight(PubSub.publish(entry.live, chunk), Deferred.succeed(entry.done, chunk.result))
      })

    const start = (input: RunInput | Readonly<Record<string, unknown>>) =>
      Effect.gen(function*() {
        const started = yield* Deferred.make<Entry, StartError>()
        let entry: Entry | undefined
        // the input is JSON from a client: the runtime checks it as it checks any request (every problem at its path)
        const consume = Stream.runForEach(runtime.runStream(input as RunInput), (chunk) =>
          Effect.suspend(() => {
            if (entry !== undefined) return push(entry, chunk)
            return Effect.gen(function*() {
              const created: Entry = {
                runId: chunk.runId,
                agentId: chunk.agentId,
                sessionId: chunk.sessionId,
                chunks: [],
                dropped: 0,
                result: undefined,
                done: yield* Deferred.make<RunResult>(),
                live: yield* PubSub.unbounded<RunStreamChunk>()
              }
              // a run id used again (a resumed run) replaces the old entry
              finished.delete(chunk.runId)
              runs.set(chunk.runId, created)
              entry = created
              yield* push(created, chunk)
              yield* Deferred.succeed(started, created)
            })
          })).pipe(
            Effect.catchAll((error) => Deferred.fail(started, error)),
            // a stream that ended or died without a chunk must not leave its starter waiting
            Effect.ensuring(Deferred.interrupt(started)),
            Effect.catchAllDefect(() => Effect.void),
            Effect.asVoid
          )
        yield* FiberSet.run(consumers, consume)
        return yield* Deferred.await(started)
      })

    const read = (entry: Entry, after: number): Stream.Stream<RunStreamChunk, OutOfWindow> =>
      Stream.unwrapScoped(Effect.gen(function*() {
        // subscribe before the snapshot: a chunk pushed in between is seen twice, and dropped by sequence
        const sub = yield* PubSub.subscribe(entry.live)
        if (after + 1 < entry.dropped) return yield* Effect.fail(new OutOfWindow(entry.dropped))
        const replay = entry.chunks.slice(Math.max(0, after + 1 - entry.dropped))
        const last = replay.length > 0 ? replay[replay.length - 1]! : undefined
        if (last?.kind === "run.finished") return Stream.fromIterable(replay)
        let seen = last?.sequence ?? after
        const live = Stream.fromQueue(sub).pipe(
          Stream.filter((chunk) => {
            if (chunk.sequence <= seen) return false
            seen = chunk.sequence
            return true
          }),
          Stream.takeUntil((chunk) => chunk.kind === "run.finished")
        )
        return Stream.concat(Stream.fromIterable(replay), live)
      }))

    return {
      start,
      get: (runId) => Option.fromNullable(runs.get(runId)),
      read,
      size: () => runs.size
    } satisfies Registry
  })
