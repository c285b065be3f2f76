/**
 * `openagents list-plugins`: the builtin plugin types per seam, and the model providers.
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import { printLine } from "./internal/exit.js"
import * as Builtins from "../config/Registry.js"

export const command = Command.make(
  "list-plugins",
  { format: Options.choice("format", ["table", "json"]).pipe(Options.withDefault("table" as const)) },
  ({ format }) => {
    const rows = Builtins.list()
    const providers = Object.entries(Builtins.providers).map(([name, p]) => ({ name, description: String(p) }))
    if (format === "json") return printLine(JSON.stringify({ plugins: rows, providers }, null, 2))
    // one column for every name, as wide as the longest (remember_preference, importance_weighted, ...)
    const width = Math.max(...rows.map((r) => r.name.length), ...providers.map((p) => p.name.length)) + 1
    const lines: Array<string> = []
    let seam = ""
    for (const row of rows) {
      if (row.seam !== seam) {
        seam = row.seam
        lines.push(`\n${Builtins.seamLabel[row.seam]} (${row.seam}):`)
      }
      const keys = row.configKeys.length > 0 ? `  [config: ${row.configKeys.map((k) => k.name).join(", ")}]` : ""
      lines.push(`  ${row.name.padEnd(width)} ${row.description}${keys}`)
    }
    lines.push("\nllm.provider:")
    for (const p of providers) lines.push(`  ${p.name.padEnd(width)} ${p.description}`)
    return printLine(lines.join("\n").trimStart())
  }
).pipe(Command.withDescription("List the builtin plugin types and model providers"))
