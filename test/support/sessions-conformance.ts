/**
 * The conformance suite every `SessionStore` implementation passes: the semantics of the seam, checked
 * the same way against each store. `conformance(subject)` registers one describe-block.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import { PendingApproval } from "../../src/kernel/Approval.js"
import { SessionStoreError } from "../../src/kernel/Errors.js"
import { JournalEntry, SessionArtifact, SessionCheckpoint, SessionMessage } from "../../src/kernel/Session.js"
import type { SessionStore } from "../../src/sessions/SessionStore.js"
import {
  advanceBy,
  advanceUntil,
  journalEntry,
  liveSleep,
  nestedPayload,
  numberedMessage,
  openStore,
  sampleArtifact,
  sampleCheckpoint,
  sampleMessages,
  tempDir,
  trickyText
} from "./sessions-fixtures.js"
import { forkConformance } from "./sessions-conformance-fork.js"

/** A store implementation under test. */
export interface StoreUnderTest {
  readonly name: string
  /** A store whose data lives under `dir` (a fresh, empty temporary directory per test). */
  readonly layer: (dir: string) => Layer.Layer<SessionStore, unknown>
  /** Data survive the store: a new Layer on the same `dir` sees them. */
  readonly persistent: boolean
  /** `acquire` excludes other holders until released (false for the in-memory store, a no-op). */
  readonly exclusiveAcquire: boolean
}

const encoded = <A, I>(schema: Schema.Schema<A, I>, values: ReadonlyArray<A>) =>
  Schema.encodeSync(Schema.Array(schema))(values)

/** Asserts equal values and equal Schema encodings (exact round-trip). */
const assertRoundTrip = <A, I>(schema: Schema.Schema<A, I>, actual: ReadonlyArray<A>, expected: ReadonlyArray<A>) => {
  assert.deepStrictEqual(encoded(schema, actual), encoded(schema, expected))
  assert.deepStrictEqual(actual, expected)
}

const pending = (runId: string, callId: string, extra: Partial<PendingApproval> = {}) =>
  new PendingApproval({
    sessionId: "s1",
    runId,
    agentId: "a",
    callId,
    tool: "write_file",
    arguments: { path: "/tmp/x", content: trickyText },
    editableParams: ["path"],
    checkpointId: `${runId}:step:0`,
    inputText: "go",
    durable: false,
    requestedAtMs: 1,
    ...extra
  })

/** Registers the conformance tests of one store. */
export const conformance = (subject: StoreUnderTest): void => {
  const withStore = <A, E>(
    body: (store: SessionStore["Type"], dir: string) => Effect.Effect<A, E, Scope.Scope>
  ) =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const store = yield* openStore(subject.layer(dir))
      return yield* body(store, dir)
    })

  describe(`SessionStore conformance: ${subject.name}`, () => {
    it.scoped("an unknown session reads as empty", () =>
      withStore((store) =>
        Effect.gen(function*() {
          assert.deepStrictEqual(yield* store.loadMessages("nope"), [])
          assert.deepStrictEqual(yield* store.getState("nope"), {})
          assert.deepStrictEqual(yield* store.listArtifacts("nope"), [])
          assert.isTrue(Option.isNone(yield* store.loadCheckpoint("nope", "c1")))
          assert.deepStrictEqual(yield* store.listCheckpoints("nope"), [])
          assert.deepStrictEqual(yield* store.loadJournal("nope", "run-1"), [])
          assert.deepStrictEqual(yield* store.listJournaledRuns("nope"), [])
          assert.deepStrictEqual(yield* store.listSessions, [])
          // deleting an unknown session is a no-op, and reading never creates one
          yield* store.deleteSession("nope")
          assert.deepStrictEqual(yield* store.listSessions, [])
        })
      ))

    it.scoped("messages are appended in order and round-trip exactly", () =>
      withStore((store) =>
        Effect.gen(function*() {
          const first = sampleMessages("run-1", 4)
          const second = sampleMessages("run-2", 3)
          yield* store.appendMessages("s", first)
          yield* store.appendMessages("s", [])
          yield* store.appendMessages("s", second)
          yield* store.appendMessages("s", [numberedMessage("run-3", 1)])
          const loaded = yield* store.loadMessages("s")
          assertRoundTrip(SessionMessage, loaded, [...first, ...second, numberedMessage("run-3", 1)])
          // a returned array is a copy
          ;(loaded as Array<SessionMessage>).pop()
          assert.strictEqual((yield* store.loadMessages("s")).length, 8)
        })
      ))

    it.scoped("a large batch of messages keeps its order", () =>
      withStore((store) =>
        Effect.gen(function*() {
          const batch = Array.from({ length: 450 }, (_, i) => numberedMessage("run-1", i))
          yield* store.appendMessages("s", batch)
          assertRoundTrip(SessionMessage, yield* store.loadMessages("s"), batch)
        })
      ))

    it.scoped("setState replaces the whole state and getState returns it", () =>
      withStore((store) =>
        Effect.gen(function*() {
          yield* store.setState("s", { a: 1, keep: "no", nested: nestedPayload })
          assert.deepStrictEqual(yield* store.getState("s"), { a: 1, keep: "no", nested: nestedPayload })
          yield* store.setState("s", { b: [trickyText], "🎉": { x: null } })
          assert.deepStrictEqual(yield* store.getState("s"), { b: [trickyText], "🎉": { x: null } })
          // the caller never shares a mutable object with the store
          const state = yield* store.getState("s")
          ;(state as Record<string, unknown>)["b"] = "mutated"
          assert.deepStrictEqual(yield* store.getState("s"), { b: [trickyText], "🎉": { x: null } })
          yield* store.setState("s", {})
          assert.deepStrictEqual(yield* store.getState("s"), {})
        })
      ))

    it.scoped("artifacts are kept in order with their defaults", () =>
      withStore((store) =>
        Effect.gen(function*() {
          const artifacts = [sampleArtifact("a"), sampleArtifact("b", true), sampleArtifact("a")]
          for (const artifact of artifacts) yield* store.saveArtifact("s", artifact)
          const loaded = yield* store.listArtifacts("s")
          assertRoundTrip(SessionArtifact, loaded, artifacts)
          assert.strictEqual(loaded[1]!.kind, "generic")
          assert.deepStrictEqual(loaded[1]!.metadata, {})
        })
      ))

    it.scoped("checkpoints are keyed by id, listed in save order, and replaced in place", () =>
      withStore((store) =>
        Effect.gen(function*() {
          yield* store.saveCheckpoint("s", sampleCheckpoint("c1", "one"))
          yield* store.saveCheckpoint("s", sampleCheckpoint("c2", "two"))
          yield* store.saveCheckpoint("s", sampleCheckpoint("c3", "three"))
          yield* store.saveCheckpoint("s", sampleCheckpoint("c2", "two again", 99))
          assertRoundTrip(SessionCheckpoint, yield* store.listCheckpoints("s"), [
            sampleCheckpoint("c1", "one"),
            sampleCheckpoint("c2", "two again", 99),
            sampleCheckpoint("c3", "three")
          ])
          const c2 = yield* store.loadCheckpoint("s", "c2")
          assert.isTrue(Option.isSome(c2))
          assertRoundTrip(SessionCheckpoint, Option.toArray(c2), [sampleCheckpoint("c2", "two again", 99)])
          assert.isTrue(Option.isNone(yield* store.loadCheckpoint("s", "c4")))
          assert.isTrue(Option.isNone(yield* store.loadCheckpoint("other", "c1")))
        })
      ))

    it.scoped("journal entries are kept per run in seq order; runs in first-append order", () =>
      withStore((store) =>
        Effect.gen(function*() {
          yield* store.appendJournal("s", [journalEntry("run-b", 0), journalEntry("run-a", 0)])
          yield* store.appendJournal("s", [journalEntry("run-b", 1, nestedPayload)])
          yield* store.appendJournal("s", [journalEntry("run-a", 1), journalEntry("run-a", 2, [trickyText])])
          yield* store.appendJournal("s", [])
          yield* store.appendJournal("s", [journalEntry("run-b", 2, null)])
          assertRoundTrip(JournalEntry, yield* store.loadJournal("s", "run-a"), [
            journalEntry("run-a", 0),
            journalEntry("run-a", 1),
            journalEntry("run-a", 2, [trickyText])
          ])
          assertRoundTrip(JournalEntry, yield* store.loadJournal("s", "run-b"), [
            journalEntry("run-b", 0),
            journalEntry("run-b", 1, nestedPayload),
            journalEntry("run-b", 2, null)
          ])
          assert.deepStrictEqual(yield* store.listJournaledRuns("s"), ["run-b", "run-a"])
          assert.deepStrictEqual(yield* store.loadJournal("s", "run-c"), [])
        })
      ))

    it.scoped("journal entries with their checkpoint in one write: both are there, in order with the others", () =>
      withStore((store) =>
        Effect.gen(function*() {
          yield* store.saveCheckpoint("s", sampleCheckpoint("c1", "one"))
          yield* store.appendJournal("s", [journalEntry("run-a", 0), journalEntry("run-a", 1)], sampleCheckpoint("c2", "two"))
          yield* store.appendJournal("s", [journalEntry("run-a", 2)])
          assertRoundTrip(JournalEntry, yield* store.loadJournal("s", "run-a"), [
            journalEntry("run-a", 0),
            journalEntry("run-a", 1),
            journalEntry("run-a", 2)
          ])
          assertRoundTrip(SessionCheckpoint, yield* store.listCheckpoints("s"), [
            sampleCheckpoint("c1", "one"),
            sampleCheckpoint("c2", "two")
          ])
          // written again (a resumed run's step), the checkpoint keeps its place
          yield* store.appendJournal("s", [journalEntry("run-a", 3)], sampleCheckpoint("c1", "one again", 7))
          assert.deepStrictEqual((yield* store.listCheckpoints("s")).map((c) => c.checkpointId), ["c1", "c2"])
        })
      ))

    it.scoped("every write creates its session; listSessions lists each once", () =>
      withStore((store) =>
        Effect.gen(function*() {
          yield* store.appendMessages("m", sampleMessages("r", 1))
          yield* store.appendMessages("m", sampleMessages("r", 1))
          yield* store.setState("st", { x: 1 })
          yield* store.saveArtifact("a", sampleArtifact("x"))
          yield* store.saveCheckpoint("c", sampleCheckpoint("c1", "t"))
          yield* store.appendJournal("j", [journalEntry("r", 0)])
          const sessions = yield* store.listSessions
          assert.deepStrictEqual([...sessions].sort(), ["a", "c", "j", "m", "st"])
        })
      ))

    it.scoped("sessions are isolated, and deleteSession removes everything of one session only", () =>
      withStore((store) =>
        Effect.gen(function*() {
          const fill = (id: string) =>
            Effect.gen(function*() {
              yield* store.appendMessages(id, sampleMessages(`run-${id}`, 2))
              yield* store.setState(id, { id })
              yield* store.saveArtifact(id, sampleArtifact(id))
              yield* store.saveCheckpoint(id, sampleCheckpoint("c1", id))
              yield* store.appendJournal(id, [journalEntry(`run-${id}`, 0)])
            })
          yield* fill("keep")
          yield* fill("drop")
          assert.deepStrictEqual((yield* store.loadMessages("keep")).map((m) => m.runId), ["run-keep", "run-keep"])

          yield* store.deleteSession("drop")
          assert.deepStrictEqual(yield* store.listSessions, ["keep"])
          assert.deepStrictEqual(yield* store.loadMessages("drop"), [])
          assert.deepStrictEqual(yield* store.getState("drop"), {})
          assert.deepStrictEqual(yield* store.listArtifacts("drop"), [])
          assert.deepStrictEqual(yield* store.listCheckpoints("drop"), [])
          assert.isTrue(Option.isNone(yield* store.loadCheckpoint("drop", "c1")))
          assert.deepStrictEqual(yield* store.loadJournal("drop", "run-drop"), [])
          assert.deepStrictEqual(yield* store.listJournaledRuns("drop"), [])

          assert.strictEqual((yield* store.loadMessages("keep")).length, 2)
          assert.deepStrictEqual(yield* store.getState("keep"), { id: "keep" })
          assert.strictEqual((yield* store.listArtifacts("keep")).length, 1)
          assert.strictEqual((yield* store.listCheckpoints("keep")).length, 1)
          assert.deepStrictEqual(yield* store.listJournaledRuns("keep"), ["run-keep"])

          // a deleted session starts over from empty
          yield* store.appendMessages("drop", [numberedMessage("again", 0)])
          assertRoundTrip(SessionMessage, yield* store.loadMessages("drop"), [numberedMessage("again", 0)])
          assert.deepStrictEqual(yield* store.getState("drop"), {})
        })
      ))

    it.scoped("session ids with separators, dots, spaces and unicode are kept apart and listed exactly", () =>
      withStore((store) =>
        Effect.gen(function*() {
          const ids = ["a/b", "../../escape", "..", ".", " spaced id ", "日本語/🎉", "Case", "case", "%2F", "a\\b", ""]
          for (const id of ids) yield* store.appendMessages(id, [numberedMessage(id, 0)])
          assert.deepStrictEqual([...(yield* store.listSessions)].sort(), [...ids].sort())
          for (const id of ids) {
            assert.deepStrictEqual((yield* store.loadMessages(id)).map((m) => m.runId), [id])
          }
        })
      ))

    it.scoped("concurrent writers in one process lose nothing", () =>
      withStore((store) =>
        Effect.gen(function*() {
          yield* Effect.forEach(
            Array.from({ length: 16 }, (_, w) => w),
            (w) =>
              Effect.forEach(Array.from({ length: 5 }, (_, i) => i), (i) =>
                Effect.zipRight(
                  store.appendMessages("s", [numberedMessage(`w${w}`, i)]),
                  store.appendJournal("s", [journalEntry(`w${w}`, i)])
                )),
            { concurrency: "unbounded", discard: true }
          )
          const messages = yield* store.loadMessages("s")
          assert.strictEqual(messages.length, 80)
          for (let w = 0; w < 16; w++) {
            const mine = messages.filter((m) => m.runId === `w${w}`).map((m) => m.timestampMs)
            assert.deepStrictEqual(mine, [0, 1, 2, 3, 4])
            assert.deepStrictEqual((yield* store.loadJournal("s", `w${w}`)).map((e) => e.seq), [0, 1, 2, 3, 4])
          }
          assert.strictEqual((yield* store.listJournaledRuns("s")).length, 16)
        })
      ))

    it.scoped("pending approvals: saved, listed per session or all, replaced by run and call id, deleted", () =>
      withStore((store) =>
        Effect.gen(function*() {
          assert.deepStrictEqual(yield* store.listPendingApprovals("s1"), [])
          assert.deepStrictEqual(yield* store.listPendingApprovals(), [])
          yield* store.savePendingApproval("s1", pending("run-1", "c1"))
          yield* store.savePendingApproval("s1", pending("run-1", "c2"))
          yield* store.savePendingApproval("s2", pending("run-2", "c1", { sessionId: "s2" }))
          assertRoundTrip(PendingApproval, yield* store.listPendingApprovals("s1"), [pending("run-1", "c1"), pending("run-1", "c2")])
          assert.strictEqual((yield* store.listPendingApprovals()).length, 3)
          // a decision is recorded by saving again: replaced in place
          const decided = pending("run-1", "c1", { decision: { decision: "approve", arguments: { path: "/tmp/y" } } })
          yield* store.savePendingApproval("s1", decided)
          assertRoundTrip(PendingApproval, yield* store.listPendingApprovals("s1"), [decided, pending("run-1", "c2")])
          yield* store.deletePendingApproval("s1", "run-1", "c1")
          yield* store.deletePendingApproval("s1", "run-1", "unknown")
          assertRoundTrip(PendingApproval, yield* store.listPendingApprovals("s1"), [pending("run-1", "c2")])
          yield* store.deleteSession("s2")
          assert.deepStrictEqual((yield* store.listPendingApprovals()).map((p) => p.callId), ["c2"])
        })
      ))

    if (subject.persistent) {
      it.scoped("pending approvals survive a restart", () =>
        Effect.gen(function*() {
          const dir = yield* tempDir
          yield* Effect.scoped(Effect.gen(function*() {
            const store = yield* openStore(subject.layer(dir))
            yield* store.savePendingApproval("s1", pending("run-1", "c1"))
            yield* store.savePendingApproval("s1", pending("run-1", "c2"))
            yield* store.deletePendingApproval("s1", "run-1", "c1")
            yield* store.savePendingApproval("s1", pending("run-1", "c2", { decision: { decision: "reject", reason: "no" } }))
          }))
          const store = yield* openStore(subject.layer(dir))
          assertRoundTrip(PendingApproval, yield* store.listPendingApprovals(), [
            pending("run-1", "c2", { decision: { decision: "reject", reason: "no" } })
          ])
        }))
    }

    if (subject.persistent) {
      it.scoped("a new store on the same path sees everything (restart)", () =>
        Effect.gen(function*() {
          const dir = yield* tempDir
          const messages = sampleMessages("run-1", 4)
          yield* Effect.scoped(
            Effect.gen(function*() {
              const store = yield* openStore(subject.layer(dir))
              yield* store.appendMessages("s1", messages)
              yield* store.setState("s1", { memory: nestedPayload })
              yield* store.saveArtifact("s1", sampleArtifact("report"))
              yield* store.saveCheckpoint("s1", sampleCheckpoint("c1", "one"))
              yield* store.saveCheckpoint("s1", sampleCheckpoint("c2", "two"))
              yield* store.saveCheckpoint("s1", sampleCheckpoint("c1", "one again"))
              yield* store.appendJournal("s1", [journalEntry("run-1", 0), journalEntry("run-1", 1)])
              yield* store.appendJournal("s1", [journalEntry("run-2", 0)])
              yield* store.setState("s2", { only: "state" })
              yield* store.appendMessages("gone", messages)
              yield* store.deleteSession("gone")
            })
          )
          const store = yield* openStore(subject.layer(dir))
          assert.deepStrictEqual([...(yield* store.listSessions)].sort(), ["s1", "s2"])
          assertRoundTrip(SessionMessage, yield* store.loadMessages("s1"), messages)
          assert.deepStrictEqual(yield* store.getState("s1"), { memory: nestedPayload })
          assert.deepStrictEqual(yield* store.getState("s2"), { only: "state" })
          assertRoundTrip(SessionArtifact, yield* store.listArtifacts("s1"), [sampleArtifact("report")])
          assertRoundTrip(SessionCheckpoint, yield* store.listCheckpoints("s1"), [
            sampleCheckpoint("c1", "one again"),
            sampleCheckpoint("c2", "two")
          ])
          assertRoundTrip(JournalEntry, yield* store.loadJournal("s1", "run-1"), [
            journalEntry("run-1", 0),
            journalEntry("run-1", 1)
          ])
          assert.deepStrictEqual(yield* store.listJournaledRuns("s1"), ["run-1", "run-2"])
          assert.deepStrictEqual(yield* store.loadMessages("gone"), [])
          // and it keeps appending after what was there
          yield* store.appendMessages("s1", [numberedMessage("run-9", 0)])
          assert.strictEqual((yield* store.loadMessages("s1")).length, 5)
        }))

      it.scoped("values that are not JSON or do not match their schema fail with SessionStoreError", () =>
        withStore((store) =>
          Effect.gen(function*() {
            const notJson = new SessionArtifact({ name: "x", payload: { n: 1n } })
            const e1 = yield* Effect.flip(store.saveArtifact("s", notJson))
            assert.instanceOf(e1, SessionStoreError)
            assert.strictEqual(e1.operation, "saveArtifact")
            const cyclic: Record<string, unknown> = {}
            cyclic["self"] = cyclic
            const e2 = yield* Effect.flip(store.setState("s", cyclic))
            assert.strictEqual(e2.operation, "setState")
            // bypasses the constructor's validation: seq must be an integer
            const bad = new JournalEntry({ runId: "r", seq: 1.5, kind: "model", payload: null, timestampMs: 0 }, true)
            const e3 = yield* Effect.flip(store.appendJournal("s", [journalEntry("r", 0), bad]))
            assert.strictEqual(e3.operation, "appendJournal")
            // nothing of a rejected batch was written
            assert.deepStrictEqual(yield* store.loadJournal("s", "r"), [])
            assert.deepStrictEqual(yield* store.listArtifacts("s"), [])
          })
        ))
    }

    forkConformance(withStore, subject.exclusiveAcquire)

    if (subject.exclusiveAcquire) {
      it.scoped("acquire holds a session until its scope closes; a second acquire waits for it", () =>
        withStore((store) =>
          Effect.gen(function*() {
            const first = yield* Scope.make()
            yield* Scope.extend(store.acquire("s"), first)

            const acquired = yield* Ref.make(false)
            const done = yield* Deferred.make<void>()
            const second = yield* Effect.fork(
              Effect.scoped(
                store.acquire("s").pipe(
                  Effect.zipRight(Ref.set(acquired, true)),
                  Effect.zipRight(Deferred.await(done))
                )
              )
            )
            // other sessions are not blocked meanwhile
            yield* Effect.scoped(store.acquire("other"))
            yield* advanceBy(2000)
            assert.isFalse(yield* Ref.get(acquired))

            yield* Scope.close(first, Exit.void)
            yield* advanceUntil(Ref.get(acquired), { step: 50 })
            yield* Deferred.succeed(done, undefined)
            yield* Fiber.join(second)

            // released again: a third acquire gets it at once
            yield* Effect.scoped(store.acquire("s"))
          })
        ))

      it.scoped("acquire fails with SessionBusy when the holder keeps the session past the timeout", () =>
        withStore((store) =>
          Effect.gen(function*() {
            yield* store.acquire("s")
            const waiter = yield* Effect.fork(Effect.scoped(store.acquire("s")))
            yield* advanceUntil(Effect.map(waiter.poll, Option.isSome), { step: 250, maxSteps: 200 })
            const exit = yield* Fiber.await(waiter)
            assert.isTrue(Exit.isFailure(exit))
            const error = yield* Effect.flip(exit)
            assert.strictEqual(error._tag, "SessionBusy")
            assert.strictEqual((error as { sessionId?: string }).sessionId, "s")
          })
        ))

      it.scoped("an interrupted waiter leaves no lock behind", () =>
        withStore((store) =>
          Effect.gen(function*() {
            const first = yield* Scope.make()
            yield* Scope.extend(store.acquire("s"), first)
            const waiter = yield* Effect.fork(Effect.scoped(Effect.zipRight(store.acquire("s"), Effect.never)))
            yield* advanceBy(300)
            yield* Fiber.interrupt(waiter)
            yield* Scope.close(first, Exit.void)
            yield* liveSleep(5)
            // nobody holds it: the next acquire succeeds without waiting
            const next = yield* Effect.fork(Effect.scoped(store.acquire("s")))
            yield* advanceUntil(Effect.map(next.poll, Option.isSome), { step: 10, maxSteps: 50 })
            assert.isTrue(Exit.isSuccess(yield* Fiber.await(next)))
          })
        ))
    } else {
      it.scoped("acquire succeeds and releases", () =>
        withStore((store) =>
          Effect.gen(function*() {
            yield* Effect.scoped(store.acquire("s"))
            yield* Effect.scoped(store.acquire("s"))
          })
        ))
    }
  })
}
