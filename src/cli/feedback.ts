/**
 * `openagents feedback CONFIG TRACE_ID STEP_ID --type positive|negative|correction --content TEXT`:
 * feedback on a step of a trace; positive and correction feedback become an experience of the agent.
 *
 * @since 0.3.0
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import { configArg } from "./internal/args.js"
import { printLine } from "./internal/exit.js"
import { openRuntime, traceFailure } from "./internal/traces.js"

/**
 * The `feedback` command.
 *
 * @since 0.3.0
 * @category commands
 */
export const command = Command.make(
  "feedback",
  {
    config: configArg,
    trace: Args.text({ name: "trace-id" }).pipe(Args.withDescription("Trace id (the run id)")),
    step: Args.text({ name: "step-id" }).pipe(Args.withDescription("The step the feedback is about")),
    type: Options.choice("type", ["positive", "negative", "correction"]).pipe(
      Options.withDescription("positive and correction feedback become an experience; negative is recorded only")
    ),
    content: Options.text("content").pipe(Options.withDescription("The feedback (for a correction: what to do instead)"))
  },
  ({ config, content, step, trace, type }) =>
    Effect.scoped(Effect.gen(function*() {
      const opened = yield* openRuntime(config)
      const made = yield* opened.runtime.addFeedback({ traceId: trace, stepId: step, type, content }).pipe(
        Effect.mapError(traceFailure(opened))
      )
      yield* printLine(`feedback step ${made.feedbackStepId}`)
      if (made.experienceId !== undefined) yield* printLine(`experience ${made.experienceId}`)
    }))
).pipe(Command.withDescription("Give feedback on a step of a trace; prints the experience id when one was made"))
