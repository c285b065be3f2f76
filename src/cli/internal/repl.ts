/**
 * The read-eval-print loop of `chat` and `dev`: one agent, one session, a turn per line, the answer
 * streamed as it comes. On a terminal it has a prompt, a banner and the live status line; with stdin
 * or stdout not a terminal it reads one message per line and writes the answers only (no prompt, no
 * ANSI codes), so `printf 'hi\nagain\n' | openagents chat agent.json` is a script.
 *
 * Ctrl-C cancels the run in flight (it ends `cancelled`, the loop goes on); at the prompt, a first
 * Ctrl-C says how to leave and a second one leaves, as `/exit` and the end of stdin do.
 *
 * @since 0.2.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Runtime from "effect/Runtime"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as readline from "node:readline"
import * as Plugins from "../../config/Plugins.js"
import { EventBus } from "../../events/EventBus.js"
import { closest } from "../../internal/suggest.js"
import type { RunResult } from "../../kernel/Run.js"
import { AgentRuntime } from "../../runtime/AgentRuntime.js"
import { SessionStore } from "../../sessions/SessionStore.js"
import { configFailure, formatConfigError } from "./configErrors.js"
import { CliExit, EXIT, write } from "./exit.js"
import { chooseAgent, describeError } from "./runner.js"
import * as Status from "./status.js"
import { formatMessage } from "./store.js"
import { colorAllowed } from "./terminal.js"

/**
 * What runs beside the loop (the watcher of `dev`) gets: the runtime, and a way to print a line on
 * stderr that does not break the prompt.
 *
 * @since 0.2.0
 * @category models
 */
export interface ReplContext {
  readonly runtime: AgentRuntime["Type"]
  readonly bus: EventBus["Type"]
  readonly notice: (text: string) => void
}

/**
 * Options of the loop.
 *
 * @since 0.2.0
 * @category models
 */
export interface ReplOptions {
  readonly config: string
  readonly agent: Option.Option<string>
  readonly session: Option.Option<string>
  /** The first line of the banner on a terminal. */
  readonly title: string
  /** Runs for as long as the loop does. */
  readonly beside?: ((ctx: ReplContext) => Effect.Effect<void, never, Scope.Scope>) | undefined
}

/**
 * The slash commands, for `/help` and did-you-mean.
 *
 * @since 0.2.0
 * @category constants
 */
export const SLASH_COMMANDS: ReadonlyArray<readonly [string, string]> = [
  ["/help", "this list"],
  ["/tools", "the agent's tools"],
  ["/context", "the session: its id and its last messages"],
  ["/reset", "start a new session (the old one stays in the store)"],
  ["/exit", "leave (also /quit, Ctrl-D, or Ctrl-C twice at the prompt)"]
]

const newSessionId = () => `cli-chat-${crypto.randomUUID().slice(0, 8)}`

/**
 * The runtime of a config file, built so that `reload` reads the file again; a bad config is exit 2.
 *
 * @since 0.2.0
 * @category constructors
 */
export const loadReloadable = (configPath: string) =>
  Effect.gen(function*() {
    const ctx = yield* Layer.build(Plugins.runtimeLayer(configPath)).pipe(Effect.mapError(configFailure))
    return { runtime: Context.get(ctx, AgentRuntime), bus: Context.get(ctx, EventBus), store: Context.get(ctx, SessionStore) }
  })

/**
 * Runs the loop until `/exit`, the end of stdin, or a second Ctrl-C at the prompt.
 *
 * @since 0.2.0
 * @category entry points
 */
export const repl = (options: ReplOptions) =>
  Effect.scoped(
    Effect.gen(function*() {
      const { bus, runtime, store } = yield* loadReloadable(options.config)
      const agents = yield* runtime.listAgents
      const agentId = yield* chooseAgent(options.agent, agents, options.config)
      if (!agents.some((a) => a.id === agentId)) {
        return yield* new CliExit({
          code: EXIT.usage,
          message: `no agent '${agentId}' in ${options.config} (agents: ${agents.map((a) => a.id).join(", ")})`
        })
      }
      let sessionId = Option.getOrElse(options.session, newSessionId)
      const interactive = process.stdin.isTTY === true && process.stdout.isTTY === true
      const color = colorAllowed(process.stdout)
      const dim = (text: string) => (color ? `\u001b[2m${text}\u001b[0m` : text)

      const lines = yield* Queue.unbounded<Option.Option<string>>()
      const rl = yield* Effect.acquireRelease(
        Effect.sync(() =>
          readline.createInterface({
            input: process.stdin,
            // without a terminal, readline echoes nothing and prints no prompt
            ...(interactive ? { output: process.stdout, terminal: true } : { terminal: false }),
            prompt: color ? "\u001b[1m>\u001b[0m " : "> "
          })
        ),
        (rl) => Effect.sync(() => rl.close())
      )
      const prompt = () => interactive && rl.prompt(true)
      const say = (text: string) => process.stdout.write(text + "\n")

      // Ctrl-C: cancel the run in flight, else arm, else leave
      const rt = yield* Effect.runtime<never>()
      let inFlight: string | undefined
      let armed = false
      const onInterrupt = () => {
        if (inFlight !== undefined) {
          Runtime.runFork(rt)(runtime.cancel(inFlight))
          return
        }
        if (armed || !interactive) {
          Queue.unsafeOffer(lines, Option.none())
          return
        }
        armed = true
        process.stdout.write("\n" + dim("(Ctrl-C again or /exit to leave)") + "\n")
        prompt()
      }
      yield* Effect.acquireRelease(
        Effect.sync(() => {
          rl.on("line", (line) => {
            armed = false
            Queue.unsafeOffer(lines, Option.some(line))
          })
          rl.on("close", () => Queue.unsafeOffer(lines, Option.none()))
          rl.on("SIGINT", onInterrupt)
          process.on("SIGINT", onInterrupt)
        }),
        () => Effect.sync(() => process.off("SIGINT", onInterrupt))
      )

      const notice = (text: string) => {
        if (interactive) {
          process.stderr.write("\r\u001b[2K" + text + "\n")
          if (inFlight === undefined) prompt()
        } else {
          process.stderr.write(text + "\n")
        }
      }

      const turn = (inputText: string) =>
        Effect.scoped(
          Effect.gen(function*() {
            const runId = crypto.randomUUID()
            inFlight = runId
            yield* Effect.addFinalizer(() => Effect.sync(() => void (inFlight = undefined)))
            const status = yield* Status.make(bus, runId, "text")
            let open = false
            let streamed = false
            let result: RunResult | undefined
            yield* Stream.runForEach(runtime.runStream({ agentId, sessionId, inputText, runId }), (chunk) =>
              Effect.promise(async () => {
                // a child run's chunks (an agent this one delegates to) are not the answer
                if (chunk.parentRunId !== undefined) return
                if (chunk.kind === "run.finished") {
                  result = chunk.result
                } else if (chunk.kind === "llm.delta") {
                  if (!open) Effect.runSync(status.textStarted)
                  open = true
                  streamed = true
                  await write(process.stdout, chunk.payload.text)
                } else if (chunk.kind === "llm.finished" && open) {
                  await write(process.stdout, "\n")
                  open = false
                  Effect.runSync(status.textEnded)
                }
              })).pipe(
                Effect.catchAll((e) =>
                  Effect.sync(() =>
                    process.stderr.write(
                      `error: ${e._tag === "ConfigError" ? formatConfigError(e) : `${e.message}${e.hint ? `\n  hint: ${e.hint}` : ""}`}\n`
                    )
                  )
                )
              )
            if (open) yield* Effect.promise(() => write(process.stdout, "\n"))
            const final = result
            if (final === undefined) return
            if (final.stopReason === "completed") {
              if (typeof final.finalOutput !== "string") say(JSON.stringify(final.finalOutput, null, 2))
              else if (!streamed && final.finalOutput !== "") say(final.finalOutput)
            } else if (final.stopReason === "cancelled") {
              process.stderr.write(dim("(cancelled)") + "\n")
            } else {
              process.stderr.write(describeError(final))
            }
          })
        )

      const slash = (line: string): Effect.Effect<"leave" | "stay"> =>
        Effect.gen(function*() {
          const word = line.split(/\s+/)[0]!
          switch (word) {
            case "/exit":
            case "/quit":
              return "leave" as const
            case "/help":
              say(SLASH_COMMANDS.map(([c, d]) => `  ${c.padEnd(9)} ${d}`).join("\n"))
              break
            case "/tools": {
              const info = yield* runtime.getAgentInfo(agentId)
              const tools = Option.match(info, { onNone: () => [], onSome: (i) => i.tools })
              say(tools.length === 0 ? `agent '${agentId}' has no tools` : tools.map((t) => `  ${t}`).join("\n"))
              break
            }
            case "/context": {
              const messages = yield* Effect.orElseSucceed(store.loadMessages(sessionId), () => [])
              const shown = messages.slice(-10)
              say(
                [
                  `session ${sessionId}, agent ${agentId}: ${messages.length} message${messages.length === 1 ? "" : "s"}` +
                  (messages.length > shown.length ? ` (the last ${shown.length})` : ""),
                  ...shown.map((m) => `  ${formatMessage(m.message)}`)
                ].join("\n")
              )
              break
            }
            case "/reset": {
              const old = sessionId
              sessionId = newSessionId()
              yield* runtime.releaseSession(old)
              say(`new session ${sessionId}`)
              break
            }
            default: {
              const suggestion = closest(word, SLASH_COMMANDS.map(([c]) => c).concat("/quit"))
              process.stderr.write(
                `unknown command '${word}'${suggestion ? `. Did you mean '${suggestion}'?` : ""} (/help lists them)\n`
              )
            }
          }
          return "stay" as const
        })

      if (options.beside) yield* Effect.forkScoped(options.beside({ runtime, bus, notice }))
      if (interactive) {
        process.stderr.write(
          dim(`${options.title}\nagent ${agentId}, session ${sessionId}; /help for commands, /exit to leave`) + "\n"
        )
      }
      while (true) {
        prompt()
        const next = yield* Queue.take(lines)
        if (Option.isNone(next)) break
        const line = next.value.trim()
        if (line === "") continue
        // `/tools` is a command; `/tool calc {...}` (words after it, as the mock's tool syntax) a message
        const word = line.split(/\s+/)[0]!
        if (line.startsWith("/") && (word === line || SLASH_COMMANDS.some(([c]) => c === word) || word === "/quit")) {
          if ((yield* slash(line)) === "leave") break
          continue
        }
        yield* turn(line)
      }
      if (interactive) process.stdout.write("\n")
    })
  )
