/**
 * `openagents validate CONFIG`: checks a config and lists every problem with its JSON path.
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ConfigLoader from "../config/ConfigLoader.js"
import * as Plugins from "../config/Plugins.js"
import { ConfigError } from "../kernel/Errors.js"
import { configFailure } from "./internal/configErrors.js"
import { printLine } from "./internal/exit.js"

const buildSeam = <A>(layer: Layer.Layer<A, unknown> | undefined, where: string) =>
  layer
    ? Effect.scoped(Layer.build(layer)).pipe(
      Effect.asVoid,
      Effect.mapError((e) => configFailure(e instanceof ConfigError ? e : ConfigError.single(where, `could not be built: ${String(e)}`)))
    )
    : Effect.void

export const command = Command.make(
  "validate",
  { config: Args.text({ name: "config" }).pipe(Args.withDescription("Path to an agent.json file")) },
  ({ config }) =>
    Effect.gen(function*() {
      const loaded = yield* ConfigLoader.loadFile(config).pipe(Effect.mapError(configFailure))
      // builds the tools and every seam but the model and the stores (which need secrets or create files),
      // so a broken `impl` reference is found here rather than at the first run
      const built = yield* Plugins.fromConfig(loaded).pipe(Effect.mapError(configFailure))
      for (const [i, agent] of built.agents.entries()) {
        yield* buildSeam(agent.pattern, `agents[${i}].pattern`)
        yield* buildSeam(agent.memory, `agents[${i}].memory`)
        yield* buildSeam(agent.contextAssembler, `agents[${i}].context_assembler`)
        yield* buildSeam(agent.toolExecutor, `agents[${i}].tool_executor`)
      }
      const tools = built.agents.reduce((n, a) => n + (a.tools?.length ?? 0), 0)
      yield* printLine(
        `OK: ${loaded.path} is valid (${built.agents.length} agent${built.agents.length === 1 ? "" : "s"}, ${tools} tool${tools === 1 ? "" : "s"})`
      )
    })
).pipe(Command.withDescription("Check an agent.json file; exit 2 with every problem listed"))
