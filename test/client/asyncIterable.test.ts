import { assert, describe, it } from "@effect/vitest"
import { Effect, Runtime, Stream } from "effect"
import { toAsyncIterable } from "../../src/client/internal/asyncIterable.js"

const runtime = Runtime.defaultRuntime
const collect = async <A>(iterable: AsyncIterable<A>, pause = 0) => {
  const seen: Array<A> = []
  for await (const a of iterable) {
    seen.push(a)
    if (pause > 0) await new Promise((r) => setTimeout(r, pause))
  }
  return seen
}

describe("the Promise client's async iterable", () => {
  it("yields every element in order, across chunks, and ends", async () => {
    const stream = Stream.range(1, 1000).pipe(Stream.rechunk(7))
    const seen = await collect(toAsyncIterable(stream, runtime, { capacity: 2000, onError: String }))
    assert.deepStrictEqual(seen, Array.from({ length: 1000 }, (_, i) => i + 1))
  })

  it("a reader slower than the stream holds it at `capacity` elements ahead, and still gets everything", async () => {
    let produced = 0
    let maxAhead = 0
    let consumed = 0
    const stream = Stream.range(1, 200).pipe(Stream.tap(() => Effect.sync(() => void produced++)))
    for await (const _ of toAsyncIterable(stream, runtime, { capacity: 10, onError: String })) {
      consumed++
      maxAhead = Math.max(maxAhead, produced - consumed)
      await new Promise((r) => setImmediate(r))
    }
    assert.strictEqual(consumed, 200)
    assert.isAtMost(maxAhead, 10 + 1)
  })

  it("a failing stream rejects with the error onError makes of its cause", async () => {
    const stream = Stream.concat(Stream.make(1, 2), Stream.fail("boom"))
    const seen: Array<number> = []
    const error = await (async () => {
      try {
        for await (const a of toAsyncIterable(stream, runtime, { capacity: 10, onError: (c) => new Error(`failed: ${String(c._tag)}`) })) seen.push(a)
      } catch (e) {
        return e as Error
      }
      return undefined
    })()
    assert.deepStrictEqual(seen, [1, 2])
    assert.strictEqual(error?.message, "failed: Fail")
  })

  it("leaving the loop early interrupts the stream, which runs its finalizers", async () => {
    let finalized = false
    const stream = Stream.concat(Stream.make(1, 2, 3), Stream.never).pipe(Stream.ensuring(Effect.sync(() => void (finalized = true))))
    for await (const a of toAsyncIterable(stream, runtime, { capacity: 10, onError: String })) {
      if (a === 2) break
    }
    assert.isTrue(finalized)
  })
})
