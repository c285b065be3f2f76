/**
 * The `forkSession` part of the conformance suite (registered by `conformance` in sessions-conformance.ts,
 * inside each store's describe-block).
 */
import { assert, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import { PendingApproval } from "../../src/kernel/Approval.js"
import { SessionStoreError } from "../../src/kernel/Errors.js"
import { SessionCheckpoint, SessionMessage } from "../../src/kernel/Session.js"
import type { SessionStore } from "../../src/sessions/SessionStore.js"
import { journalEntry, nestedPayload, numberedMessage, sampleArtifact, trickyText } from "./sessions-fixtures.js"

type WithStore = <A, E>(
  body: (store: SessionStore["Type"], dir: string) => Effect.Effect<A, E, Scope.Scope>
) => Effect.Effect<A, unknown, Scope.Scope>

const checkpointAt = (checkpointId: string, transcriptLength: number, artifactCount: number, state: object) =>
  new SessionCheckpoint({ checkpointId, state: { ...state }, transcriptLength, artifactCount, createdAtMs: transcriptLength })

const approval = (sessionId: string) =>
  new PendingApproval({
    sessionId,
    runId: "run-1",
    agentId: "a",
    callId: "call-1",
    tool: "write_file",
    arguments: {},
    editableParams: [],
    checkpointId: "c1",
    inputText: "go",
    durable: false,
    requestedAtMs: 1
  })

/** A source session of 6 messages, 3 artifacts, 3 checkpoints, a journal, an approval. */
const fillSource = (store: SessionStore["Type"], id: string) =>
  Effect.gen(function*() {
    const messages = Array.from({ length: 6 }, (_, i) => numberedMessage("run-1", i))
    yield* store.appendMessages(id, messages.slice(0, 2))
    yield* store.saveArtifact(id, sampleArtifact("a0"))
    yield* store.saveCheckpoint(id, checkpointAt("c1", 2, 1, { step: 1 }))
    yield* store.appendMessages(id, messages.slice(2, 4))
    yield* store.saveArtifact(id, sampleArtifact("a1", true))
    yield* store.appendJournal(id, [journalEntry("run-1", 0)], checkpointAt("c2", 4, 2, { step: 2, nested: nestedPayload }))
    yield* store.appendMessages(id, messages.slice(4))
    yield* store.saveArtifact(id, sampleArtifact("a2"))
    yield* store.saveCheckpoint(id, checkpointAt("c3", 6, 3, { step: 3 }))
    yield* store.setState(id, { now: [trickyText], nested: nestedPayload })
    yield* store.savePendingApproval(id, approval(id))
    return messages
  })

const encodeMessages = (messages: ReadonlyArray<SessionMessage>) =>
  messages.map((m) => [m.runId, m.timestampMs, m.message._tag])

/** Registers the fork tests of one store. */
export const forkConformance = (withStore: WithStore, exclusiveAcquire: boolean): void => {
  it.scoped("forkSession copies messages, state, artifacts and checkpoints; never the journal or approvals", () =>
    withStore((store) =>
      Effect.gen(function*() {
        const messages = yield* fillSource(store, "src")
        yield* store.forkSession("src", "dst")
        assert.deepStrictEqual(encodeMessages(yield* store.loadMessages("dst")), encodeMessages(messages))
        assert.deepStrictEqual(yield* store.loadMessages("dst"), yield* store.loadMessages("src"))
        assert.deepStrictEqual(yield* store.getState("dst"), { now: [trickyText], nested: nestedPayload })
        assert.deepStrictEqual((yield* store.listArtifacts("dst")).map((a) => a.name), ["a0", "a1", "a2"])
        assert.deepStrictEqual(yield* store.listArtifacts("dst"), yield* store.listArtifacts("src"))
        assert.deepStrictEqual(yield* store.listCheckpoints("dst"), yield* store.listCheckpoints("src"))
        assert.deepStrictEqual(
          Option.getOrThrow(yield* store.loadCheckpoint("dst", "c2")),
          checkpointAt("c2", 4, 2, { step: 2, nested: nestedPayload })
        )
        assert.deepStrictEqual(yield* store.listJournaledRuns("dst"), [])
        assert.deepStrictEqual(yield* store.loadJournal("dst", "run-1"), [])
        assert.deepStrictEqual(yield* store.listPendingApprovals("dst"), [])
        assert.deepStrictEqual([...(yield* store.listSessions)].sort(), ["dst", "src"])
        // the source is untouched
        assert.strictEqual((yield* store.loadMessages("src")).length, 6)
        assert.deepStrictEqual(yield* store.listJournaledRuns("src"), ["run-1"])
        assert.strictEqual((yield* store.listPendingApprovals("src")).length, 1)
      })
    ))

  it.scoped("forkSession at a checkpoint keeps the history that checkpoint recorded", () =>
    withStore((store) =>
      Effect.gen(function*() {
        const messages = yield* fillSource(store, "src")
        yield* store.forkSession("src", "at-c2", { atCheckpoint: "c2" })
        assert.deepStrictEqual(encodeMessages(yield* store.loadMessages("at-c2")), encodeMessages(messages.slice(0, 4)))
        // checkpoints do not version the state: the fork has the source's current one
        assert.deepStrictEqual(yield* store.getState("at-c2"), { now: [trickyText], nested: nestedPayload })
        assert.deepStrictEqual((yield* store.listArtifacts("at-c2")).map((a) => a.name), ["a0", "a1"])
        assert.deepStrictEqual((yield* store.listCheckpoints("at-c2")).map((c) => c.checkpointId), ["c1", "c2"])
        assert.isTrue(Option.isNone(yield* store.loadCheckpoint("at-c2", "c3")))

        yield* store.forkSession("src", "at-c1", { atCheckpoint: "c1" })
        assert.strictEqual((yield* store.loadMessages("at-c1")).length, 2)
        assert.deepStrictEqual((yield* store.listArtifacts("at-c1")).map((a) => a.name), ["a0"])
        assert.deepStrictEqual((yield* store.listCheckpoints("at-c1")).map((c) => c.checkpointId), ["c1"])

        // the last checkpoint keeps everything it recorded
        yield* store.forkSession("src", "at-c3", { atCheckpoint: "c3" })
        assert.strictEqual((yield* store.loadMessages("at-c3")).length, 6)
        assert.strictEqual((yield* store.listArtifacts("at-c3")).length, 3)
        assert.strictEqual((yield* store.listCheckpoints("at-c3")).length, 3)
        // and a fork of a fork
        yield* store.forkSession("at-c2", "at-c2-c1", { atCheckpoint: "c1" })
        assert.strictEqual((yield* store.loadMessages("at-c2-c1")).length, 2)
      })
    ))

  it.scoped("a fork shares nothing with its source: later writes to either never show in the other", () =>
    withStore((store) =>
      Effect.gen(function*() {
        yield* fillSource(store, "src")
        yield* store.forkSession("src", "dst")
        const state = yield* store.getState("dst")
        ;((state["nested"] as Record<string, unknown>)["list"] as Array<unknown>).push("mutated")
        yield* store.appendMessages("src", [numberedMessage("later-src", 0)])
        yield* store.setState("src", { src: true })
        yield* store.saveArtifact("src", sampleArtifact("src-only"))
        yield* store.saveCheckpoint("src", checkpointAt("c2", 99, 99, { replaced: true }))
        yield* store.appendMessages("dst", [numberedMessage("later-dst", 0), numberedMessage("later-dst", 1)])
        yield* store.setState("dst", { dst: true })
        yield* store.saveCheckpoint("dst", checkpointAt("c1", 42, 0, { replaced: "dst" }))

        assert.deepStrictEqual((yield* store.loadMessages("src")).map((m) => m.runId).slice(5), ["run-1", "later-src"])
        assert.deepStrictEqual((yield* store.loadMessages("dst")).map((m) => m.runId).slice(5), [
          "run-1",
          "later-dst",
          "later-dst"
        ])
        assert.deepStrictEqual(yield* store.getState("src"), { src: true })
        assert.deepStrictEqual(yield* store.getState("dst"), { dst: true })
        assert.strictEqual((yield* store.listArtifacts("src")).length, 4)
        assert.strictEqual((yield* store.listArtifacts("dst")).length, 3)
        assert.strictEqual(Option.getOrThrow(yield* store.loadCheckpoint("src", "c2")).transcriptLength, 99)
        assert.strictEqual(Option.getOrThrow(yield* store.loadCheckpoint("dst", "c2")).transcriptLength, 4)
        assert.strictEqual(Option.getOrThrow(yield* store.loadCheckpoint("src", "c1")).transcriptLength, 2)
        assert.strictEqual(Option.getOrThrow(yield* store.loadCheckpoint("dst", "c1")).transcriptLength, 42)

        // deleting the source leaves the fork whole
        yield* store.deleteSession("src")
        assert.strictEqual((yield* store.loadMessages("dst")).length, 8)
        assert.strictEqual((yield* store.listCheckpoints("dst")).length, 3)
      })
    ))

  it.scoped("forkSession refuses a target with history and an unknown checkpoint, naming them, and writes nothing", () =>
    withStore((store) =>
      Effect.gen(function*() {
        yield* fillSource(store, "src")
        yield* store.appendMessages("taken", [numberedMessage("mine", 0)])
        const e1 = yield* Effect.flip(store.forkSession("src", "taken"))
        assert.instanceOf(e1, SessionStoreError)
        assert.strictEqual(e1.operation, "forkSession")
        assert.strictEqual(e1.sessionId, "taken")
        assert.include(e1.message, "'taken'")
        assert.deepStrictEqual((yield* store.loadMessages("taken")).map((m) => m.runId), ["mine"])

        // a checkpoint alone is history too; state alone is not (the fork replaces it)
        yield* store.saveCheckpoint("has-checkpoint", checkpointAt("x", 0, 0, {}))
        assert.include((yield* Effect.flip(store.forkSession("src", "has-checkpoint"))).message, "'has-checkpoint'")
        yield* store.setState("state-only", { old: true })
        yield* store.forkSession("src", "state-only", { atCheckpoint: "c1" })
        assert.deepStrictEqual(yield* store.getState("state-only"), { now: [trickyText], nested: nestedPayload })

        const e2 = yield* Effect.flip(store.forkSession("src", "fresh", { atCheckpoint: "nope" }))
        assert.instanceOf(e2, SessionStoreError)
        assert.strictEqual(e2.operation, "forkSession")
        assert.include(e2.message, "'nope'")
        assert.include(e2.message, "'src'")
        assert.deepStrictEqual(yield* store.loadMessages("fresh"), [])
        assert.deepStrictEqual(yield* store.getState("fresh"), {})
        assert.isFalse((yield* store.listSessions).includes("fresh"))
        // a checkpoint of an unknown source is unknown too
        assert.include((yield* Effect.flip(store.forkSession("ghost", "fresh", { atCheckpoint: "c1" }))).message, "'c1'")
      })
    ))

  it.scoped("forking an unknown or empty source gives an empty target", () =>
    withStore((store) =>
      Effect.gen(function*() {
        yield* store.forkSession("ghost", "dst")
        assert.deepStrictEqual(yield* store.loadMessages("dst"), [])
        assert.deepStrictEqual(yield* store.getState("dst"), {})
        assert.deepStrictEqual(yield* store.listArtifacts("dst"), [])
        assert.deepStrictEqual(yield* store.listCheckpoints("dst"), [])
        assert.isFalse((yield* store.listSessions).includes("ghost"))
        // the target's own state is replaced by the source's, even an empty one
        yield* store.setState("had-state", { old: true })
        yield* store.forkSession("ghost", "had-state")
        assert.deepStrictEqual(yield* store.getState("had-state"), {})
        // still empty, so it can be forked into again
        yield* store.appendMessages("src", [numberedMessage("r", 0)])
        yield* store.forkSession("src", "dst")
        assert.strictEqual((yield* store.loadMessages("dst")).length, 1)
      })
    ))

  if (exclusiveAcquire) {
    it.scoped("a fork does not copy the source's lease", () =>
      withStore((store) =>
        Effect.gen(function*() {
          yield* fillSource(store, "src")
          yield* store.acquire("src")
          yield* store.forkSession("src", "dst")
          // the source is still held by this scope; the fork is free at once
          yield* Effect.scoped(store.acquire("dst"))
        })
      ))
  }
}
