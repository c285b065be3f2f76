/**
 * The `shell_exec` builtin: runs one allowlisted program with an argument list, never through a shell
 * (so `;`, `|`, `$(...)` in an argument stay literal text), in a working folder confined to a root, with
 * only the named environment variables (and `PATH`). The program runs in its own process group: a
 * timeout, too much output, or the run being cancelled kills the whole group with SIGKILL.
 *
 * @since 0.2.0
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as path from "node:path"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Tool from "../Tool.js"
import { type BuiltinToolError, quote, refuse } from "./BuiltinToolError.js"
import { resolve, type Root } from "./internal/sandbox.js"

/**
 * Options of {@link make}.
 *
 * @since 0.2.0
 * @category models
 */
export interface Options {
  /** The folder the working directory is confined to (and the default working directory). */
  readonly root: string
  /** The programs the model may run, by exact name (looked up on `PATH`) or absolute path. */
  readonly allowedCommands: ReadonlyArray<string>
  /** Environment variables passed to the program besides `PATH` (default none). */
  readonly envPassthrough?: ReadonlyArray<string>
  /** Longest a program may run before its process group is killed (default 60 000 ms). */
  readonly timeoutMs?: number
  /** Bytes kept of stdout and of stderr each; more kills the program (default 1 MiB). */
  readonly captureBytes?: number
  readonly name?: string
}

/**
 * Parameters of `shell_exec`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const Parameters = Schema.Struct({
  command: Schema.String.annotations({ description: "The program to run: one of the allowed command names." }),
  args: Schema.optional(Schema.Array(Schema.String)).annotations({
    description: "Its arguments, each passed as is (no shell: quotes, ;, |, $ and * are plain characters)."
  }),
  cwd: Schema.optional(Schema.String.annotations({ description: "Working folder, relative to the root (default the root)." })),
  timeout_ms: Schema.optional(Schema.Number.annotations({
    description: "Kill the program after this many milliseconds (at most the configured timeout)."
  }))
})

/**
 * What `shell_exec` returns.
 *
 * @since 0.2.0
 * @category models
 */
export interface Result {
  readonly command: string
  readonly exit_code: number | null
  readonly signal: string | null
  readonly stdout: string
  readonly stderr: string
  readonly timed_out: boolean
  /** Output went past the cap: the program was killed and the output cut. */
  readonly truncated: boolean
}

const MAX_ARGS = 1000
const MAX_ARG_BYTES = 64 * 1024

/** The output of a program as it arrives, capped. */
class Capture {
  readonly stdout: Array<Buffer> = []
  readonly stderr: Array<Buffer> = []
  sizes = { stdout: 0, stderr: 0 }
  truncated = false
  constructor(readonly cap: number) {}
  /** Keeps what fits; false when the cap was passed. */
  add(stream: "stdout" | "stderr", chunk: Buffer): boolean {
    const room = this.cap - this.sizes[stream]
    if (chunk.length > room) {
      if (room > 0) this[stream].push(chunk.subarray(0, room))
      this.sizes[stream] = this.cap
      this.truncated = true
      return false
    }
    this[stream].push(chunk)
    this.sizes[stream] += chunk.length
    return true
  }
  text(stream: "stdout" | "stderr") {
    return new TextDecoder("utf-8").decode(Buffer.concat(this[stream]))
  }
}

const killGroup = (child: ChildProcess) => {
  if (child.pid === undefined) return
  try {
    process.kill(-child.pid, "SIGKILL")
  } catch {
    // ESRCH: the group is gone already
  }
}

/** Waits for the program to end; interrupted, it kills the process group and waits for the leader's exit. */
const runProgram = (
  toolName: string,
  command: string,
  args: ReadonlyArray<string>,
  cwd: string,
  env: NodeJS.ProcessEnv,
  capture: Capture
) =>
  Effect.async<{ readonly code: number | null; readonly signal: string | null }, BuiltinToolError>((resume) => {
    let child: ChildProcess
    try {
      // detached: the program leads a new process group, so the group can be killed as one
      child = spawn(command, args, { cwd, env, detached: true, shell: false, stdio: ["ignore", "pipe", "pipe"], windowsHide: true })
    } catch (e) {
      resume(Effect.fail(refuse(toolName, "command", `${quote(command)} cannot be started: ${(e as Error).message}`)))
      return
    }
    let exited = child.exitCode !== null || child.signalCode !== null
    child.once("exit", () => {
      exited = true
    })
    child.once("error", (e: NodeJS.ErrnoException) => {
      // a program that could not start has no process to wait for
      if (child.pid === undefined) exited = true
      const reason = e.code === "ENOENT" ? "not found on PATH" : e.code === "EACCES" ? "not executable" : e.message
      resume(Effect.fail(refuse(toolName, "command", `${quote(command)} cannot be started: ${reason}`)))
    })
    for (const stream of ["stdout", "stderr"] as const) {
      child[stream]!.on("data", (chunk: Buffer) => {
        if (!capture.add(stream, chunk)) killGroup(child)
      })
    }
    child.once("close", (code, signal) => {
      // members of the group the leader left behind go with it
      killGroup(child)
      resume(Effect.succeed({ code, signal }))
    })
    return Effect.async<void>((done) => {
      killGroup(child)
      if (exited || child.pid === undefined) done(Effect.void)
      else child.once("exit", () => done(Effect.void))
    })
  })

/**
 * The description the model sees.
 *
 * @since 0.2.0
 * @category constants
 */
export const description = (allowed: ReadonlyArray<string>) =>
  `Runs a program (one of: ${allowed.join(", ")}) with a list of arguments, without a shell: no pipes, ` +
  "redirections, globbing or variable expansion. Returns its exit code, stdout and stderr (capped), and whether it " +
  "timed out."

/**
 * Makes the `shell_exec` tool. Not idempotent. Throws when `allowedCommands` is empty.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (options: Options): Tool.Tool<typeof Parameters.Type> => {
  if (options.allowedCommands.length === 0) throw new Error("shell_exec needs at least one allowed command")
  const name = options.name ?? "shell_exec"
  const root: Root = { root: path.resolve(options.root) }
  const allowed = new Set(options.allowedCommands)
  const maxTimeout = options.timeoutMs ?? 60_000
  const cap = options.captureBytes ?? 1_048_576
  return Tool.make(name, {
    description: description(options.allowedCommands),
    parameters: Parameters,
    durableIdempotent: false,
    // the executor's own timeout comes after the tool's, which reports the timeout with the output so far
    timeoutMs: maxTimeout + 5_000,
    handler: ({ args = [], command, cwd = ".", timeout_ms }): Effect.Effect<Result, BuiltinToolError> =>
      Effect.gen(function*() {
        if (!allowed.has(command)) {
          return yield* refuse(
            name,
            "command",
            `${quote(command)} is not an allowed command (allowed: ${[...allowed].join(", ")}); commands are matched by exact name`
          )
        }
        if (args.length > MAX_ARGS) return yield* refuse(name, "args", `has ${args.length} items, more than ${MAX_ARGS}`)
        for (const [i, arg] of args.entries()) {
          if (arg.includes("\0")) return yield* refuse(name, `args[${i}]`, "contains a NUL character")
          if (Buffer.byteLength(arg) > MAX_ARG_BYTES) return yield* refuse(name, `args[${i}]`, `is longer than ${MAX_ARG_BYTES} bytes`)
        }
        if (timeout_ms !== undefined && !(Number.isFinite(timeout_ms) && timeout_ms > 0)) {
          return yield* refuse(name, "timeout_ms", `must be a positive number of milliseconds, not ${timeout_ms}`)
        }
        const dir = yield* resolve(name, "cwd", root, cwd)
        const env: NodeJS.ProcessEnv = { PATH: process.env["PATH"] ?? "/usr/bin:/bin" }
        for (const key of options.envPassthrough ?? []) {
          const value = process.env[key]
          if (value !== undefined) env[key] = value
        }
        const limit = Math.min(timeout_ms ?? maxTimeout, maxTimeout)
        const capture = new Capture(cap)
        const outcome = yield* Effect.timeoutOption(
          runProgram(name, command, args, dir.real, env, capture),
          Duration.millis(limit)
        )
        const ended = Option.getOrUndefined(outcome)
        return {
          command,
          exit_code: ended?.code ?? null,
          signal: ended ? ended.signal : "SIGKILL",
          stdout: capture.text("stdout"),
          stderr: capture.text("stderr"),
          timed_out: ended === undefined,
          truncated: capture.truncated
        }
      })
  })
}
