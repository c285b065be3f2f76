/**
 * A child process of the multi-process session store tests:
 *
 *   node --import tsx test/support/sessions-writer.ts '<JSON of WriterArgs>'
 *
 * `write` appends messages, journal entries, artifacts, checkpoints and states to one session of each
 * target store (the targets concurrently), one call at a time so that concurrent writer processes
 * interleave. `locks` plays the other side of the lock tests, printing its progress on stdout, one line
 * each: `busy <session>` (gave up on `busySession`, which the parent holds), `acquired <session>`,
 * `releasing <session>`, `released <session>`.
 */
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import { SessionArtifact } from "../../src/kernel/Session.js"
import { SessionStore } from "../../src/sessions/SessionStore.js"
import { journalEntry, numberedMessage, sampleCheckpoint } from "./sessions-fixtures.js"

/** A store to open in the child. */
export interface Target {
  readonly store: "jsonl" | "sqlite" | "postgres"
  /** The directory, the database file, or (postgres, at OPENAGENTS_TEST_PG_URL) the schema. */
  readonly path: string
}

/** Arguments of the child process. */
export type WriterArgs =
  | {
    readonly mode: "write"
    readonly targets: ReadonlyArray<Target>
    readonly sessionId: string
    readonly writer: string
    /** Rounds; each appends two messages and one journal entry. */
    readonly count: number
  }
  | {
    readonly mode: "locks"
    readonly target: Target
    readonly lockTimeoutMs: number
    /** Held by the parent: acquiring it must fail with SessionBusy. */
    readonly busySession: string
    /** Held for `holdMs`, writing message 0 after acquiring and message 1 before releasing. */
    readonly waitSession: string
    readonly holdMs: number
    /** Held until the process is killed. */
    readonly killSession: string
  }

const say = (line: string) => Effect.sync(() => void process.stdout.write(`${line}\n`))

const storeLayer = (target: Target, lockTimeoutMs?: number): Effect.Effect<Layer.Layer<SessionStore, unknown>> =>
  // only the store in use is loaded: module loading is most of a child's start-up time
  target.store === "jsonl"
    ? Effect.promise(() => import("../../src/sessions/JsonlSessionStore.js")).pipe(
      Effect.map((m) => m.layer({ rootDir: target.path, lockTimeoutMs }))
    )
    : target.store === "sqlite"
    ? Effect.promise(() => import("../../src/sessions/SqliteSessionStore.js")).pipe(
      Effect.map((m) => m.layer({ dbPath: target.path, lockTimeoutMs }))
    )
    : Effect.promise(() => Promise.all([import("../../src/sessions/PostgresSessionStore.js"), import("./sessions-postgres.js")])).pipe(
      Effect.map(([m, pg]) => m.layer({ url: pg.pgUrl, schema: target.path, lockTimeoutMs }))
    )

const write = (args: Extract<WriterArgs, { mode: "write" }>) =>
  Effect.gen(function*() {
    const store = yield* SessionStore
    const { sessionId, writer } = args
    for (let i = 0; i < args.count; i++) {
      yield* store.appendMessages(sessionId, [numberedMessage(writer, 2 * i), numberedMessage(writer, 2 * i + 1)])
      yield* store.appendJournal(sessionId, [journalEntry(writer, i)])
      if (i % 10 === 0) {
        yield* store.saveArtifact(sessionId, new SessionArtifact({ name: `${writer}-${i}`, payload: { i } }))
        yield* store.saveCheckpoint(sessionId, sampleCheckpoint(`${writer}-${i}`, writer))
        yield* store.saveCheckpoint(sessionId, sampleCheckpoint("shared", writer))
        yield* store.setState(sessionId, { writer, i })
      }
    }
  })

const locks = (args: Extract<WriterArgs, { mode: "locks" }>) =>
  Effect.gen(function*() {
    const store = yield* SessionStore
    yield* Effect.scoped(store.acquire(args.busySession)).pipe(
      Effect.zipRight(say(`acquired ${args.busySession}`)),
      Effect.catchTag("SessionBusy", () => say(`busy ${args.busySession}`))
    )
    yield* Effect.scoped(
      Effect.gen(function*() {
        yield* store.acquire(args.waitSession)
        yield* store.appendMessages(args.waitSession, [numberedMessage("child", 0)])
        yield* say(`acquired ${args.waitSession}`)
        yield* Effect.sleep(args.holdMs)
        yield* store.appendMessages(args.waitSession, [numberedMessage("child", 1)])
        yield* say(`releasing ${args.waitSession}`)
      })
    )
    yield* say(`released ${args.waitSession}`)
    yield* store.acquire(args.killSession)
    yield* say(`acquired ${args.killSession}`)
    yield* Effect.never
  }).pipe(Effect.scoped)

const args = JSON.parse(process.argv[2] ?? "{}") as WriterArgs

const program = args.mode === "write"
  ? Effect.forEach(
    args.targets,
    (target) => Effect.flatMap(storeLayer(target), (layer) => Effect.provide(write(args), layer)),
    { concurrency: "unbounded", discard: true }
  ).pipe(Effect.zipRight(say("done")))
  : Effect.flatMap(storeLayer(args.target, args.lockTimeoutMs), (layer) => Effect.provide(locks(args), layer))

Effect.runPromise(program).then(
  () => undefined,
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`)
    process.exitCode = 1
  }
)
