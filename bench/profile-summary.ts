/**
 * Summarises a `.cpuprofile` written by `node --cpu-prof`: self time by module (file) and the top
 * functions by self time, each with its share of the total.
 *
 *   PROFILE=1 RUNS=3000 node --import tsx --cpu-prof --cpu-prof-dir=/tmp/prof bench/run.ts
 *   npx tsx bench/profile-summary.ts /tmp/prof/CPU.*.cpuprofile      (TOP=25 by default)
 */
import * as fs from "node:fs"

interface Node {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number; readonly columnNumber: number }
  readonly hitCount?: number
  readonly children?: ReadonlyArray<number>
}
interface Profile {
  readonly nodes: ReadonlyArray<Node>
  readonly samples?: ReadonlyArray<number>
  readonly timeDeltas?: ReadonlyArray<number>
}

const TOP = Number(process.env["TOP"] ?? 25)

/** A short module name: the path inside the project or inside node_modules. */
const moduleOf = (url: string): string => {
  if (url === "") return "(native / vm)"
  const nm = url.lastIndexOf("/node_modules/")
  if (nm >= 0) return url.slice(nm + "/node_modules/".length)
  const src = url.search(/\/(src|bench|test)\//)
  if (src >= 0) return url.slice(src + 1)
  return url.replace(/^file:\/\//, "")
}

const files = process.argv.slice(2)
if (files.length === 0) {
  console.error("usage: tsx bench/profile-summary.ts <file.cpuprofile>...")
  process.exit(2)
}
const selfByModule = new Map<string, number>()
const selfByFunction = new Map<string, number>()
/** Time spent below each project function (src/), attributed to the nearest one on the stack. */
const byProjectFrame = new Map<string, number>()
let total = 0
for (const file of files) {
  const profile = JSON.parse(fs.readFileSync(file, "utf8")) as Profile
  // self time from the samples and their time deltas (hitCount alone ignores the sampling jitter)
  const selfUs = new Map<number, number>()
  if (profile.samples && profile.timeDeltas) {
    profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas![i + 1] ?? 0)))
  } else {
    for (const n of profile.nodes) selfUs.set(n.id, n.hitCount ?? 0)
  }
  const parent = new Map<number, number>()
  const byId = new Map<number, Node>()
  for (const n of profile.nodes) {
    byId.set(n.id, n)
    for (const c of n.children ?? []) parent.set(c, n.id)
  }
  const nearestProject = (id: number): string => {
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame
      if (/\/src\//.test(f.url) && !f.url.includes("/node_modules/")) {
        return `${f.functionName || "(anonymous)"} (${moduleOf(f.url)}:${f.lineNumber + 1}:${f.columnNumber + 1})`
      }
    }
    return "(no project frame)"
  }
  for (const n of profile.nodes) {
    const t = selfUs.get(n.id) ?? 0
    if (t > 0 && !["(idle)", "(program)", "(garbage collector)"].includes(n.callFrame.functionName)) {
      const key = nearestProject(n.id)
      byProjectFrame.set(key, (byProjectFrame.get(key) ?? 0) + t)
    }
    if (t === 0) continue
    const name = n.callFrame.functionName || "(anonymous)"
    if (name === "(idle)" || name === "(program)" || name === "(garbage collector)") {
      selfByModule.set(name, (selfByModule.get(name) ?? 0) + t)
      selfByFunction.set(name, (selfByFunction.get(name) ?? 0) + t)
      total += t
      continue
    }
    const mod = moduleOf(n.callFrame.url)
    const fn = `${name} (${mod}:${n.callFrame.lineNumber + 1}:${n.callFrame.columnNumber + 1})`
    selfByModule.set(mod, (selfByModule.get(mod) ?? 0) + t)
    selfByFunction.set(fn, (selfByFunction.get(fn) ?? 0) + t)
    total += t
  }
}
const pct = (t: number) => `${((100 * t) / total).toFixed(1).padStart(5)}%`
const ms = (t: number) => `${(t / 1000).toFixed(0).padStart(7)} ms`
console.log(`total sampled: ${(total / 1000).toFixed(0)} ms in ${files.length} profile(s)`)
console.log(`\nself time by module (top ${TOP})`)
for (const [m, t] of [...selfByModule].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`${pct(t)} ${ms(t)}  ${m}`)
console.log(`\nself time by function (top ${TOP})`)
for (const [f, t] of [...selfByFunction].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`${pct(t)} ${ms(t)}  ${f}`)
console.log(`\ntime attributed to the nearest project function on the stack (top ${TOP})`)
for (const [f, t] of [...byProjectFrame].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`${pct(t)} ${ms(t)}  ${f}`)
