/**
 * Counts the modules a process loads, for start-up measurements:
 *
 *   node --import tsx --import ./bench/count-modules.mjs src/cli/main.ts run examples/assistant.json --input hi
 *
 * At exit it prints to stderr how many ES modules were resolved (through a module hook, after tsx) and
 * how many CommonJS modules were loaded, split by package for the heavy ones; `COUNT_MODULES=list` prints
 * every URL.
 */
import { createRequire, register } from "node:module"
import { MessageChannel } from "node:worker_threads"

const { port1, port2 } = new MessageChannel()
const esm = new Set()
port1.on("message", (url) => esm.add(url))
port1.unref()
const hook = `data:text/javascript,${encodeURIComponent(`
let port
export function initialize(data) { port = data.port }
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context)
  port.postMessage(r.url)
  return r
}`)}`
register(hook, { data: { port: port2 }, transferList: [port2] })

const require = createRequire(import.meta.url)
process.on("exit", () => {
  const cjs = Object.keys(require.cache)
  const all = [...esm, ...cjs.map((p) => `file://${p}`)]
  const unique = new Set(all.filter((u) => !u.startsWith("node:")))
  const by = (needle) => [...unique].filter((u) => u.includes(needle)).length
  process.stderr.write(
    `[modules] ${unique.size} loaded (${esm.size} ESM resolves, ${cjs.length} CJS); ` +
      `openai ${by("/openai/")}, @anthropic-ai/sdk ${by("/@anthropic-ai/sdk/")}, @opentelemetry ${by("/@opentelemetry/")}\n`
  )
  if (process.env.COUNT_MODULES === "list") for (const u of [...unique].sort()) process.stderr.write(`${u}\n`)
})
