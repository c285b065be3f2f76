/**
 * `openagents traces list|show CONFIG ...`: the traces a config's runtime recorded.
 *
 * @since 0.3.0
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { Trace } from "../traces/TraceStore.js"
import { configArg, formatOption } from "./internal/args.js"
import { printLine } from "./internal/exit.js"
import { openRuntime, placeHint, traceFailure, traceJson, traceLine, traceTree } from "./internal/traces.js"

const agentFilter = Options.text("agent").pipe(Options.withDescription("Only the traces of this agent"), Options.optional)
const sessionFilter = Options.text("session").pipe(Options.withDescription("Only the traces of this session"), Options.optional)

const list = Command.make(
  "list",
  { config: configArg, agent: agentFilter, session: sessionFilter, format: formatOption },
  ({ agent, config, format, session }) =>
    Effect.scoped(Effect.gen(function*() {
      const opened = yield* openRuntime(config)
      const traces = yield* opened.runtime.listTraces({
        agentId: Option.getOrUndefined(agent),
        sessionId: Option.getOrUndefined(session)
      }).pipe(Effect.mapError(traceFailure(opened)))
      if (format === "json") return yield* printLine(JSON.stringify(traces.map((t) => Schema.encodeSync(Trace)(t))))
      if (traces.length === 0) {
        const hint = placeHint(opened)
        return yield* printLine(`no traces in ${opened.where}${hint ? ` (${hint})` : ""}`)
      }
      for (const t of traces) yield* printLine(traceLine(t))
    }))
).pipe(Command.withDescription("List the traces of a config's runs, newest first"))

const show = Command.make(
  "show",
  { config: configArg, trace: Args.text({ name: "trace-id" }).pipe(Args.withDescription("Trace id (the run id)")), format: formatOption },
  ({ config, format, trace }) =>
    Effect.scoped(Effect.gen(function*() {
      const opened = yield* openRuntime(config)
      const found = yield* opened.runtime.getTrace(trace).pipe(Effect.mapError(traceFailure(opened)))
      yield* printLine(format === "json" ? JSON.stringify(traceJson(found)) : traceTree(found))
    }))
).pipe(Command.withDescription("Show a trace: its steps as a tree (type, tool, tokens, cost), or as JSON"))

/**
 * The `traces` command and its subcommands.
 *
 * @since 0.3.0
 * @category commands
 */
export const command = Command.make("traces").pipe(
  Command.withDescription("List and show the traces of a config's runs"),
  Command.withSubcommands([list, show])
)
