/**
 * `npm run bench:startup`: how long the CLI takes to start, as a user runs it (the compiled dist/, never
 * the TypeScript sources through tsx), against `node -e 0` measured in the same run:
 *
 *   - `openagents --version` (answered by the bin before the CLI loads),
 *   - `openagents version` (the CLI with one light command: what lazy loading saves),
 *   - `openagents validate examples/assistant.json`,
 *   - `openagents run examples/assistant.json --input hi` on the mock model, to its first byte on stdout.
 *
 * Builds dist/ into a temp dir first (so the repo's own dist/ is left alone), or takes a built package's
 * bin: `BIN=/path/to/node_modules/openagents/bin/openagents.js npm run bench:startup`.
 */
import { execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const repo = path.join(path.dirname(fileURLToPath(import.meta.url)), "..")
const ROUNDS = Number(process.env["ROUNDS"] ?? 10)

const buildCopy = (): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "oa-startup-"))
  for (const entry of ["package.json", "bin", "schema"]) fs.cpSync(path.join(repo, entry), path.join(dir, entry), { recursive: true })
  fs.symlinkSync(path.join(repo, "node_modules"), path.join(dir, "node_modules"), "dir")
  execFileSync(process.execPath, [
    path.join(repo, "node_modules", "typescript", "bin", "tsc"),
    "-p",
    path.join(repo, "tsconfig.build.json"),
    "--outDir",
    path.join(dir, "dist")
  ], { stdio: "inherit" })
  // the CLI's bundle, as `npm run build` makes it
  execFileSync(process.execPath, [path.join(repo, "scripts", "bundle-cli.mjs")], { cwd: dir, stdio: "inherit" })
  return path.join(dir, "bin", "openagents.js")
}

/** Milliseconds from spawn to the first stdout byte (or to exit when `untilExit`). */
const time = (args: ReadonlyArray<string>, untilExit: boolean, env?: Record<string, string>) =>
  new Promise<number>((resolve, reject) => {
    const started = performance.now()
    const child = spawn(process.execPath, args, { cwd: repo, stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, ...env } })
    let first: number | undefined
    child.stdout.once("data", () => (first = performance.now() - started))
    child.on("error", reject)
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`${args.join(" ")} exited ${code}`))
      resolve(untilExit || first === undefined ? performance.now() - started : first)
    })
  })

const median = (xs: Array<number>) => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

const bin = process.env["BIN"] ?? buildCopy()
const MODULES = { OPENAGENTS_BUNDLE: "0" }
const cases: ReadonlyArray<readonly [string, ReadonlyArray<string>, boolean, Record<string, string>?]> = [
  ["node -e 0", ["-e", "0"], true],
  ["openagents --version", [bin, "--version"], true],
  ["openagents version (exit)", [bin, "version"], true],
  ["openagents validate (exit)", [bin, "validate", "examples/assistant.json"], true],
  ["run, mock, as modules (first chunk)", [bin, "run", "examples/assistant.json", "--input", "hi"], false, MODULES],
  // last: the figure of the summary
  ["openagents run, mock (first chunk)", [bin, "run", "examples/assistant.json", "--input", "hi"], false]
]
// Rounds interleave the cases (each round runs every case once), so that a machine shared with other
// work loads the baseline and the CLI alike, and the ratios hold even when the absolute times move
for (const [, args, untilExit, env] of cases) await time(args, untilExit, env) // warm the file cache
const samples: Array<Array<number>> = cases.map(() => [])
for (let i = 0; i < ROUNDS; i++) {
  for (const [c, [, args, untilExit, env]] of cases.entries()) samples[c]!.push(await time(args, untilExit, env))
}
const results = cases.map(([name], c) => [name, median(samples[c]!)] as const)
const baseline = results[0]![1]
console.log(`start-up, median of ${ROUNDS} (bin: ${bin})`)
for (const [name, ms] of results) console.log(`  ${name.padEnd(36)} ${ms.toFixed(0).padStart(5)} ms  ${(ms / baseline).toFixed(1)}x node -e 0`)
const run = results.at(-1)![1]
console.log(`SUMMARY startup: run to first chunk ${run.toFixed(0)} ms = ${(run / baseline).toFixed(1)}x node -e 0 (${baseline.toFixed(0)} ms)`)
