/**
 * The in-memory store's own guarantees about memory, beyond the conformance suite: reading never creates
 * a session, and a deleted session is dropped whole, so that nothing of it stays reachable.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as v8 from "node:v8"
import * as vm from "node:vm"
import * as InMemorySessionStore from "../../src/sessions/InMemorySessionStore.js"
import type { SessionStore } from "../../src/sessions/SessionStore.js"
import { journalEntry, numberedMessage, sampleArtifact, sampleCheckpoint } from "../support/sessions-fixtures.js"

/** A full collection, without starting node with --expose-gc. */
const collect: () => void = (() => {
  v8.setFlagsFromString("--expose-gc")
  return vm.runInNewContext("gc") as () => void
})()

/** Lets the current job end (WeakRefs targets are kept alive until it does), then collects. */
const collectGarbage = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve))).pipe(
  Effect.tap(() => Effect.sync(collect))
)

/** Writes every part of a session and returns weak references to what was written. */
const fill = (store: SessionStore["Type"], id: string) =>
  Effect.gen(function*() {
    const message = numberedMessage(`run-${id}`, 0)
    const state = { turns: [{ input: "a large input".repeat(10) }] }
    const artifact = sampleArtifact(id)
    const checkpoint = sampleCheckpoint(`${id}:step:0`, id)
    const entry = journalEntry(`run-${id}`, 0)
    yield* store.appendMessages(id, [message])
    yield* store.setState(id, state)
    yield* store.saveArtifact(id, artifact)
    yield* store.saveCheckpoint(id, checkpoint)
    yield* store.appendJournal(id, [entry])
    return [message, artifact, checkpoint, entry].map((o) => new WeakRef(o))
  })

describe("InMemorySessionStore", () => {
  it.effect("reading a session that does not exist does not create it", () =>
    Effect.gen(function*() {
      const store = yield* InMemorySessionStore.make
      yield* store.loadMessages("ghost")
      yield* store.getState("ghost")
      yield* store.listArtifacts("ghost")
      yield* store.listCheckpoints("ghost")
      assert.isTrue(Option.isNone(yield* store.loadCheckpoint("ghost", "c")))
      yield* store.loadJournal("ghost", "r")
      yield* store.listJournaledRuns("ghost")
      yield* Effect.scoped(store.acquire("ghost"))
      yield* store.deleteSession("ghost")
      assert.deepStrictEqual(yield* store.listSessions, [])
    }))

  it.effect("a session with only some parts written reads the others as empty", () =>
    Effect.gen(function*() {
      const store = yield* InMemorySessionStore.make
      yield* store.setState("s", { k: 1 })
      assert.deepStrictEqual(yield* store.listSessions, ["s"])
      assert.deepStrictEqual(yield* store.loadMessages("s"), [])
      assert.deepStrictEqual(yield* store.listArtifacts("s"), [])
      assert.deepStrictEqual(yield* store.listCheckpoints("s"), [])
      assert.deepStrictEqual(yield* store.listJournaledRuns("s"), [])
      assert.deepStrictEqual(yield* store.getState("s"), { k: 1 })
    }))

  it.effect("what a caller gets or gives is a copy: changing it does not change the store", () =>
    Effect.gen(function*() {
      const store = yield* InMemorySessionStore.make
      const state = { list: [1] }
      yield* store.setState("s", state)
      state.list.push(2)
      const read = (yield* store.getState("s")) as { list: Array<number> }
      read.list.push(3)
      assert.deepStrictEqual(yield* store.getState("s"), { list: [1] })
      yield* store.appendMessages("s", [numberedMessage("r", 0)])
      const messages = (yield* store.loadMessages("s")) as Array<unknown>
      messages.length = 0
      assert.strictEqual((yield* store.loadMessages("s")).length, 1)
    }))

  it.effect("a deleted session is dropped whole: nothing written to it stays reachable", () =>
    Effect.gen(function*() {
      const store = yield* InMemorySessionStore.make
      const dropped = yield* fill(store, "drop")
      const kept = yield* fill(store, "keep")
      yield* store.deleteSession("drop")
      yield* collectGarbage
      assert.deepStrictEqual(dropped.map((r) => r.deref() === undefined), [true, true, true, true])
      // the control: what the store still holds is still there, so the check above means something
      assert.deepStrictEqual(kept.map((r) => r.deref() !== undefined), [true, true, true, true])
      assert.deepStrictEqual(yield* store.listSessions, ["keep"])
    }))

  it.effect("many sessions written and deleted leave no session behind", () =>
    Effect.gen(function*() {
      const store = yield* InMemorySessionStore.make
      for (let i = 0; i < 1000; i++) {
        yield* fill(store, `s${i}`)
        if (i >= 10) yield* store.deleteSession(`s${i - 10}`)
      }
      assert.strictEqual((yield* store.listSessions).length, 10)
      for (let i = 990; i < 1000; i++) yield* store.deleteSession(`s${i}`)
      assert.deepStrictEqual(yield* store.listSessions, [])
    }))
})
