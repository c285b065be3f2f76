/**
 * `experiences` memory: the experiences of the agent (scope `agent:<agent id>`) most relevant to the
 * run's task, injected into the system prompt under a heading, with the session's history kept by a
 * window buffer (or by the memory given as `history`, or none).
 *
 * @since 0.3.0
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type { Message } from "../kernel/Transcript.js"
import { type Experience, ExperienceStore, makeInMemory } from "./ExperienceStore.js"
import { Memory } from "./Memory.js"
import * as WindowBuffer from "./WindowBuffer.js"

/**
 * Options of the experiences memory.
 *
 * @since 0.3.0
 * @category models
 */
export interface Options {
  /** How many experiences to inject at most (default 5). */
  readonly topK?: number | undefined
  /** The heading of the system prompt's section (default `Relevant experiences`). */
  readonly heading?: string | undefined
  /** The memory keeping the session's history: a window buffer by default, `false` for none. */
  readonly history?: Memory["Type"] | false | undefined
}

/**
 * The scope of an agent's experiences.
 *
 * @since 0.3.0
 * @category utils
 */
export const scopeOf = (agentId: string): string => `agent:${agentId}`

/**
 * An experience as a line of the system prompt.
 *
 * @since 0.3.0
 * @category utils
 */
export const promptLine = (e: Pick<Experience, "condition" | "rule">): string => `- ${e.condition}: ${e.rule}`

/**
 * Builds the memory on a store.
 *
 * @since 0.3.0
 * @category constructors
 */
export const make = (store: ExperienceStore["Type"], options?: Options): Memory["Type"] => {
  const topK = options?.topK ?? 5
  const heading = options?.heading ?? "Relevant experiences"
  const history = options?.history === false ? undefined : options?.history ?? WindowBuffer.make()
  return Memory.of({
    inject: (state, run) =>
      Effect.gen(function*() {
        const earlier = history ? yield* history.inject(state, run) : []
        if (run === undefined || topK <= 0) return earlier
        const found = yield* store.search({
          scope: scopeOf(run.agentId),
          query: run.input,
          limit: topK,
          nowMs: yield* Clock.currentTimeMillis
        }).pipe(Effect.orDie)
        if (found.length === 0) return earlier
        const section: Message = { _tag: "system", content: `## ${heading}\n${found.map(promptLine).join("\n")}` }
        return [section, ...earlier]
      }),
    writeback: (state, turn) => (history ? history.writeback(state, turn) : Effect.succeed(state))
  })
}

/**
 * The memory as a Layer on the `ExperienceStore` of the runtime's context (a store of its own in memory
 * when there is none).
 *
 * @since 0.3.0
 * @category layers
 */
export const layer = (options?: Options): Layer.Layer<Memory> =>
  Layer.effect(
    Memory,
    Effect.flatMap(Effect.serviceOption(ExperienceStore), (store) =>
      Effect.map(Option.isSome(store) ? Effect.succeed(store.value) : makeInMemory, (s) => make(s, options)))
  )
