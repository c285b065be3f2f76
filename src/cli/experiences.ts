/**
 * `openagents experiences list|delete CONFIG ...`: what the config's agents learnt from feedback.
 *
 * @since 0.3.0
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { Experience } from "../memory/ExperienceStore.js"
import { configArg, formatOption } from "./internal/args.js"
import { CliExit, EXIT, printLine } from "./internal/exit.js"
import { clip } from "./internal/store.js"
import { openRuntime, placeHint, traceFailure } from "./internal/traces.js"

const list = Command.make(
  "list",
  {
    config: configArg,
    agent: Options.text("agent").pipe(Options.withDescription("Only this agent's experiences"), Options.optional),
    format: formatOption
  },
  ({ agent, config, format }) =>
    Effect.scoped(Effect.gen(function*() {
      const opened = yield* openRuntime(config)
      const all = yield* opened.runtime.listExperiences({ agentId: Option.getOrUndefined(agent) }).pipe(
        Effect.mapError(traceFailure(opened))
      )
      if (format === "json") return yield* printLine(JSON.stringify(all.map((e) => Schema.encodeSync(Experience)(e))))
      if (all.length === 0) {
        const hint = opened.inMemory ? placeHint(opened) : undefined
        return yield* printLine(`no experiences in ${opened.where}${hint ? ` (${hint})` : ""}`)
      }
      for (const e of all) {
        yield* printLine(`${e.experienceId}  ${e.scope}  confidence ${e.confidence}  ${clip(e.condition, 70)}: ${clip(e.rule, 80)}`)
      }
    }))
).pipe(Command.withDescription("List the experiences learnt from feedback, newest first"))

const del = Command.make(
  "delete",
  { config: configArg, experience: Args.text({ name: "experience-id" }).pipe(Args.withDescription("Experience id")) },
  ({ config, experience }) =>
    Effect.scoped(Effect.gen(function*() {
      const opened = yield* openRuntime(config)
      const deleted = yield* opened.runtime.deleteExperience(experience).pipe(Effect.mapError(traceFailure(opened)))
      if (!deleted) return yield* new CliExit({ code: EXIT.usage, message: `no experience '${experience}' in ${opened.where}` })
      yield* printLine(`deleted experience ${experience}`)
    }))
).pipe(Command.withDescription("Delete an experience"))

/**
 * The `experiences` command and its subcommands.
 *
 * @since 0.3.0
 * @category commands
 */
export const command = Command.make("experiences").pipe(
  Command.withDescription("List and delete the experiences a config's agents learnt from feedback"),
  Command.withSubcommands([list, del])
)
