/**
 * What an in-flight run holds on the heap, by kind of object: N runs (default 500) of the concurrency
 * bench's shape are parked in their first model call, a heap snapshot is taken before and at that point,
 * and the difference is printed per run, by constructor (count and self bytes). For the runtime owner,
 * to see which objects make the heap per in-flight run of `npm run bench:concurrency`.
 *
 *   npm run bench:heap             (N=500 TOP=30 by default; writes two .heapsnapshot files to a temp dir)
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as v8 from "node:v8"
import { Effect, ManagedRuntime } from "effect"
import * as AgentRuntime from "../src/runtime/AgentRuntime.js"
import { benchModel, budgetFor, dropSession, gc, header, kb, runtimeLayer } from "./support.js"

const N = Number(process.env["N"] ?? 500)
const TOP = Number(process.env["TOP"] ?? 30)
const STEPS = 3

interface Snapshot {
  readonly snapshot: { readonly meta: { readonly node_fields: ReadonlyArray<string>; readonly node_types: ReadonlyArray<unknown> } }
  readonly nodes: ReadonlyArray<number>
  readonly strings: ReadonlyArray<string>
}

/** Count and self size by "type:name" of every node of a snapshot file. */
const tally = (file: string): Map<string, { count: number; bytes: number }> => {
  const snap = JSON.parse(fs.readFileSync(file, "utf8")) as Snapshot
  const fields = snap.snapshot.meta.node_fields
  const types = snap.snapshot.meta.node_types[0] as ReadonlyArray<string>
  const width = fields.length
  const iType = fields.indexOf("type")
  const iName = fields.indexOf("name")
  const iSize = fields.indexOf("self_size")
  const out = new Map<string, { count: number; bytes: number }>()
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + iType]!]!
    let name = type === "object" || type === "closure" || type === "native" ? snap.strings[snap.nodes[i + iName]!]! : `(${type})`
    if (name.length > 60) name = name.slice(0, 57) + "..."
    const key = `${type}: ${name}`
    const t = out.get(key) ?? { count: 0, bytes: 0 }
    t.count++
    t.bytes += snap.nodes[i + iSize]!
    out.set(key, t)
  }
  return out
}

const main = async () => {
  header(`heap of ${N} in-flight runs (parked in their first model call), by constructor`)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "oa-bench-heap-"))
  const latch = Effect.runSync(Effect.makeLatch(false))
  let armed = false
  let parked = 0
  let allParked: () => void = () => {}
  const everyoneParked = new Promise<void>((resolve) => (allParked = resolve))
  const model = benchModel(STEPS, {
    gate: Effect.suspend(() => (armed ? latch.await : Effect.void)),
    onCall: (step) => {
      if (armed && step === 0 && ++parked === N) allParked()
    }
  })
  const managed = ManagedRuntime.make(runtimeLayer(model, STEPS))
  const rt = await managed.runPromise(AgentRuntime.AgentRuntime)
  const budget = budgetFor(STEPS)
  const run = (i: number) => rt.runDetailed({ agentId: "bench", inputText: "go", sessionId: `h${i}`, budget })
  await managed.runPromise(Effect.zipRight(run(-1), dropSession("h-1")))
  gc()
  const before = v8.writeHeapSnapshot(path.join(dir, "before.heapsnapshot"))
  armed = true
  const all = managed.runPromise(Effect.forEach(Array.from({ length: N }, (_, i) => i), run, { concurrency: "unbounded", discard: true }))
  await everyoneParked
  gc()
  const during = v8.writeHeapSnapshot(path.join(dir, "parked.heapsnapshot"))
  Effect.runSync(latch.open)
  await all
  await managed.dispose()
  const a = tally(before)
  const b = tally(during)
  const diff = [...b].map(([k, v]) => {
    const o = a.get(k) ?? { count: 0, bytes: 0 }
    return { key: k, count: (v.count - o.count) / N, bytes: (v.bytes - o.bytes) / N }
  }).filter((d) => d.bytes > 0).sort((x, y) => y.bytes - x.bytes)
  const total = diff.reduce((s, d) => s + d.bytes, 0)
  console.log(`snapshots in ${dir}; self size added per in-flight run: ${kb(total)}`)
  console.log(`${"bytes/run".padStart(10)}${"objs/run".padStart(10)}  type: constructor`)
  for (const d of diff.slice(0, TOP)) console.log(`${d.bytes.toFixed(0).padStart(10)}${d.count.toFixed(1).padStart(10)}  ${d.key}`)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
