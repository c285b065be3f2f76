/**
 * Tools of the cluster tests and benchmark, for configs (`impl: ".../cluster-tools.ts#noteTool"`):
 * `note` is not idempotent and appends `<runId> <callId>` to a file opened with O_APPEND (one line a
 * call, whatever process runs it), so a test counts how often each call ran; `step` is pure.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as fs from "node:fs"
import * as Tool from "../../src/tools/Tool.js"

/** `note`: appends `<runId> <callId>` to `config.notes`; not idempotent. */
export const noteTool = (config: { readonly notes: string }) =>
  Tool.make("note", {
    description: "Appends a line to the notes file",
    parameters: Schema.Struct({ text: Schema.String }),
    durableIdempotent: false,
    handler: (_args, context) =>
      Effect.sync(() => {
        fs.appendFileSync(config.notes, `${context.runId} ${context.callId}\n`, { flag: "a" })
        return { noted: context.callId }
      })
  })

/** `step`: pure, idempotent. */
export const stepTool = (_config: unknown) =>
  Tool.make("step", {
    description: "Squares a number",
    parameters: Schema.Struct({ n: Schema.Number }),
    handler: ({ n }) => Effect.succeed({ n, squared: n * n })
  })

/** The script of one run: a `step` call, a `note` call, then the answer `done` (each answer after `delayMs`). */
export const runScript = (delayMs: number) => [
  { tool_calls: [{ name: "step", arguments: { n: 3 } }], delay_ms: delayMs },
  { tool_calls: [{ name: "note", arguments: { text: "x" } }], delay_ms: delayMs },
  { text: "done", delay_ms: delayMs }
]
