/**
 * Starts the loopback wire server by hand, for manual `openagents run` sessions:
 *
 *   npx tsx test/support/wire-server-main.ts --port 8787 [--scenario calc | --script replies.json] [--quiet]
 *
 * It speaks Anthropic Messages, OpenAI Chat Completions and Responses on one port. Scripted replies are
 * played in order (a JSON array of `Reply`, see `WireServer.ts`, or `{ "replies": [...] }`); once they are
 * used up, every request gets an echo of its last user message (or of the tool result it carries).
 */
import * as fs from "node:fs"
import * as WireServer from "../../src/testing/WireServer.js"

const { Wire } = WireServer

const SCENARIOS: Readonly<Record<string, ReadonlyArray<WireServer.Reply>>> = {
  /** One calc tool call; the echo fallback then answers with the tool result. */
  calc: [Wire.message([Wire.text("Let me compute that."), Wire.toolCall("call_1", "calc", { expression: "6*7" })])],
  /** Thinking (Anthropic) / a reasoning item (Responses) before the tool call. */
  thinking: [
    Wire.message([
      Wire.thinking("The user wants arithmetic: use calc.", "c2lnbmF0dXJl"),
      Wire.toolCall("call_1", "calc", { expression: "6*7" })
    ])
  ],
  /** A 429 with retry-after-ms, then the calc scenario: shows the runtime's retry. */
  "rate-limit": [Wire.rateLimited({ retryAfterMs: 1000 }), Wire.message([Wire.toolCall("call_1", "calc", { expression: "6*7" })])],
  /** A stream that stalls after its first events: shows the idle watchdog (set idle_timeout_ms low). */
  stall: [Wire.stall(3)],
  /** A stream kept alive by pings / SSE comments for 10 s before its text: the watchdog must not fire. */
  slow: [Wire.keepalive(10, 1000, { afterEvents: 2 })],
  /** Nothing scripted: echo only. */
  echo: []
}

const usage = () => {
  process.stderr.write(
    "usage: wire-server-main.ts [--port 8787] [--host 127.0.0.1] [--scenario " +
      Object.keys(SCENARIOS).join("|") +
      "] [--script replies.json] [--quiet]\n"
  )
  process.exit(2)
}

const args = process.argv.slice(2)
const options: { port: number; host: string; replies: Array<WireServer.Reply>; log: boolean } = {
  port: 8787,
  host: "127.0.0.1",
  replies: [],
  log: true
}
for (let i = 0; i < args.length; i++) {
  const flag = args[i]
  const value = () => {
    const v = args[++i]
    if (v === undefined) usage()
    return v as string
  }
  switch (flag) {
    case "--port":
      options.port = Number(value())
      if (!Number.isInteger(options.port) || options.port < 0) usage()
      break
    case "--host":
      options.host = value()
      break
    case "--scenario": {
      const name = value()
      const scenario = SCENARIOS[name]
      if (!scenario) {
        process.stderr.write(`unknown scenario '${name}'\n`)
        usage()
      }
      options.replies.push(...scenario!)
      break
    }
    case "--script": {
      const file = value()
      const parsed: unknown = JSON.parse(fs.readFileSync(file, "utf8"))
      const replies = Array.isArray(parsed) ? parsed : (parsed as { replies?: unknown }).replies
      if (!Array.isArray(replies)) {
        process.stderr.write(`${file}: expected a JSON array of replies or {"replies": [...]}\n`)
        process.exit(2)
      }
      options.replies.push(...(replies as Array<WireServer.Reply>))
      break
    }
    case "--quiet":
      options.log = false
      break
    case "--help":
    case "-h":
      usage()
      break
    default:
      process.stderr.write(`unknown argument '${flag}'\n`)
      usage()
  }
}

const server = await WireServer.start({
  port: options.port,
  host: options.host,
  replies: options.replies,
  fallback: "echo",
  log: options.log
})

process.stdout.write(
  [
    `wire server listening on ${server.url} (${options.replies.length} scripted repl${options.replies.length === 1 ? "y" : "ies"}, then echo)`,
    `  Anthropic:          ANTHROPIC_BASE_URL=${server.anthropicBaseUrl} ANTHROPIC_API_KEY=local`,
    `  OpenAI:             OPENAI_BASE_URL=${server.openAiBaseUrl} OPENAI_API_KEY=local`,
    `  OpenAI-compatible:  LOCAL_LLM_BASE_URL=${server.openAiBaseUrl}`,
    ""
  ].join("\n")
)

const stop = () => {
  void server.close().then(() => process.exit(0))
}
process.on("SIGINT", stop)
process.on("SIGTERM", stop)
