/**
 * Builds the web console from its sources (src/server/console) with esbuild: one ES module, its
 * stylesheet and its page. `npm run build` writes them to dist/console (scripts/bundle-console.mjs);
 * run from source (tsx, vitest), the server builds them in memory on the first request.
 */
import { existsSync, readFileSync } from "node:fs"
import * as path from "node:path"

/** The console's three files. */
export interface ConsoleFiles {
  readonly "index.html": string
  readonly "app.js": string
  readonly "app.css": string
}

/** The names of the files, as served under `/console/` (the page at `/`). */
export const FILE_NAMES = ["index.html", "app.js", "app.css"] as const

/** The sources' folder under a package root. */
export const sourceDir = (root: string): string => path.join(root, "src", "server", "console")

/** The built files' folder under a package root. */
export const builtDir = (root: string): string => path.join(root, "dist", "console")

/** Reads the built files; undefined when the package holds no build of them. */
export const readBuilt = (root: string): ConsoleFiles | undefined => {
  const dir = builtDir(root)
  if (!FILE_NAMES.every((f) => existsSync(path.join(dir, f)))) return undefined
  const read = (f: string) => readFileSync(path.join(dir, f), "utf8")
  return { "index.html": read("index.html"), "app.js": read("app.js"), "app.css": read("app.css") }
}

/**
 * Bundles the sources in memory. esbuild is a build-time tool (a devDependency): it is imported here,
 * on demand, so a built package never needs it.
 */
export const bundle = async (root: string): Promise<ConsoleFiles> => {
  const dir = sourceDir(root)
  const esbuild = await import("esbuild")
  const out = await esbuild.build({
    entryPoints: [path.join(dir, "main.ts")],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: ["chrome110", "firefox110", "safari16"],
    minify: true,
    legalComments: "none",
    logLevel: "silent"
  })
  const js = out.outputFiles[0]
  if (!js) throw new Error("esbuild wrote no bundle for the console")
  return {
    "index.html": readFileSync(path.join(dir, "index.html"), "utf8"),
    "app.js": js.text,
    "app.css": readFileSync(path.join(dir, "app.css"), "utf8")
  }
}
