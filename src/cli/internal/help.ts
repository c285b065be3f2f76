/**
 * Examples printed after a command's help: @effect/cli lists a command's description in the parent's
 * help by its first paragraph only, so examples cannot live in the description.
 *
 * @since 0.2.0
 */

/**
 * Example command lines per command (`sessions list` for a subcommand).
 *
 * @since 0.2.0
 * @category help
 */
export const EXAMPLES: Readonly<Record<string, ReadonlyArray<string>>> = {
  "": [
    `openagents run agent.json --input "What is 6*7?"`,
    "openagents validate agent.json",
    "openagents sessions list agent.json"
  ],
  run: [
    `openagents run agent.json --input "What is 6*7?"`,
    `echo "What is 6*7?" | openagents run agent.json --format json`,
    "openagents run agent.json --input-file question.txt --max-steps 4 --max-cost-usd 0.05",
    `openagents run agent.json --session s1 --durable --input "Plan my week"`
  ],
  resume: [
    "openagents resume agent.json --checkpoint RUN_ID:step:3",
    `openagents resume agent.json --checkpoint RUN_ID:step:3 --assume-call 'call_1={"ok":true}'`
  ],
  sessions: ["openagents sessions list agent.json", "openagents sessions show agent.json s1 --format json"],
  "sessions list": ["openagents sessions list agent.json --format json"],
  "sessions show": ["openagents sessions show agent.json s1"],
  "sessions delete": ["openagents sessions delete agent.json s1"],
  replay: ["openagents replay agent.json s1", "openagents replay agent.json s1 --run RUN_ID --format json"],
  approvals: ["openagents approvals list agent.json", "openagents approvals list agent.json --session s1 --format json"],
  "approvals list": ["openagents approvals list agent.json --session s1"],
  approve: [
    "openagents approve agent.json --session s1 --call CALL_ID",
    `openagents approve agent.json --session s1 --call CALL_ID --arguments '{"path": "notes.md"}' --format json`
  ],
  reject: [`openagents reject agent.json --session s1 --call CALL_ID --reason "not that file"`],
  validate: ["openagents validate agent.json"],
  schema: ["openagents schema > agent.schema.json"],
  "list-plugins": ["openagents list-plugins --format json"],
  version: ["openagents version"],
  traces: ["openagents traces list agent.json --agent assistant", "openagents traces show agent.json RUN_ID"],
  "traces list": ["openagents traces list agent.json --session s1 --format json"],
  "traces show": ["openagents traces show agent.json RUN_ID --format json"],
  feedback: [`openagents feedback agent.json RUN_ID RUN_ID:1 --type correction --content "Answer in a table"`],
  experiences: ["openagents experiences list agent.json", "openagents experiences delete agent.json EXPERIENCE_ID"],
  "experiences list": ["openagents experiences list agent.json --agent assistant --format json"],
  "experiences delete": ["openagents experiences delete agent.json EXPERIENCE_ID"],
  chat: ["openagents chat agent.json", "openagents chat agent.json --agent researcher --session notes", "printf 'hi\\nagain\\n' | openagents chat agent.json"],
  dev: ["openagents dev agent.json", "openagents dev agent.json --poll-ms 1000"],
  init: ["openagents init my-agent", "openagents init my-agent --template tools --provider anthropic"],
  doctor: ["openagents doctor", "openagents doctor --config agent.json --format json"],
  config: ["openagents config show agent.json --redact"],
  "config show": ["openagents config show agent.json", "openagents config show agent.json --redact | jq .agents[0].llm"]
}

/**
 * The examples block for the help that `args` (argv without node and script) asked for, or undefined
 * when they did not ask for help or the command has no examples.
 *
 * @since 0.2.0
 * @category help
 */
export const examplesFor = (args: ReadonlyArray<string>): string | undefined => {
  if (!args.includes("--help") && !args.includes("-h")) return undefined
  const words: Array<string> = []
  for (const arg of args) {
    if (arg.startsWith("-")) break
    words.push(arg)
  }
  // `sessions list CONFIG --help`: the longest known command the words start with
  let key = words.slice(0, 2).join(" ")
  if (!(key in EXAMPLES)) key = words.slice(0, 1).join(" ")
  const examples = EXAMPLES[key]
  if (examples === undefined) return undefined
  return `EXAMPLES\n\n${examples.map((e) => `  $ ${e}`).join("\n")}\n`
}
