/**
 * `openagents init NAME`: a new project in the folder NAME, ready to `npm install` and run.
 *
 * @since 0.2.0
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { CliExit, EXIT, printLine } from "./internal/exit.js"
import { files } from "./internal/scaffold.js"

/**
 * The options of `openagents init`.
 *
 * @since 0.2.0
 * @category options
 */
export const options = {
  name: Args.text({ name: "name" }).pipe(Args.withDescription("The project's folder (created; an existing one must be empty)")),
  template: Options.choice("template", ["basic", "tools", "durable"]).pipe(
    Options.withDescription("basic: one agent, builtin tools; tools: a tools.js of yours; durable: tools, sessions on disk, resumable runs"),
    Options.withDefault("basic" as const)
  ),
  provider: Options.choice("provider", ["mock", "openai", "anthropic"]).pipe(
    Options.withDescription("The model provider (mock runs offline)"),
    Options.withDefault("mock" as const)
  )
}

/**
 * The `init` command.
 *
 * @since 0.2.0
 * @category commands
 */
export const command = Command.make("init", options, ({ name, provider, template }) =>
  Effect.gen(function*() {
    const dir = path.resolve(name)
    const existing = yield* Effect.try({
      try: () => (fs.existsSync(dir) ? fs.readdirSync(dir) : undefined),
      catch: (e) => new CliExit({ code: EXIT.usage, message: `${name}: ${(e as Error).message} (is it a file?)` })
    })
    if (existing !== undefined && existing.length > 0) {
      return yield* new CliExit({
        code: EXIT.usage,
        message: `${name} is not empty (${existing.slice(0, 5).join(", ")}${existing.length > 5 ? ", ..." : ""}); nothing was written\n` +
          "  hint: choose a new folder name, or empty this one"
      })
    }
    const written = files(path.basename(dir), template, provider)
    yield* Effect.try({
      try: () => {
        fs.mkdirSync(dir, { recursive: true })
        for (const [file, text] of written) fs.writeFileSync(path.join(dir, file), text, { flag: "wx" })
      },
      catch: (e) => new CliExit({ code: EXIT.failed, message: `could not write ${name}: ${(e as Error).message}` })
    })
    const rel = path.relative(process.cwd(), dir) || "."
    yield* printLine(
      [
        `created ${rel}/ (template ${template}, provider ${provider}): ${written.map(([f]) => f).join(", ")}`,
        "",
        `  cd ${rel}`,
        "  npm install",
        "  npx openagents chat agent.json"
      ].join("\n")
    )
  })).pipe(Command.withDescription("Create a project: agent.json, package.json, README (and tools.js); never overwrites"))
