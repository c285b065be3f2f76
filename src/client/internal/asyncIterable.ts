/**
 * A Stream as an AsyncIterable, driven by one fiber per iteration that pushes chunks into a buffer the
 * iterator reads: a pull is a Promise resolved by a push, not an Effect run per element (what
 * `Stream.toAsyncIterableRuntime` does). The fiber waits while the reader is `capacity` elements behind,
 * so back-pressure reaches the stream; leaving the loop early interrupts it. Private to the client.
 */
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Runtime from "effect/Runtime"
import * as Stream from "effect/Stream"

export const toAsyncIterable = <A, E>(
  stream: Stream.Stream<A, E>,
  runtime: Runtime.Runtime<never>,
  options: { readonly capacity: number; readonly onError: (cause: Cause.Cause<E>) => unknown }
): AsyncIterable<A> => ({
  [Symbol.asyncIterator]() {
    let buffer: Array<A> = []
    let read = 0
    let exit: Exit.Exit<void, E> | undefined
    let readerWaits: (() => void) | undefined
    let writerWaits: (() => void) | undefined
    const wakeReader = () => {
      const w = readerWaits
      readerWaits = undefined
      w?.()
    }
    const room: Effect.Effect<void> = Effect.async<void>((resume) => {
      if (buffer.length - read < options.capacity) return resume(Effect.void)
      writerWaits = () => resume(Effect.void)
    })
    const fiber = Runtime.runFork(runtime)(
      Stream.runForEachChunk(stream, (chunk) =>
        Effect.suspend(() => {
          for (const a of Chunk.toReadonlyArray(chunk)) buffer.push(a)
          wakeReader()
          return buffer.length - read < options.capacity ? Effect.void : room
        })).pipe(
          Effect.onExit((e) =>
            Effect.sync(() => {
              exit = e as Exit.Exit<void, E>
              wakeReader()
            })
          )
        )
    )
    const take = (): IteratorResult<A> | undefined => {
      if (read < buffer.length) {
        const value = buffer[read++]!
        if (read === buffer.length) {
          buffer = []
          read = 0
        }
        const w = writerWaits
        writerWaits = undefined
        w?.()
        return { value, done: false }
      }
      return undefined
    }
    return {
      next: async (): Promise<IteratorResult<A>> => {
        while (true) {
          const item = take()
          if (item) return item
          if (exit !== undefined) {
            if (Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause)) throw options.onError(exit.cause)
            return { value: undefined, done: true }
          }
          await new Promise<void>((resolve) => {
            readerWaits = resolve
          })
        }
      },
      return: async (): Promise<IteratorResult<A>> => {
        // leaving the loop early: the stream's own finalizers run (runStream cancels the run)
        await Runtime.runPromise(runtime)(Fiber.interrupt(fiber))
        return { value: undefined, done: true }
      }
    }
  }
})
