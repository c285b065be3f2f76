/**
 * Runs the CLI in-process: `main(argv)` with stdout and stderr captured, in a fresh temp dir per test.
 */
import { afterEach, beforeEach, vi } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { main } from "../../src/cli/main.js"

export interface CliHarness {
  /** The temp dir of the current test. */
  readonly dir: () => string
  readonly out: Array<string>
  readonly err: Array<string>
}

/** Registers the hooks; call once at the top of a test file. */
export const useCli = (prefix: string): CliHarness => {
  let dir = ""
  const out: Array<string> = []
  const err: Array<string> = []
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
    out.length = 0
    err.length = 0
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk))
      return true
    })
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      err.push(String(chunk))
      return true
    })
  })
  afterEach(() => {
    vi.restoreAllMocks()
    fs.rmSync(dir, { recursive: true, force: true })
  })
  return { dir: () => dir, out, err }
}

/** `openagents ...args`, resolving with the exit code. */
export const cli = (...args: Array<string>) => main(["node", "openagents", ...args])
