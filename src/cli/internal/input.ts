/**
 * The user's message of `run`: `--input TEXT`, `--input-file PATH`, or standard input when it is piped
 * (`echo hi | openagents run agent.json`), as the Python SDK's CLI takes it.
 *
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { readFile } from "node:fs/promises"
import { CliExit, EXIT } from "./exit.js"

const readStdin = Effect.tryPromise({
  try: async () => {
    const chunks: Array<Buffer> = []
    for await (const chunk of process.stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk)
    return Buffer.concat(chunks).toString("utf8")
  },
  catch: (e) => new CliExit({ code: EXIT.usage, message: `could not read the input from stdin: ${(e as Error).message}` })
})

/** Piped input ends with the newline of `echo`, which is not part of the message. */
const trimNewline = (text: string) => text.replace(/\r?\n$/, "")

const noInput = new CliExit({
  code: EXIT.usage,
  message: "no input: pass --input TEXT, --input-file PATH, or pipe the message on stdin\n" +
    `  hint: openagents run agent.json --input "Hello"`
})

/**
 * The message from `--input`, `--input-file` (`-` is stdin) or a piped stdin; a CliExit(2) when both
 * flags are given, the file cannot be read, or there is no input at all (stdin a terminal).
 *
 * @since 0.2.0
 * @category input
 */
export const readInput = (
  input: Option.Option<string>,
  inputFile: Option.Option<string>
): Effect.Effect<string, CliExit> => {
  if (Option.isSome(input) && Option.isSome(inputFile)) {
    return Effect.fail(new CliExit({ code: EXIT.usage, message: "give the input once: --input or --input-file, not both" }))
  }
  if (Option.isSome(input)) return Effect.succeed(input.value)
  if (Option.isSome(inputFile)) {
    const file = inputFile.value
    if (file === "-") return Effect.map(readStdin, trimNewline)
    return Effect.tryPromise({
      try: () => readFile(file, "utf8"),
      catch: (e) =>
        new CliExit({
          code: EXIT.usage,
          message: `--input-file ${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "not found" : (e as Error).message}`
        })
    }).pipe(Effect.map(trimNewline))
  }
  // A terminal would wait for typing that the user does not know is expected; an empty pipe
  // (`< /dev/null`, a closed stdin) has nothing to say either
  if (process.stdin.isTTY === true) return Effect.fail(noInput)
  return readStdin.pipe(Effect.map(trimNewline), Effect.filterOrFail((text) => text !== "", () => noInput))
}
