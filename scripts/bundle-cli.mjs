/**
 * Bundles the compiled CLI (dist/cli/main.js) with esbuild into dist/cli/bundle/: the CLI's code and
 * the packages it runs on (effect, @effect/*) in a few files instead of ~850 modules, which Node loads
 * in about half the time. Each command stays its own chunk, loaded when it runs. Left out: the native
 * SQLite driver and the optional SDKs (loaded from node_modules on first use), Ajv (loaded with
 * `require` on first use) and tsx.
 *
 * The bundle carries its own copy of effect, so bin/openagents.js runs it only for configs without user
 * code (`impl` modules import the effect package of the project, which must be the runtime's).
 *
 *   node scripts/bundle-cli.mjs        (npm run build runs it after tsc)
 */
import * as esbuild from "esbuild"
import * as fs from "node:fs"

const outdir = "dist/cli/bundle"
fs.rmSync(outdir, { recursive: true, force: true })
await esbuild.build({
  entryPoints: { main: "dist/cli/main.js" },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  external: ["better-sqlite3", "@anthropic-ai/sdk", "openai", "@modelcontextprotocol/sdk", "gpt-tokenizer", "ajv", "ajv/*", "tsx", "tsx/*"],
  // some bundled CommonJS packages call require(): give the ESM chunks one
  banner: { js: "import { createRequire as __oaCreateRequire } from 'node:module'; const require = __oaCreateRequire(import.meta.url);" },
  logLevel: "error"
})
