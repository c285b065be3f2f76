/**
 * A child process of the durable-run crash test:
 *
 *   node --import tsx test/support/durable-child.ts '<JSON of ChildArgs>'
 *
 * It runs one durable run of the `agent` below over a SQLite or a JSONL session store: a fresh run
 * (`runId`) or a resume (`resumeFrom`, with the rerun/assume decisions of a human), then prints one line
 * `RESULT <json>` (the encoded RunResult, and the store writes it made) and exits 0.
 *
 * Kill points: `killAfterWrite: K` SIGKILLs the process right after its K-th store write
 * (appendJournal, saveCheckpoint, appendMessages, setState, saveArtifact) has returned; `killInTool`
 * SIGKILLs it inside `write_note`, after the note is in the file and before the tool returns. The kill
 * is `process.kill(process.pid, "SIGKILL")`: no finalizer, no flush, exactly what a crash leaves.
 *
 * The model is the scripted mock (`SCRIPT`): each process builds its own, so a resumed run gets the
 * answers of the uninterrupted one only because the mock's script position follows the conversation.
 *
 * The tools are exported too, so a config can point at them with `impl` (the CLI tests do).
 */
import * as fs from "node:fs"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as EventBus from "../../src/events/EventBus.js"
import { RunResult } from "../../src/kernel/Run.js"
import * as MockModel from "../../src/llm/MockModel.js"
import type { AgentDefinition } from "../../src/runtime/Agent.js"
import * as AgentRuntime from "../../src/runtime/AgentRuntime.js"
import * as JsonlSessionStore from "../../src/sessions/JsonlSessionStore.js"
import { SessionStore } from "../../src/sessions/SessionStore.js"
import * as SqliteSessionStore from "../../src/sessions/SqliteSessionStore.js"
import * as Skills from "../../src/skills/Skills.js"
import * as Tool from "../../src/tools/Tool.js"

/** Arguments of the child process. */
export interface ChildArgs {
  readonly store: "sqlite" | "jsonl"
  /** The SQLite file, or the JSONL root directory. */
  readonly path: string
  /** The file `write_note` appends to. */
  readonly notes: string
  readonly sessionId: string
  /** A fresh run with this id. */
  readonly runId?: string | undefined
  /** Or a resume from this checkpoint. */
  readonly resumeFrom?: string | undefined
  readonly rerun?: ReadonlyArray<string> | undefined
  readonly assume?: Readonly<Record<string, unknown>> | undefined
  readonly killAfterWrite?: number | undefined
  readonly killInTool?: boolean | undefined
  /** The run of `agent` (one tool call an answer), or of `batchAgent` (several calls an answer, run concurrently). */
  readonly scenario?: "single" | "batch" | undefined
}

/** What the child prints after `RESULT `. */
export interface ChildOutput {
  readonly result: Schema.Schema.Encoded<typeof RunResult>
  /** The store writes the process made, in order (`<operation>` or `<operation>:<detail>`). */
  readonly writes: ReadonlyArray<string>
}

/** The agent of the crash test. */
export const AGENT_ID = "durable-agent"

/** The input every run starts from. */
export const INPUT = "take notes"

/** The final answer of the scripted model. */
export const FINAL = "all done"

/** The tool calls the model makes, in order, one per answer (the mock's call ids: `call_0_0`, `call_1_0`, ...). */
export const PLAN: ReadonlyArray<{ readonly name: string; readonly arguments: unknown }> = [
  { name: "step", arguments: { n: 1 } },
  { name: "write_note", arguments: { text: "remember the milk" } },
  { name: "step", arguments: { n: 2 } },
  { name: "lookup", arguments: { key: "answer" } }
]

/** The call id of `write_note` in the plan: the mock's id for the first call of its second answer. */
export const NOTE_CALL_ID = "call_1_0"

/**
 * The mock's script: the plan's calls, one per answer, then `FINAL`; the call of `write_note` comes
 * after a scripted rate limit, so its turn takes two attempts (a resumed process may meet the rate
 * limit again: a transient error replayed, never a step skipped or repeated).
 */
export const SCRIPT: ReadonlyArray<MockModel.MockStep> = [
  ...PLAN.flatMap((call): Array<MockModel.MockStep> => [
    ...(call.name === "write_note" ? [{ error: { kind: "rate_limit" as const, message: "scripted rate limit" } }] : []),
    { toolCalls: [{ name: call.name, arguments: call.arguments }] }
  ]),
  { text: FINAL }
]

/** The line `write_note` appends for a call (and the `written` field of its result). */
export const noteLine = (callId: string, text: string) => `${callId} ${text}`

/** `step`: pure, idempotent. */
export const stepTool = Tool.make("step", {
  description: "Squares a number",
  parameters: Schema.Struct({ n: Schema.Number }),
  handler: ({ n }) => Effect.succeed({ n, squared: n * n })
})

/** `lookup`: pure, idempotent. */
export const lookupTool = Tool.make("lookup", {
  description: "Looks a key up",
  parameters: Schema.Struct({ key: Schema.String }),
  handler: ({ key }) => Effect.succeed({ key, value: 42 })
})

/**
 * `write_note`: appends `<callId> <text>` to the notes file; not idempotent. Also a factory for configs
 * (`impl: ".../durable-child.ts#writeNoteTool"`, `config: { notes }`).
 */
export const writeNoteTool = (config: NoteOptions & { readonly notes: string }) =>
  Tool.make("write_note", {
    description: "Appends a note to the notes file",
    parameters: Schema.Struct({ text: Schema.String }),
    durableIdempotent: false,
    handler: ({ text }, context) =>
      Effect.flatMap(
        Effect.sync(() => {
          const line = noteLine(context.callId, text)
          fs.appendFileSync(config.notes, line + "\n")
          if (config.killInTool) process.kill(process.pid, "SIGKILL")
          return { written: line }
        }),
        (result) => (config.hangInTool ? Effect.never : Effect.succeed(result))
      )
  })

/** How `write_note` misbehaves after its side effect: the process dies, or the call never returns. */
export interface NoteOptions {
  readonly killInTool?: boolean | undefined
  readonly hangInTool?: boolean | undefined
}

/**
 * The batch scenario's script: two answers of several calls each, whose tools are all concurrency-safe
 * (write_note too: its calls touch no shared path), so each answer's calls run at the same time; the
 * first call of the second answer after a scripted rate limit.
 */
export const BATCH_SCRIPT: ReadonlyArray<MockModel.MockStep> = [
  {
    toolCalls: [
      { name: "step", arguments: { n: 1 } },
      { name: "write_note", arguments: { text: "first note" } },
      { name: "lookup", arguments: { key: "answer" } }
    ]
  },
  { error: { kind: "rate_limit", message: "scripted rate limit" } },
  {
    toolCalls: [
      { name: "write_note", arguments: { text: "second note" } },
      { name: "step", arguments: { n: 2 } }
    ]
  },
  { text: FINAL }
]

/** The notes the batch scenario writes, each exactly once: its write_note calls (the mock's ids). */
export const BATCH_NOTES = [noteLine("call_0_1", "first note"), noteLine("call_1_0", "second note")]

const concurrent = <T extends { readonly concurrencySafe?: boolean | undefined }>(tool: T): T => ({ ...tool, concurrencySafe: true })

/** The agent of the batch scenario. */
export const batchAgent = (notes: string, options?: NoteOptions): AgentDefinition => ({
  id: AGENT_ID,
  model: MockModel.layer({ script: BATCH_SCRIPT }),
  retry: { initialBackoffMs: 0, maxBackoffMs: 0 },
  tools: [concurrent(stepTool), concurrent(writeNoteTool({ notes, ...options })), concurrent(lookupTool)]
})

/** The agent of the crash test. */
export const agent = (notes: string, options?: NoteOptions): AgentDefinition => ({
  id: AGENT_ID,
  model: MockModel.layer({ script: SCRIPT }),
  // the scripted rate limit is retried at once: real time in a child process
  retry: { initialBackoffMs: 0, maxBackoffMs: 0 },
  tools: [stepTool, writeNoteTool({ notes, ...options }), lookupTool]
})

const WRITES = ["appendJournal", "saveCheckpoint", "appendMessages", "setState", "saveArtifact"] as const

/** Counts the store's writes and SIGKILLs the process right after the `killAfter`-th one. */
export const counting = (
  store: SessionStore["Type"],
  killAfter: number | undefined,
  writes: Array<string>
): SessionStore["Type"] => {
  const after = (label: string) =>
    Effect.sync(() => {
      writes.push(label)
      if (killAfter !== undefined && writes.length === killAfter) process.kill(process.pid, "SIGKILL")
    })
  const wrapped: Record<string, unknown> = { ...store }
  for (const op of WRITES) {
    const inner = store[op] as (...args: Array<any>) => Effect.Effect<void, any>
    wrapped[op] = (...args: Array<any>) => {
      const detail = op === "appendJournal"
        ? (args[1] as ReadonlyArray<{ kind: string }>).map((e) => e.kind).join(",") +
          // a checkpoint saved in the same write
          (args[2] ? `;saveCheckpoint:${(args[2] as { checkpointId: string }).checkpointId}` : "")
        : op === "saveCheckpoint"
        ? (args[1] as { checkpointId: string }).checkpointId
        : undefined
      return Effect.tap(inner(...args), () => after(detail ? `${op}:${detail}` : op))
    }
  }
  return wrapped as unknown as SessionStore["Type"]
}

/** The child's store: the real one, counted. */
const storeLayer = (args: ChildArgs, writes: Array<string>): Layer.Layer<SessionStore, unknown> =>
  Layer.scoped(
    SessionStore,
    Effect.map(
      args.store === "sqlite"
        ? SqliteSessionStore.make({ dbPath: args.path })
        : JsonlSessionStore.make({ rootDir: args.path }),
      (store) => counting(store, args.killAfterWrite, writes)
    )
  )

/** The runtime of the crash test over a given store layer. */
export const runtimeLayer = (
  notes: string,
  store: Layer.Layer<SessionStore, unknown>,
  options?: NoteOptions,
  scenario?: ChildArgs["scenario"]
) =>
  AgentRuntime.layer({ agents: [(scenario === "batch" ? batchAgent : agent)(notes, options)] }).pipe(
    Layer.provide(Layer.mergeAll(store, EventBus.layer(), Skills.layerNone))
  )

const main = (args: ChildArgs) => {
  const writes: Array<string> = []
  const program = Effect.gen(function*() {
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
    const output: ChildOutput = { result: Schema.encodeSync(RunResult)(result), writes }
    process.stdout.write(`RESULT ${JSON.stringify(output)}\n`)
  })
  return program.pipe(Effect.provide(runtimeLayer(args.notes, storeLayer(args, writes), { killInTool: args.killInTool }, args.scenario)))
}

if (process.argv[1] !== undefined && /durable-child[\w-]*\.m?[jt]s$/.test(process.argv[1])) {
  const args = JSON.parse(process.argv[2] ?? "{}") as ChildArgs
  Effect.runPromise(main(args)).then(
    () => {
      process.exitCode = 0
    },
    (error) => {
      process.stderr.write(`durable-child failed: ${String(error?.stack ?? error)}\n`)
      process.exitCode = 1
    }
  )
}
