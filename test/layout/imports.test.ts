/**
 * Import direction, checked on every import of src/ (static, `export ... from` and dynamic `import()`).
 *
 * Layers, low to high: src/internal (shared utilities) < kernel < seams (llm, tools, patterns, memory,
 * context, sessions, events, skills, traces) < runtime < edges (config, client, cli, server, telemetry,
 * cluster, testing, and the src/index.ts barrel). A file imports its own layer or lower ones. Seams are independent: a seam may
 * name another seam only through `import type` of that seam's Tag module. No file of src/ imports from
 * test/ or bench/, and no CLI command file imports another (shared code lives in src/cli/internal/).
 */
import { assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import ts from "typescript"

const SRC = path.resolve("src")

const LAYERS: Readonly<Record<string, number>> = {
  internal: 0,
  kernel: 1,
  llm: 2,
  tools: 2,
  patterns: 2,
  memory: 2,
  context: 2,
  sessions: 2,
  events: 2,
  skills: 2,
  traces: 2,
  runtime: 3,
  config: 4,
  client: 4,
  cli: 4,
  testing: 4,
  server: 4,
  telemetry: 4,
  cluster: 4
}
const LAYER_NAMES = ["internal", "kernel", "seam", "runtime", "edge"]
const SEAM = 2

/** The modules holding a seam's Tag (and the types of its service), which other seams may name in types. */
const TAG_MODULES = new Set([
  "llm/LanguageModel.ts",
  "tools/Tool.ts",
  "tools/ToolExecutor.ts",
  "patterns/Pattern.ts",
  "memory/Memory.ts",
  "context/ContextAssembler.ts",
  "sessions/SessionStore.ts",
  "events/EventBus.ts",
  "skills/Skills.ts",
  "traces/TraceStore.ts"
])

interface Import {
  readonly specifier: string
  readonly typeOnly: boolean
  readonly line: number
}

/** Every import of a file: `import ... from`, `export ... from`, `import("...")` with a literal. */
const importsOf = (file: string, text: string): ReadonlyArray<Import> => {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
  const out: Array<Import> = []
  const lineOf = (node: ts.Node) => source.getLineAndCharacterOfPosition(node.getStart()).line + 1
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause
      // `import type {...}`, or `import { type A, type B }` with nothing else, leaves no runtime import
      const allTypes = clause !== undefined && !clause.name && clause.namedBindings !== undefined &&
        ts.isNamedImports(clause.namedBindings) && clause.namedBindings.elements.length > 0 &&
        clause.namedBindings.elements.every((e) => e.isTypeOnly)
      out.push({ specifier: node.moduleSpecifier.text, typeOnly: clause?.isTypeOnly === true || allTypes, line: lineOf(node) })
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      out.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly, line: lineOf(node) })
    } else if (
      ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments.length === 1 && ts.isStringLiteralLike(node.arguments[0]!)
    ) {
      out.push({ specifier: (node.arguments[0] as ts.StringLiteralLike).text, typeOnly: false, line: lineOf(node) })
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return out
}

/** The layer folder of a path relative to src/ (`"edge"` for the barrel src/index.ts). */
const folderOf = (relative: string): string => (relative.includes("/") ? relative.split("/")[0]! : "index")
const layerOf = (folder: string): number | undefined => (folder === "index" ? 4 : LAYERS[folder])

const isCliCommand = (relative: string) =>
  relative.startsWith("cli/") && !relative.startsWith("cli/internal/") && relative !== "cli/main.ts"

/**
 * The rule broken by each import of `files` (paths relative to src/, with their text), as
 * `file:line: message` lines.
 */
const violations = (files: ReadonlyMap<string, string>): ReadonlyArray<string> => {
  const out: Array<string> = []
  for (const [file, text] of files) {
    const from = folderOf(file)
    const fromLayer = layerOf(from)
    if (fromLayer === undefined) {
      out.push(`${file}: the folder src/${from}/ has no layer; add it to the layers of this test`)
      continue
    }
    for (const imp of importsOf(file, text)) {
      if (!imp.specifier.startsWith(".")) continue // packages
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), imp.specifier)).replace(/\.js$/, ".ts")
      const where = `src/${file}:${imp.line}`
      if (target.startsWith("../")) {
        out.push(`${where}: imports ${imp.specifier}, outside src/ (src/ never imports test/ or bench/)`)
        continue
      }
      const to = folderOf(target)
      const toLayer = layerOf(to)
      if (toLayer === undefined) {
        out.push(`${where}: imports src/${target}, whose folder has no layer`)
      } else if (toLayer > fromLayer) {
        out.push(
          `${where}: upward import of src/${target} (${LAYER_NAMES[fromLayer]} ${from} -> ${LAYER_NAMES[toLayer]} ${to})`
        )
      } else if (fromLayer === SEAM && toLayer === SEAM && from !== to) {
        if (!imp.typeOnly || !TAG_MODULES.has(target)) {
          out.push(
            `${where}: seam ${from} imports seam ${to} (src/${target}); seams may only \`import type\` another seam's Tag module`
          )
        }
      }
      if (isCliCommand(file) && isCliCommand(target)) {
        out.push(`${where}: CLI command imports another command (src/${target}); move shared code to src/cli/internal/`)
      }
    }
  }
  return out
}

const walk = (dir: string): Array<string> =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    return entry.isDirectory() ? walk(full) : entry.name.endsWith(".ts") ? [full] : []
  })

describe("import direction", () => {
  it("every import of src/ points to its own layer or a lower one", () => {
    const files = new Map(
      walk(SRC).map((full) => [path.relative(SRC, full).split(path.sep).join("/"), fs.readFileSync(full, "utf8")] as const)
    )
    assert.isAbove(files.size, 50)
    assert.deepStrictEqual(violations(files), [])
  })

  it("the checker finds each kind of violation", () => {
    const files = new Map<string, string>([
      ["kernel/Run.ts", `import { AgentRuntime } from "../runtime/AgentRuntime.js"`],
      ["llm/Model.ts", `import type { X } from "../../test/support/x.js"`],
      ["memory/Memory.ts", `import type { SessionStore } from "../sessions/SessionStore.js"`],
      ["memory/Window.ts", `import { SessionStore } from "../sessions/SessionStore.js"`],
      ["memory/Redis.ts", `import type { S } from "../sessions/SqliteSessionStore.js"`],
      ["runtime/Agent.ts", `export { load } from "../config/ConfigLoader.js"`],
      ["tools/Lazy.ts", `const m = () => import("../runtime/AgentRuntime.js")`],
      ["llm/Wire.ts", `import { Wire } from "../testing/WireServer.js"`],
      ["testing/Kit.ts", `import { main } from "../cli/main.js"\nimport * as Mock from "../llm/MockModel.js"`],
      ["cli/run.ts", `import { x } from "./sessions.js"\nimport { y } from "./internal/exit.js"`],
      ["cli/main.ts", `import * as Run from "./run.js"`],
      ["internal/suggest.ts", `import { closest } from "./other.js"`],
      ["widgets/W.ts", ``]
    ])
    const found = violations(files)
    const expected: ReadonlyArray<RegExp> = [
      /^src\/kernel\/Run\.ts:1: upward import of src\/runtime\/AgentRuntime\.ts \(kernel kernel -> runtime runtime\)$/,
      /^src\/llm\/Model\.ts:1: imports .*outside src\//,
      /^src\/memory\/Window\.ts:1: seam memory imports seam sessions/,
      /^src\/memory\/Redis\.ts:1: seam memory imports seam sessions \(src\/sessions\/SqliteSessionStore\.ts\)/,
      /^src\/runtime\/Agent\.ts:1: upward import of src\/config\/ConfigLoader\.ts/,
      /^src\/tools\/Lazy\.ts:1: upward import of src\/runtime\/AgentRuntime\.ts/,
      /^src\/llm\/Wire\.ts:1: upward import of src\/testing\/WireServer\.ts \(seam llm -> edge testing\)$/,
      /^src\/cli\/run\.ts:1: CLI command imports another command/,
      /^widgets\/W\.ts: the folder src\/widgets\/ has no layer/
    ]
    assert.strictEqual(found.length, expected.length, found.join("\n"))
    expected.forEach((re, i) => assert.match(found[i]!, re))
  })
})

describe("module size", () => {
  it("no file of src/runtime/ is over 400 lines: the run loop stays made of parts a newcomer can read", () => {
    const files = (fs.readdirSync(path.join(SRC, "runtime"), { recursive: true }) as Array<string>)
      .filter((f) => f.endsWith(".ts"))
    assert.isAbove(files.length, 10)
    const over = files
      .map((f) => ({ f, lines: fs.readFileSync(path.join(SRC, "runtime", f), "utf8").split("\n").length }))
      .filter(({ lines }) => lines > 400)
      .map(({ f, lines }) => `src/runtime/${f}: ${lines} lines`)
    assert.deepStrictEqual(over, [])
  })
})
