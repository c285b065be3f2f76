/**
 * Helpers of the builtin tool tests: a sandbox in a temp dir (a root, a sibling folder outside it with a
 * secret, symlinks from inside the root to outside), calls through the default executor (so argument
 * decoding and error mapping are the real ones), and a fingerprint of everything outside the root.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type { ToolError } from "../../../src/kernel/Errors.js"
import type * as Tool from "../../../src/tools/Tool.js"
import * as ToolExecutor from "../../../src/tools/ToolExecutor.js"
import * as Toolkit from "../../../src/tools/Toolkit.js"
import { context } from "../fixtures.js"

export interface Sandbox {
  /** The temp dir holding root/ and outside/. */
  readonly base: string
  readonly root: string
  readonly outside: string
  readonly secret: string
  readonly cleanup: () => void
}

/**
 * root/: notes.txt, dir/a.txt, dir/sub/b.md, link-out -> ../outside, file-link -> ../outside/secret.txt,
 * dangling -> ../outside/new.txt (absent); outside/: secret.txt.
 */
export const makeSandbox = (): Sandbox => {
  const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "oa-tools-")))
  const root = path.join(base, "root")
  const outside = path.join(base, "outside")
  fs.mkdirSync(path.join(root, "dir", "sub"), { recursive: true })
  fs.mkdirSync(outside)
  const secret = path.join(outside, "secret.txt")
  fs.writeFileSync(secret, "TOP SECRET\n")
  fs.writeFileSync(path.join(root, "notes.txt"), "hello\nworld\n")
  fs.writeFileSync(path.join(root, "dir", "a.txt"), "alpha\nneedle one\n")
  fs.writeFileSync(path.join(root, "dir", "sub", "b.md"), "beta\nNeedle two\n")
  fs.symlinkSync(outside, path.join(root, "link-out"))
  fs.symlinkSync(secret, path.join(root, "file-link"))
  fs.symlinkSync(path.join(outside, "new.txt"), path.join(root, "dangling"))
  return { base, root, outside, secret, cleanup: () => fs.rmSync(base, { recursive: true, force: true }) }
}

/** Every path under `dir` with its kind and content (files) or target (symlinks). */
export const fingerprint = (dir: string): Record<string, string> => {
  const out: Record<string, string> = {}
  const visit = (d: string) => {
    for (const name of fs.readdirSync(d).sort()) {
      const p = path.join(d, name)
      const stat = fs.lstatSync(p)
      const key = path.relative(dir, p)
      if (stat.isSymbolicLink()) out[key] = `link:${fs.readlinkSync(p)}`
      else if (stat.isDirectory()) {
        out[key] = "dir"
        visit(p)
      } else out[key] = `file:${fs.readFileSync(p, "utf8")}`
    }
  }
  visit(dir)
  return out
}

const executor = ToolExecutor.make({ defaultTimeoutMs: 60_000 })

/** Calls a tool as a run would: through the default executor; `Left` is the tool error the model sees. */
export const call = (tool: Tool.Tool<any>, args: unknown, ctx = context): Effect.Effect<Either.Either<any, ToolError>> =>
  Effect.either(
    executor.execute({ _tag: "tool_call", id: ctx.callId, name: tool.name, arguments: args }, Toolkit.make(tool), ctx)
  )

/** The message of a refused call, or a failure when the call succeeded. */
export const refusal = (result: Either.Either<any, ToolError>): string => {
  if (Either.isRight(result)) throw new Error(`expected a refusal, got ${JSON.stringify(result.right)}`)
  return result.left.message
}

/** The result of a call that must succeed. */
export const success = <A = any>(result: Either.Either<A, ToolError>): A => {
  if (Either.isLeft(result)) throw new Error(`expected a result, got ${result.left._tag}: ${result.left.message}`)
  return result.right
}

/** One hostile call and what its refusal must say. */
export interface Hostile {
  readonly tool: string
  readonly args: unknown
  readonly expect: RegExp
  readonly label: string
}

/**
 * True while a process of the group `pgid` is alive. `process.kill(-pgid, 0)` throwing ESRCH means the
 * group is gone. A member that is a zombie (killed, not yet reaped) counts as gone: a killed grandchild
 * is re-parented to PID 1, and in some containers PID 1 never reaps, so its zombie would keep the group
 * "existing" forever although nothing in it runs.
 */
export const groupAlive = (pgid: number): boolean => {
  try {
    process.kill(-pgid, 0)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ESRCH") return false
    throw e
  }
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    let stat: string
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8")
    } catch {
      continue
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    if (Number(fields[2]) === pgid && fields[0] !== "Z") return true
  }
  return false
}

/** Polls (real time, a few seconds at most) until `condition` holds; false if it never did. */
export const eventually = async (condition: () => boolean, attempts = 200): Promise<boolean> => {
  for (let i = 0; i < attempts; i++) {
    if (condition()) return true
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  return condition()
}
