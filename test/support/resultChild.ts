/**
 * Runs a child process of a crash test: `node <command...> '<JSON of args>'`, whose one line
 * `RESULT <json>` is its output; resolves when the process is gone (a SIGKILL included), rejects after
 * `timeoutMs` (the child is killed then).
 */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

/** The project's folder: children run from it. */
export const projectRoot = fileURLToPath(new URL("../..", import.meta.url))

/** How a child ended. */
export interface ChildRun<Output> {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  /** What it printed after `RESULT ` (undefined when it died first). */
  readonly output: Output | undefined
  /** Its stdout and stderr, for failure messages. */
  readonly text: string
}

export const runResultChild = <Output>(
  command: ReadonlyArray<string>,
  args: unknown,
  timeoutMs = 60_000
): Promise<ChildRun<Output>> =>
  new Promise((resolve, reject) => {
    const child = spawn(command[0]!, [...command.slice(1), JSON.stringify(args)], { cwd: projectRoot, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`child timed out: ${JSON.stringify(args)}\nstdout:\n${stdout}\nstderr:\n${stderr}`))
    }, timeoutMs)
    child.on("error", reject)
    // "close": the process is gone (reaped) and its output drained
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      const line = stdout.split("\n").find((l) => l.startsWith("RESULT "))
      resolve({
        code,
        signal,
        output: line ? (JSON.parse(line.slice("RESULT ".length)) as Output) : undefined,
        text: `stdout:\n${stdout}\nstderr:\n${stderr}`
      })
    })
  })
