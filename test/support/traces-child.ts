/**
 * A child process of the trace crash test: the durable run of `durable-child.ts` (same agent, same
 * counted SQLite session store, killed with SIGKILL right after its K-th store write), traced into the
 * same SQLite file. Prints `RESULT <json of the encoded RunResult>` and exits 0 when the run ends.
 *
 *   node --import tsx test/support/traces-child.ts '<JSON of TraceChildArgs>'
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as EventBus from "../../src/events/EventBus.js"
import { RunResult } from "../../src/kernel/Run.js"
import * as AgentRuntime from "../../src/runtime/AgentRuntime.js"
import { SessionStore } from "../../src/sessions/SessionStore.js"
import * as SqliteSessionStore from "../../src/sessions/SqliteSessionStore.js"
import * as Skills from "../../src/skills/Skills.js"
import * as SqliteTraceStore from "../../src/traces/SqliteTraceStore.js"
import { agent, AGENT_ID, counting, INPUT } from "./durable-child.js"

export interface TraceChildArgs {
  readonly path: string
  readonly notes: string
  readonly sessionId: string
  readonly runId?: string | undefined
  readonly resumeFrom?: string | undefined
  readonly rerun?: ReadonlyArray<string> | undefined
  readonly assume?: Readonly<Record<string, unknown>> | undefined
  readonly killAfterWrite?: number | undefined
}

const main = (args: TraceChildArgs) => {
  const writes: Array<string> = []
  const store = Layer.scoped(
    SessionStore,
    Effect.map(SqliteSessionStore.make({ dbPath: args.path }), (s) => counting(s, args.killAfterWrite, writes))
  )
  const services = Layer.mergeAll(store, EventBus.layer(), Skills.layerNone, SqliteTraceStore.layer({ dbPath: args.path }))
  return Effect.gen(function*() {
    const runtime = yield* AgentRuntime.AgentRuntime
    const result = yield* runtime.runDetailed({
      agentId: AGENT_ID,
      sessionId: args.sessionId,
      inputText: INPUT,
      durable: true,
      ...(args.runId !== undefined ? { runId: args.runId } : {}),
      ...(args.resumeFrom !== undefined ? { resumeFromCheckpoint: args.resumeFrom } : {}),
      contextHints: { durable: { rerun: args.rerun ?? [], assume: args.assume ?? {} } }
    })
    process.stdout.write(`RESULT ${JSON.stringify({ result: Schema.encodeSync(RunResult)(result), writes })}\n`)
  }).pipe(Effect.provide(AgentRuntime.layer({ agents: [agent(args.notes)] }).pipe(Layer.provide(services))))
}

if (process.argv[1] !== undefined && /traces-child\.m?[jt]s$/.test(process.argv[1])) {
  Effect.runPromise(main(JSON.parse(process.argv[2] ?? "{}") as TraceChildArgs)).then(
    () => {
      process.exitCode = 0
    },
    (error) => {
      process.stderr.write(`traces-child failed: ${String(error?.stack ?? error)}\n`)
      process.exitCode = 1
    }
  )
}
