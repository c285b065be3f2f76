/**
 * The files of `openagents init NAME`: an agent.json for a template and a provider, a tool module when
 * the template has tools, a package.json with openagents, effect and the provider's SDK, and a README
 * that says how to run it.
 *
 * @since 0.2.0
 */
import { packageJson } from "../../internal/packageRoot.js"

/**
 * The templates: `basic` (one agent with the builtin calculator), `tools` (a tool module of yours),
 * `durable` (tools, a session store on disk, and runs that resume after a crash).
 *
 * @since 0.2.0
 * @category models
 */
export type Template = "basic" | "tools" | "durable"

/**
 * The providers a project can start with.
 *
 * @since 0.2.0
 * @category models
 */
export type Provider = "mock" | "openai" | "anthropic"

const ownPackage = (): { version: string; peerDependencies: Record<string, string> } => {
  const json = packageJson()
  return {
    version: String(json["version"] ?? "0.0.0"),
    peerDependencies: (json["peerDependencies"] ?? {}) as Record<string, string>
  }
}

const LLM: Record<Provider, Record<string, unknown>> = {
  mock: { provider: "mock" },
  openai: { provider: "openai", model: "gpt-4o-mini", api_key_env: "OPENAI_API_KEY" },
  anthropic: { provider: "anthropic", model: "claude-sonnet-4-6", api_key_env: "ANTHROPIC_API_KEY" }
}

const SDK: Record<Provider, string | undefined> = { mock: undefined, openai: "openai", anthropic: "@anthropic-ai/sdk" }
const KEY: Record<Provider, string | undefined> = { mock: undefined, openai: "OPENAI_API_KEY", anthropic: "ANTHROPIC_API_KEY" }

const TOOLS_JS = `// Tools of your agent: each export is a Tool, named by agent.json as "./tools.js#<export>".
// A tool module imports effect and openagents from this project's node_modules.
import { Effect, Schema } from "effect"
import { Tool } from "openagents"

const capitals = { France: "Paris", Japan: "Tokyo", Kenya: "Nairobi" }

export const capital = Tool.make("capital", {
  description: "The capital city of a country",
  parameters: Schema.Struct({ country: Schema.String }),
  handler: ({ country }) => Effect.succeed(capitals[country] ?? "unknown")
})
`

/**
 * The agent.json of a template and a provider.
 *
 * @since 0.2.0
 * @category scaffolding
 */
export const agentJson = (template: Template, provider: Provider): Record<string, unknown> => ({
  $schema: "./node_modules/openagents/schema/agent.schema.json",
  version: "1.0",
  agents: [
    {
      id: "assistant",
      name: "Assistant",
      instructions: template === "basic"
        ? "You are a helpful assistant. Use the calculator for arithmetic."
        : "You are a helpful assistant. Use the capital tool for capitals and the calculator for arithmetic.",
      llm: LLM[provider],
      memory: { type: "window_buffer", config: { window_size: 20 } },
      pattern: { type: "react" },
      tools: [
        { id: "calc", type: "calc" },
        ...(template === "basic" ? [] : [{ id: "capital", impl: "./tools.js#capital" }])
      ]
    }
  ],
  ...(template === "durable" ? { session: { type: "jsonl_file", config: { root_dir: "./sessions" } } } : {})
})

const readme = (name: string, template: Template, provider: Provider): string => {
  const key = KEY[provider]
  const ask = provider === "mock"
    ? template === "basic" ? `/tool calc {"expression": "6*7"}` : `/tool capital {"country": "Japan"}`
    : template === "basic" ? "What is 6*7?" : "What is the capital of Japan?"
  const durable = template === "durable" ? " --session demo --durable" : ""
  return `# ${name}

An agent on [openagents](https://www.npmjs.com/package/openagents) (template \`${template}\`, provider \`${provider}\`).

\`\`\`sh
npm install
${key ? `export ${key}=...          # your key; openagents doctor says whether it is set\n` : ""}npx openagents validate agent.json
npx openagents run agent.json${durable} --input '${ask}'
npx openagents chat agent.json          # a conversation; /help inside
npx openagents dev agent.json           # the same, reloading agent.json when you save it
\`\`\`
${provider === "mock" ? `
The \`mock\` provider answers offline: it echoes, and \`/tool <id> <json>\` calls a tool. Switch
\`llm\` in agent.json to \`{"provider": "openai"}\` or \`{"provider": "anthropic"}\` (and install its SDK)
for a real model.
` : ""}${template !== "basic" ? `
\`tools.js\` holds your tools: each export is a \`Tool\` that agent.json names as \`./tools.js#<export>\`.
` : ""}${template === "durable" ? `
Sessions are kept in \`./sessions\` (JSONL files). A run started with \`--durable\` journals every step;
after a crash, \`openagents sessions show agent.json demo\` lists its checkpoints and
\`openagents resume agent.json --checkpoint <id>\` goes on from one.
` : ""}`
}

/**
 * Every file of the project, by relative path.
 *
 * @since 0.2.0
 * @category scaffolding
 */
export const files = (name: string, template: Template, provider: Provider): ReadonlyArray<readonly [string, string]> => {
  const own = ownPackage()
  const peer = (pkg: string) => own.peerDependencies[pkg] ?? "*"
  const sdk = SDK[provider]
  const pkgName = name.toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^[._-]+/, "") || "agent"
  const packageJson = {
    name: pkgName,
    version: "0.1.0",
    private: true,
    type: "module",
    scripts: {
      start: "openagents chat agent.json",
      dev: "openagents dev agent.json",
      validate: "openagents validate agent.json"
    },
    dependencies: {
      openagents: `^${own.version}`,
      // peers of openagents: the app's own copy, shared with openagents and the tool modules
      "@effect/cli": peer("@effect/cli"),
      "@effect/platform": peer("@effect/platform"),
      "@effect/platform-node": peer("@effect/platform-node"),
      effect: peer("effect"),
      ...(sdk ? { [sdk]: peer(sdk) } : {})
    }
  }
  return [
    ["agent.json", JSON.stringify(agentJson(template, provider), null, 2) + "\n"],
    ["package.json", JSON.stringify(packageJson, null, 2) + "\n"],
    ["README.md", readme(name, template, provider)],
    [".gitignore", template === "durable" ? "node_modules/\nsessions/\n" : "node_modules/\n"],
    ...(template === "basic" ? [] : [["tools.js", TOOLS_JS] as const])
  ]
}
