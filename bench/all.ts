/**
 * `npm run bench`: every benchmark in sequence, each in its own node process (so one's heap and JIT
 * do not colour the next), their output as it comes, and their SUMMARY lines again at the end.
 *
 * The benchmarks run compiled by tsc (into a temporary folder), as a user's build runs the package:
 * under tsx, esbuild's `keepNames` wraps every closure the hot path creates in a `__name` call, which
 * costs about a sixth of a step. TSX=1 runs the TypeScript sources under tsx instead.
 *
 *   npm run bench                      ONLY="run,durable" to run some of them
 */
import { execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const here = path.dirname(fileURLToPath(import.meta.url))
const BENCHES: ReadonlyArray<{ readonly name: string; readonly gc: boolean }> = [
  { name: "run", gc: false },
  { name: "concurrency", gc: true },
  { name: "memory", gc: true },
  { name: "durable", gc: false }
]
const only = process.env["ONLY"]?.split(",").map((s) => s.trim())
const TSX = process.env["TSX"] === "1"

/** src/ and bench/ compiled into a temporary folder that resolves this checkout's node_modules. */
const compile = (): string => {
  const root = path.resolve(here, "..")
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "oa-bench-build-"))
  const tsc = path.join(root, "node_modules", "typescript", "bin", "tsc")
  execFileSync(process.execPath, [
    tsc, "-p", path.join(root, "tsconfig.json"), "--noEmit", "false", "--outDir", out, "--rootDir", root,
    "--declaration", "false", "--sourceMap", "false", "--noUnusedLocals", "false"
  ], { stdio: "inherit" })
  fs.symlinkSync(path.join(root, "node_modules"), path.join(out, "node_modules"), "dir")
  fs.writeFileSync(path.join(out, "package.json"), JSON.stringify({ type: "module" }))
  return out
}
const built = TSX ? undefined : compile()

const runOne = (name: string, gc: boolean) =>
  new Promise<{ code: number; summaries: Array<string>; seconds: number }>((resolve) => {
    const started = performance.now()
    const args = [
      ...(gc ? ["--expose-gc"] : []),
      ...(built ? [path.join(built, "bench", `${name}.js`)] : ["--import", "tsx", path.join(here, `${name}.ts`)])
    ]
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] })
    const summaries: Array<string> = []
    let pending = ""
    child.stdout.on("data", (data: Buffer) => {
      process.stdout.write(data)
      pending += data.toString("utf8")
      const lines = pending.split("\n")
      pending = lines.pop() ?? ""
      for (const line of lines) if (line.startsWith("SUMMARY ")) summaries.push(line.slice("SUMMARY ".length))
    })
    child.on("close", (code) => resolve({ code: code ?? 1, summaries, seconds: (performance.now() - started) / 1000 }))
  })

const main = async () => {
  const results: Array<{ name: string; code: number; summaries: Array<string>; seconds: number }> = []
  for (const { gc, name } of BENCHES) {
    if (only && !only.includes(name)) continue
    console.log("")
    results.push({ name, ...(await runOne(name, gc)) })
  }
  console.log(`\n## summary (load ${os.loadavg().map((l) => l.toFixed(2)).join(" ")})`)
  for (const r of results) {
    if (r.code !== 0) console.log(`${r.name}: FAILED (exit ${r.code})`)
    for (const s of r.summaries) console.log(`${s}  [${r.seconds.toFixed(0)} s]`)
  }
  if (results.some((r) => r.code !== 0)) process.exitCode = 1
  if (built) fs.rmSync(built, { recursive: true, force: true })
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
