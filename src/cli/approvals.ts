/**
 * `openagents approvals list CONFIG [--session ID]`: the tool calls waiting for a human in the config's
 * session store (see docs/approvals.md).
 *
 * @since 0.3.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { PendingApproval } from "../kernel/Approval.js"
import { configArg, formatOption } from "./internal/args.js"
import { printLine } from "./internal/exit.js"
import { clip, openStore, storeFailure } from "./internal/store.js"

const list = Command.make(
  "list",
  {
    config: configArg,
    session: Options.text("session").pipe(Options.withDescription("Only this session's calls"), Options.optional),
    format: formatOption
  },
  ({ config, format, session }) =>
    Effect.scoped(
      Effect.gen(function*() {
        const opened = yield* openStore(config)
        const pending = yield* Effect.mapError(opened.store.listPendingApprovals(Option.getOrUndefined(session)), storeFailure)
        if (format === "json") {
          return yield* printLine(JSON.stringify(Schema.encodeSync(Schema.Array(PendingApproval))(pending)))
        }
        if (pending.length === 0) return yield* printLine(`no tool calls wait for approval in ${opened.where}`)
        for (const p of pending) {
          const state = p.decision ? ` [${p.decision.decision}d, the run has not gone on yet]` : ""
          yield* printLine(
            `${p.sessionId}  run ${p.runId}  call ${p.callId}  ${p.tool} ${clip(JSON.stringify(p.arguments), 200)}` +
              (p.editableParams.length > 0 ? `  (editable: ${p.editableParams.join(", ")})` : "") + state
          )
        }
      })
    )
).pipe(Command.withDescription("List the tool calls waiting for approval (all sessions, or --session)"))

/**
 * The `approvals` command and its subcommands.
 *
 * @since 0.3.0
 * @category commands
 */
export const command = Command.make("approvals").pipe(
  Command.withDescription("Tool calls waiting for a human's approval"),
  Command.withSubcommands([list])
)
