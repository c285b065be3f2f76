/**
 * Starts `sessions-writer.ts` in real child processes and follows what they print.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { WriterArgs } from "./sessions-writer.js"

const projectRoot = fileURLToPath(new URL("../..", import.meta.url))
const script = fileURLToPath(new URL("./sessions-writer.ts", import.meta.url))

/** A running child process. */
export interface Child {
  readonly pid: number
  /** Resolves when the child has printed `word` on a line of its own. */
  readonly waitFor: (word: string) => Effect.Effect<void>
  /** The exit code (or the signal) once the child has exited and been reaped. */
  readonly exited: Effect.Effect<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>
  readonly kill: (signal: NodeJS.Signals) => Effect.Effect<void>
  readonly output: () => string
}

/** How long to wait for a child's progress before failing the test with its output. */
const CHILD_TIMEOUT_MS = 60_000

/** Starts a child; it is killed (SIGKILL) when the scope closes if it is still running. */
export const spawnWriter = (args: WriterArgs): Effect.Effect<Child, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", script, JSON.stringify(args)], {
        cwd: projectRoot,
        stdio: ["ignore", "pipe", "pipe"]
      })
      let stdout = ""
      let stderr = ""
      const listeners = new Set<() => void>()
      child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
        stdout += chunk
        for (const listener of listeners) listener()
      })
      child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
        stderr += chunk
      })
      let closed = false
      child.on("close", () => {
        closed = true
      })
      const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.on("exit", (code, signal) => resolve({ code, signal }))
      )
      const output = () => `stdout:\n${stdout}\nstderr:\n${stderr}`
      const lines = () => stdout.split("\n")

      const waitFor = (word: string) =>
        Effect.async<void>((resume) => {
          const check = () => {
            if (lines().includes(word)) {
              cleanup()
              resume(Effect.void)
            }
          }
          const timer = setTimeout(() => {
            cleanup()
            resume(Effect.dieMessage(`child ${child.pid} never printed '${word}'\n${output()}`))
          }, CHILD_TIMEOUT_MS)
          const onExit = () => {
            // stdout may still be draining: look once more after the streams closed
            setImmediate(() => {
              if (lines().includes(word)) return check()
              cleanup()
              resume(Effect.dieMessage(`child ${child.pid} exited without printing '${word}'\n${output()}`))
            })
          }
          const cleanup = () => {
            clearTimeout(timer)
            listeners.delete(check)
            child.off("close", onExit)
          }
          listeners.add(check)
          child.on("close", onExit)
          check()
          if (closed) onExit()
          return Effect.sync(cleanup)
        })

      const handle: Child = {
        pid: child.pid!,
        waitFor,
        exited: Effect.promise(() => exit),
        kill: (signal) => Effect.sync(() => void child.kill(signal)),
        output
      }
      return { handle, child, exit }
    }),
    ({ child, exit }) =>
      Effect.promise(async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
        await exit
      })
  ).pipe(Effect.map(({ handle }) => handle))
