/**
 * `openagents validate CONFIG`: checks a config and lists every problem with its JSON path.
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import { printLine } from "./exit.js"
import * as Effect from "effect/Effect"
import * as ConfigLoader from "../config/ConfigLoader.js"
import * as Plugins from "../config/Plugins.js"
import { configFailure } from "./run.js"

export const command = Command.make(
  "validate",
  { config: Args.text({ name: "config" }).pipe(Args.withDescription("Path to an agent.json file")) },
  ({ config }) =>
    Effect.gen(function*() {
      const loaded = yield* ConfigLoader.loadFile(config).pipe(Effect.mapError(configFailure))
      // builds tools and imports impl modules too, so a broken plugin reference is found here
      const built = yield* Plugins.fromConfig(loaded).pipe(Effect.mapError(configFailure))
      const tools = built.agents.reduce((n, a) => n + (a.tools?.length ?? 0), 0)
      yield* printLine(
        `OK: ${loaded.path} is valid (${built.agents.length} agent${built.agents.length === 1 ? "" : "s"}, ${tools} tool${tools === 1 ? "" : "s"})`
      )
    })
).pipe(Command.withDescription("Check an agent.json file; exit 2 with every problem listed"))
