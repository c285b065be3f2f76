/**
 * `window_buffer` memory: the last `windowSize` turns of the session, injected as user/assistant
 * message pairs.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { Message } from "../kernel/Transcript.js"
import { Memory, type Turn } from "./Memory.js"

/**
 * Options of the window buffer.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** How many turns to keep (default 20). */
  readonly windowSize?: number
  /** The session state key holding the turns (default `memory_buffer`). */
  readonly stateKey?: string
}

const isTurn = (u: unknown): u is Turn =>
  typeof u === "object" && u !== null && typeof (u as Turn).input === "string" && typeof (u as Turn).output === "string"

/**
 * Builds a window buffer memory.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: Options): Memory["Type"] => {
  const windowSize = options?.windowSize ?? 20
  const stateKey = options?.stateKey ?? "memory_buffer"
  const turns = (state: Readonly<Record<string, unknown>>): ReadonlyArray<Turn> => {
    const raw = state[stateKey]
    return Array.isArray(raw) ? raw.filter(isTurn) : []
  }
  return Memory.of({
    inject: (state) =>
      Effect.sync(() =>
        turns(state)
          .slice(-windowSize)
          .flatMap((t): Array<Message> => [
            { _tag: "user", content: t.input },
            { _tag: "assistant", content: [{ _tag: "text", text: t.output }] }
          ])
      ),
    writeback: (state, turn) =>
      Effect.sync(() => ({
        ...state,
        // a resumed run may write back again: its turn replaces the one it wrote before
        [stateKey]: [
          ...turns(state).filter((t) => t.runId !== turn.runId),
          { runId: turn.runId, input: turn.input, output: turn.output, stopReason: turn.stopReason }
        ].slice(-windowSize)
      }))
  })
}

/**
 * The window buffer as a Layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: Options): Layer.Layer<Memory> => Layer.succeed(Memory, make(options))
