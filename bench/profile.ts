/**
 * `npm run bench:profile`: runs bench/run.ts in PROFILE mode (the runtime only) under `node --cpu-prof`
 * and prints the summary of bench/profile-summary.ts. RUNS (default 1000) and STEPS pass through; the
 * profiles stay in the printed folder for Chrome DevTools or speedscope.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const here = path.dirname(fileURLToPath(import.meta.url))
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "oa-bench-profile-"))
const env = { ...process.env, PROFILE: "1", RUNS: process.env["RUNS"] ?? "1000" }
const run = spawnSync(process.execPath, ["--import", "tsx", "--cpu-prof", `--cpu-prof-dir=${dir}`, path.join(here, "run.ts")], { stdio: "inherit", env })
if (run.status !== 0) process.exit(run.status ?? 1)
// the main thread's profile is the largest; tsx's loader thread writes a small one beside it
const files = fs.readdirSync(dir).map((f) => path.join(dir, f)).sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)
console.log(`profiles in ${dir}`)
spawnSync(process.execPath, ["--import", "tsx", path.join(here, "profile-summary.ts"), files[0]!], { stdio: "inherit" })
