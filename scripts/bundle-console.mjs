/**
 * Bundles the web console (src/server/console: TypeScript, CSS, the page) with esbuild into
 * dist/console/, which `openagents serve` serves at `/` from the built package. It uses the compiled
 * dist/server/internal/consoleBundle.js, so the build and the in-memory bundle of a source checkout
 * are the same build.
 *
 *   node scripts/bundle-console.mjs        (npm run build runs it after tsc)
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { bundle, builtDir, FILE_NAMES } from "../dist/server/internal/consoleBundle.js"

const root = process.cwd()
const files = await bundle(root)
const outdir = builtDir(root)
fs.rmSync(outdir, { recursive: true, force: true })
fs.mkdirSync(outdir, { recursive: true })
for (const name of FILE_NAMES) fs.writeFileSync(path.join(outdir, name), files[name])
