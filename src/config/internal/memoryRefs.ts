/**
 * Builds the memories listed by a `chain` memory's config: each a builtin `type` (built through the
 * registry, so its own config is decoded and checked) or an `impl` module. Loaded by the `chain` row on
 * first use, which keeps the registry and its rows free of an import cycle.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import { ConfigError } from "../../kernel/Errors.js"
import * as Chain from "../../memory/Chain.js"
import { Memory } from "../../memory/Memory.js"
import { importImpl } from "../Plugins.js"
import * as Registry from "../Registry.js"
import type { BuildContext } from "./builtin.js"

interface Ref {
  readonly type?: string | undefined
  readonly impl?: string | undefined
  readonly config?: Readonly<Record<string, unknown>> | undefined
}

/** An impl export as a Memory Layer: a Layer, a service object, or a factory (of either) given `config`. */
const implLayer = (ref: Ref, dir: string, where: string): Layer.Layer<Memory, ConfigError> =>
  Layer.unwrapEffect(Effect.gen(function*() {
    let value = yield* importImpl(ref.impl!, dir, where)
    if (typeof value === "function" && !Layer.isLayer(value)) {
      const factory = value as (config: unknown) => unknown
      value = yield* Effect.try({
        try: () => factory(ref.config ?? {}),
        catch: (e) => ConfigError.single(`${where}.impl`, `the factory threw: ${(e as Error).message}`)
      })
    }
    if (Effect.isEffect(value)) {
      value = yield* (value as Effect.Effect<unknown, unknown>).pipe(
        Effect.mapError((e) => ConfigError.single(`${where}.impl`, `the factory failed: ${String((e as Error)?.message ?? e)}`))
      )
    }
    if (Layer.isLayer(value)) return value as Layer.Layer<Memory, ConfigError>
    if (typeof value !== "object" || value === null) {
      return yield* ConfigError.single(`${where}.impl`, `expected a Memory Layer or service object, got ${typeof value}`)
    }
    return Layer.succeed(Memory, value as Memory["Type"])
  }))

/** The Layer of one memory of a chain. */
const refLayer = (ref: Ref, dir: string, where: string): Layer.Layer<Memory, ConfigError> => {
  if ((ref.type === undefined) === (ref.impl === undefined)) {
    return Layer.fail(ConfigError.single(where, "set exactly one of 'type' or 'impl'"))
  }
  if (ref.impl !== undefined) return implLayer(ref, dir, where)
  const built = Registry.build("memory", ref.type!, ref.config, { dir, where, id: "" })
  return Either.isLeft(built) ? Layer.fail(built.left) : built.right
}

/**
 * The `chain` memory of a decoded config: its memories built in order and chained.
 *
 * @since 0.2.0
 * @category constructors
 */
export const chainLayer = (
  config: { readonly memories: ReadonlyArray<Ref> },
  context: BuildContext
): Layer.Layer<Memory, ConfigError> =>
  Chain.layer(...config.memories.map((ref, i) => refLayer(ref, context.dir, `${context.where}.config.memories[${i}]`)))
