/**
 * `openagents serve` in a child process: started with `args`, resolved once it prints the URL it serves
 * on; `stop()` sends SIGTERM and resolves with the exit code. Kill it in a `finally` (`kill()`).
 */
import { type ChildProcess, spawn } from "node:child_process"

export interface ServeChild {
  readonly url: string
  readonly child: ChildProcess
  readonly output: () => { readonly out: string; readonly err: string }
  /** SIGTERM, then the exit code. */
  readonly stop: () => Promise<number | null>
  /** SIGKILL unless it has exited. */
  readonly kill: () => void
}

export const startServeChild = (command: ReadonlyArray<string>, env: NodeJS.ProcessEnv): Promise<ServeChild> => {
  const child = spawn(process.execPath, [...command], { env, stdio: ["ignore", "pipe", "pipe"] })
  let out = ""
  let err = ""
  child.stderr!.on("data", (d) => (err += String(d)))
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
  }
  return new Promise<ServeChild>((resolve, reject) => {
    child.stdout!.on("data", (d) => {
      out += String(d)
      const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)
      if (m) {
        resolve({
          url: m[1]!,
          child,
          output: () => ({ out, err }),
          stop: () => {
            child.kill("SIGTERM")
            return exited
          },
          kill
        })
      }
    })
    child.on("exit", (code) => reject(new Error(`serve exited with ${code}: ${err}`)))
  })
}
