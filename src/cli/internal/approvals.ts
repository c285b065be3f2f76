/**
 * Approvals on the command line (see docs/approvals.md): asking on a terminal while `run` waits, and
 * deciding a stopped run's call from `approve` / `reject`, which then continue the run to its end.
 *
 * @since 0.3.0
 */
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import * as readline from "node:readline"
import type { EventBus } from "../../events/EventBus.js"
import type { ApprovalError } from "../../kernel/Errors.js"
import type { AgentRuntime } from "../../runtime/AgentRuntime.js"
import { continuation } from "../../runtime/internal/approvals.js"
import { CliExit, EXIT } from "./exit.js"
import { loadRuntime, streamRun } from "./runner.js"
import * as Status from "./status.js"
import { clip, storeFailure } from "./store.js"

/**
 * Whether this process can ask a human: stdin and stderr are terminals.
 *
 * @since 0.3.0
 * @category helpers
 */
export const canAsk = (): boolean => process.stdin.isTTY === true && process.stderr.isTTY === true

/**
 * Asks on stderr/stdin about each call of run `runId` that waits for approval (approve / reject / edit
 * the editable arguments as JSON) and hands the answer to the runtime; an edit the runtime refuses is
 * explained and asked again. Listens for the rest of the scope.
 *
 * @since 0.3.0
 * @category helpers
 */
export const askOnTerminal = (runtime: AgentRuntime["Type"], bus: EventBus["Type"], runId: string) =>
  Effect.gen(function*() {
    const events = yield* bus.subscribe
    // lines are queued as they come: an answer typed ahead of its question is not lost
    const lines = yield* Queue.unbounded<string>()
    yield* Effect.acquireRelease(
      Effect.sync(() => {
        const rl = readline.createInterface({ input: process.stdin, output: process.stderr, terminal: true })
        rl.on("line", (line) => Queue.unsafeOffer(lines, line.trim()))
        return rl
      }),
      (rl) => Effect.sync(() => (rl.close(), Status.hold(false)))
    )
    const question = (text: string) => Effect.zipRight(Effect.sync(() => process.stderr.write(text)), Queue.take(lines))
    const decide = (callId: string, tool: string, args: unknown, editable: ReadonlyArray<string>): Effect.Effect<void> =>
      Effect.gen(function*() {
        Status.hold(true)
        process.stderr.write(
          `? tool '${tool}' (call ${callId}) wants to run with ${clip(JSON.stringify(args), 400)}\n` +
            (editable.length > 0 ? `  editable: ${editable.join(", ")}\n` : "")
        )
        const answer = (yield* question(`  [a]pprove, [r]eject${editable.length > 0 ? ", [e]dit" : ""}? `)).toLowerCase()
        let outcome: Effect.Effect<unknown, unknown> | undefined
        if (answer === "a" || answer === "approve" || answer === "y" || answer === "yes") {
          outcome = runtime.approve(runId, callId)
        } else if (answer === "r" || answer === "reject" || answer === "n" || answer === "no") {
          const reason = yield* question("  reason: ")
          outcome = runtime.reject(runId, callId, reason === "" ? undefined : reason)
        } else if (answer === "e" || answer === "edit") {
          const text = yield* question("  arguments to change (JSON object): ")
          let edit: unknown
          try {
            edit = JSON.parse(text)
          } catch (e) {
            process.stderr.write(`  not JSON: ${(e as Error).message}\n`)
          }
          if (typeof edit === "object" && edit !== null && !Array.isArray(edit)) {
            outcome = runtime.approve(runId, callId, { arguments: edit as Record<string, unknown> })
          } else if (edit !== undefined) process.stderr.write("  expected a JSON object\n")
        }
        const refused = outcome === undefined ? "" : yield* Effect.match(outcome, {
          onFailure: (e) => (e as { message?: string }).message ?? String(e),
          onSuccess: () => ""
        })
        if (outcome !== undefined && refused === "") return Status.hold(false)
        if (refused !== "") process.stderr.write(`  refused: ${refused}\n`)
        yield* decide(callId, tool, args, editable)
      })
    yield* Queue.take(events).pipe(
      Effect.flatMap((event) =>
        event.name === "tool.approval_requested" && event.runId === runId
          ? decide(event.payload.callId, event.payload.tool, event.payload.arguments, event.payload.editableParams)
          : Effect.void
      ),
      Effect.forever,
      Effect.forkScoped
    )
  })

/**
 * `approve` / `reject`: records the decision on a pending call of the session, then (once every waiting
 * call of its run is decided) continues the run from its journal under its own id and prints it like
 * `run`, with the exit code of its stop reason.
 *
 * @since 0.3.0
 * @category helpers
 */
export const decideAndContinue = (
  opts: {
    readonly config: string
    readonly session: string
    readonly call: string
    readonly format: "text" | "json" | "events"
    readonly noWaitApproval: boolean
  },
  decide: (runtime: AgentRuntime["Type"], runId: string) => Effect.Effect<unknown, unknown>
) =>
  Effect.scoped(
    Effect.gen(function*() {
      const { bus, runtime, store } = yield* loadRuntime(opts.config)
      const pending = yield* Effect.mapError(store.listPendingApprovals(opts.session), storeFailure)
      const found = pending.find((p) => p.callId === opts.call)
      if (found === undefined) {
        return yield* new CliExit({
          code: EXIT.usage,
          message: `no call '${opts.call}' waits for approval in session '${opts.session}'\n  hint: ${
            pending.length > 0
              ? `waiting: ${pending.map((p) => `${p.callId} (${p.tool})`).join(", ")}`
              : `nothing waits in session '${opts.session}'; \`openagents approvals list CONFIG\` lists every session's`
          }`
        })
      }
      yield* decide(runtime, found.runId).pipe(
        Effect.catchAll((e) => {
          const error = e as ApprovalError
          return Effect.fail(
            new CliExit({
              code: EXIT.usage,
              message: `error: ${error.message ?? String(e)}${error.hint ? `\n  hint: ${error.hint}` : ""}`
            })
          )
        })
      )
      const ofRun = (yield* Effect.mapError(store.listPendingApprovals(opts.session), storeFailure))
        .filter((p) => p.runId === found.runId)
      const ask = !opts.noWaitApproval && canAsk()
      const request = continuation(ofRun, ask)
      if (request === undefined) {
        const waiting = ofRun.filter((p) => p.decision === undefined).map((p) => p.callId)
        return yield* new CliExit({
          code: EXIT.awaitingApproval,
          message: `decided; run ${found.runId} goes on once ${waiting.join(", ")} ${waiting.length === 1 ? "is" : "are"} decided too`
        })
      }
      if (ask) yield* askOnTerminal(runtime, bus, found.runId)
      yield* streamRun(runtime, request, found.runId, opts.format, true, bus)
    })
  )
