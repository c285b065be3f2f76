/**
 * `openagents doctor [--config CONFIG] [--format text|json]`: what this installation can do. The Node.js
 * version, the packages openagents needs and the optional ones it uses when present (SQLite driver,
 * provider SDKs, MCP SDK, tokenizer, test kit), and which provider key variables are set (never their
 * values). With a config, also what that config needs: its providers' SDKs and key variables.
 *
 * Exit 1 only for a hard problem (a Node.js too old, a required package missing, a config that cannot
 * run); a missing optional package or an unset key is information.
 *
 * @since 0.2.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import * as path from "node:path"
import { packageRoot } from "../internal/packageRoot.js"
import { CliExit, EXIT, printLine } from "./internal/exit.js"

/** What each package is for, in a line of doctor's output. */
const PURPOSE: Readonly<Record<string, string>> = {
  "effect": "the runtime",
  "@effect/cli": "the command line",
  "@effect/platform": "files, terminal, HTTP",
  "@effect/platform-node": "Node.js platform layers",
  "@effect/sql": "SQL session stores",
  "@effect/sql-sqlite-node": "the sqlite session store (openagents/sqlite)",
  "@effect/sql-pg": "the postgres session store (openagents/postgres)",
  "@effect/experimental": "persistence and tracing extras",
  "@anthropic-ai/sdk": "llm.provider anthropic",
  "openai": "llm.provider openai and openai_compatible",
  "@modelcontextprotocol/sdk": "MCP tools",
  "gpt-tokenizer": "token counting (else an estimate)",
  "@effect/vitest": "openagents/testing's conformance suite",
  "vitest": "openagents/testing's conformance suite"
}

const PROVIDER_SDK: Readonly<Record<string, string>> = {
  anthropic: "@anthropic-ai/sdk",
  openai: "openai",
  openai_compatible: "openai"
}
const PROVIDER_KEY: Readonly<Record<string, string>> = { anthropic: "ANTHROPIC_API_KEY", openai: "OPENAI_API_KEY" }

const PACKAGE_ROOT = packageRoot()

/** Where Node.js would find `name` from `from`: the nearest node_modules/<name> upwards, with its version. */
const findPackage = (name: string, from: string): { readonly version: string; readonly dir: string } | undefined => {
  for (let dir = from;; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "node_modules", name, "package.json")
    try {
      const json = JSON.parse(fs.readFileSync(candidate, "utf8")) as { version?: unknown }
      return { version: typeof json.version === "string" ? json.version : "?", dir: path.dirname(candidate) }
    } catch {
      // not here: one folder up
    }
    if (path.dirname(dir) === dir) return undefined
  }
}

interface PackageRow {
  readonly name: string
  readonly required: boolean
  readonly found: boolean
  readonly version?: string | undefined
  readonly usedFor: string
}

interface KeyRow {
  readonly name: string
  readonly set: boolean
  /** Agents of the config that need it. */
  readonly neededBy: ReadonlyArray<string>
}

/**
 * What doctor found, as `--format json` prints it.
 *
 * @since 0.2.0
 * @category models
 */
export interface Report {
  readonly ok: boolean
  readonly openagents: string
  readonly node: { readonly version: string; readonly required: string; readonly ok: boolean }
  readonly packages: ReadonlyArray<PackageRow>
  readonly keys: ReadonlyArray<KeyRow>
  readonly problems: ReadonlyArray<string>
}

const ownPackage = (): { version: string; engines: string; peers: Record<string, string>; optional: Set<string> } => {
  const json = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, "package.json"), "utf8"))
  return {
    version: String(json.version),
    engines: String(json.engines?.node ?? ">=20"),
    peers: json.peerDependencies ?? {},
    optional: new Set(Object.keys(json.peerDependenciesMeta ?? {}).filter((k) => json.peerDependenciesMeta[k]?.optional))
  }
}

const isSet = (name: string) => (process.env[name] ?? "") !== ""

/** The providers of a config's agents, with their key variables: `[agentId, provider, keyEnv?]`. */
const configNeeds = (configPath: string) =>
  Effect.gen(function*() {
    const [ConfigLoader, { configFailure }] = yield* Effect.promise(() =>
      Promise.all([import("../config/ConfigLoader.js"), import("./internal/configErrors.js")])
    )
    const loaded = yield* ConfigLoader.loadFile(configPath).pipe(Effect.mapError(configFailure))
    return loaded.config.agents.map((agent) => {
      const llm = (agent.llm ?? { provider: "mock" }) as { provider: string; api_key_env?: string | null }
      return [agent.id, llm.provider, llm.api_key_env ?? PROVIDER_KEY[llm.provider]] as const
    })
  })

const report = (configPath: Option.Option<string>) =>
  Effect.gen(function*() {
    const own = ownPackage()
    const problems: Array<string> = []
    const major = Number(process.versions.node.split(".")[0])
    const required = Number(/\d+/.exec(own.engines)?.[0] ?? 20)
    const nodeOk = major >= required
    if (!nodeOk) problems.push(`Node.js ${process.version} is too old: openagents needs ${own.engines}`)

    const packages: Array<PackageRow> = Object.keys(own.peers).sort((a, b) => {
      const ra = own.optional.has(a) ? 1 : 0
      const rb = own.optional.has(b) ? 1 : 0
      return ra - rb || a.localeCompare(b)
    }).map((name) => {
      const found = findPackage(name, PACKAGE_ROOT)
      const row: PackageRow = {
        name,
        required: !own.optional.has(name),
        found: found !== undefined,
        ...(found ? { version: found.version } : {}),
        usedFor: PURPOSE[name] ?? ""
      }
      if (row.required && !row.found) problems.push(`${name} is missing: npm install ${name}`)
      return row
    })

    const needs = Option.isSome(configPath) ? yield* configNeeds(configPath.value) : []
    const keyNames = new Set(Object.values(PROVIDER_KEY))
    for (const [, , key] of needs) if (key) keyNames.add(key)
    const keys: Array<KeyRow> = [...keyNames].sort().map((name) => ({
      name,
      set: isSet(name),
      neededBy: needs.filter(([, , key]) => key === name).map(([id]) => id)
    }))
    for (const [agentId, provider, key] of needs) {
      const sdk = PROVIDER_SDK[provider]
      if (sdk && !packages.some((p) => p.name === sdk && p.found)) {
        problems.push(`agent '${agentId}' uses llm.provider ${provider}, whose SDK is missing: npm install ${sdk}`)
      }
      if (key && !isSet(key) && provider !== "openai_compatible") {
        problems.push(`agent '${agentId}' uses llm.provider ${provider}, and ${key} is not set`)
      }
    }
    const result: Report = {
      ok: problems.length === 0,
      openagents: own.version,
      node: { version: process.version, required: own.engines, ok: nodeOk },
      packages,
      keys,
      problems
    }
    return result
  })

const text = (r: Report): string => {
  const lines = [
    `openagents ${r.openagents}`,
    `node ${r.node.version} (${process.platform}-${process.arch}): ${r.node.ok ? "ok" : "too old"}, needs ${r.node.required}`,
    "",
    "packages:"
  ]
  for (const p of r.packages) {
    const state = p.found ? `ok       ${p.name} ${p.version}` : `${p.required ? "MISSING" : "missing"}  ${p.name}`
    lines.push(`  ${state.padEnd(46)} ${p.required ? "required" : "optional"}: ${p.usedFor}`)
  }
  lines.push("", "provider keys (values never shown):")
  for (const k of r.keys) {
    const needed = k.neededBy.length > 0 ? `  needed by ${k.neededBy.join(", ")}` : ""
    lines.push(`  ${(k.set ? "set      " : "not set  ") + k.name}${needed}`)
  }
  lines.push("")
  if (r.problems.length === 0) lines.push("no problems found")
  else lines.push(`${r.problems.length} problem${r.problems.length === 1 ? "" : "s"}:`, ...r.problems.map((p) => `  ${p}`))
  return lines.join("\n")
}

/**
 * The `doctor` command.
 *
 * @since 0.2.0
 * @category commands
 */
export const command = Command.make(
  "doctor",
  {
    config: Options.text("config").pipe(
      Options.withDescription("Also check what this agent.json needs (its providers' SDKs and keys)"),
      Options.optional
    ),
    format: Options.choice("format", ["text", "json"]).pipe(
      Options.withDescription("text: readable lines; json: machine-readable"),
      Options.withDefault("text" as const)
    )
  },
  ({ config, format }) =>
    Effect.gen(function*() {
      const r = yield* report(config)
      yield* printLine(format === "json" ? JSON.stringify(r, null, 2) : text(r))
      if (!r.ok) return yield* new CliExit({ code: EXIT.failed })
    })
).pipe(Command.withDescription("Check Node.js, the installed packages and the provider key variables"))
