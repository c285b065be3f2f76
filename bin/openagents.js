#!/usr/bin/env node
// Runs the compiled CLI (dist/, what the published package ships), or in a checkout without a build the
// TypeScript sources through tsx, a dev dependency that an installed package does not have.
//
// The build ships the CLI twice: as modules (dist/cli/main.js, which import the project's effect
// packages) and as a bundle (dist/cli/bundle/, with its own copy of them, loaded in about half the time).
// The bundle runs unless a config named on the command line may load user code (an `impl`, or a
// `module#export` reference such as a policy's `evaluate`: user code must share effect with the runtime),
// or OPENAGENTS_BUNDLE=0.
import { existsSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const args = process.argv.slice(2)
if (args.length === 1 && (args[0] === "--version" || args[0] === "-v")) {
  // Answered here, before the runtime loads: a version check should not take a second
  process.stdout.write(JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version + "\n")
} else {
  const built = join(root, "dist", "cli", "main.js")
  const bundle = join(root, "dist", "cli", "bundle", "main.js")
  const userCode = () =>
    args.some((arg) => {
      if (!arg.endsWith(".json")) return false
      try {
        const text = readFileSync(arg, "utf8")
        return text.includes('"impl"') || /#[A-Za-z_$][\w$]*"/.test(text)
      } catch {
        return false
      }
    })
  let mod
  if (process.env.OPENAGENTS_BUNDLE !== "0" && existsSync(bundle) && !userCode()) {
    mod = await import(pathToFileURL(bundle).href)
  } else if (existsSync(built)) {
    mod = await import(pathToFileURL(built).href)
  } else {
    let register
    try {
      ;({ register } = await import("tsx/esm/api"))
    } catch {
      process.stderr.write(`openagents: ${built} is missing; build the package first (npm run build)\n`)
      process.exit(1)
    }
    register()
    mod = await import(pathToFileURL(join(root, "src", "cli", "main.ts")).href)
  }
  await mod.runMain()
}
