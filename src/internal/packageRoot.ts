/**
 * The folder of the openagents package this code runs from: the nearest folder upwards holding a
 * package.json named `openagents`. Found by walking up rather than by a fixed number of `..`, so the
 * answer is the same from `src/`, from `dist/` and from the CLI's bundle.
 */
import { readFileSync } from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

let found: { readonly root: string; readonly json: Record<string, unknown> } | undefined

const find = (): { readonly root: string; readonly json: Record<string, unknown> } => {
  if (found) return found
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (;;) {
    try {
      const json = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as Record<string, unknown>
      if (json["name"] === "openagents") return (found = { root: dir, json })
    } catch {
      // no package.json here: go up
    }
    const up = path.dirname(dir)
    if (up === dir) return (found = { root: path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", ".."), json: {} })
    dir = up
  }
}

/** The package's folder. */
export const packageRoot = (): string => find().root

/** The package's package.json (empty when it cannot be read). */
export const packageJson = (): Record<string, unknown> => find().json
