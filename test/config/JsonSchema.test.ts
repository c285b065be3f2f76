import { assert, describe, it } from "@effect/vitest"
import Ajv from "ajv"
import * as fs from "node:fs"
import * as NodePath from "node:path"
import { fileURLToPath } from "node:url"
import * as ConfigLoader from "../../src/config/ConfigLoader.js"

const fixtures = NodePath.resolve(NodePath.dirname(fileURLToPath(import.meta.url)), "../fixtures/config")
const example = JSON.parse(fs.readFileSync(NodePath.join(fixtures, "example.json"), "utf8")) as unknown

// strict mode: unknown keywords, properties required but not defined, ... all throw
const validator = () => new Ajv.default({ strict: true, allErrors: true }).compile(ConfigLoader.jsonSchema())

describe("ConfigLoader.jsonSchema", () => {
  it("is a draft-07 schema that Ajv compiles in strict mode", () => {
    const schema = ConfigLoader.jsonSchema()
    assert.strictEqual(schema.$schema, "http://json-schema.org/draft-07/schema#")
    assert.doesNotThrow(validator)
    assert.deepStrictEqual(JSON.parse(JSON.stringify(schema)), schema)
  })

  it("accepts the example and a minimal config", () => {
    const validate = validator()
    assert.isTrue(validate(example), JSON.stringify(validate.errors))
    assert.isTrue(validate({ agents: [{ id: "a" }] }), JSON.stringify(validate.errors))
  })

  const rejected: ReadonlyArray<readonly [string, unknown]> = [
    ["an unknown top-level key", { agents: [{ id: "a" }], sesion: {} }],
    ["an unknown llm key", { agents: [{ id: "a", llm: { temprature: 1 } }] }],
    ["no agents", { agents: [] }],
    ["an agent without id", { agents: [{ name: "x" }] }],
    ["an unknown memory type", { agents: [{ id: "a", memory: { type: "bufer" } }] }],
    ["both type and impl", { agents: [{ id: "a", tools: [{ id: "t", type: "calc", impl: "./t.js#t" }] }] }],
    ["neither type nor impl", { agents: [{ id: "a", pattern: {} }] }],
    ["an impl without export", { agents: [{ id: "a", tools: [{ id: "t", impl: "./t.js" }] }] }],
    ["an unknown builtin config key", { agents: [{ id: "a", memory: { type: "window_buffer", config: { size: 1 } } }] }],
    ["config for a builtin without config", { agents: [{ id: "a" }], skills: { type: "none", config: { x: 1 } } }],
    ["sqlite without db_path", { agents: [{ id: "a" }], session: { type: "sqlite" } }],
    ["openai_compatible without api_base", { agents: [{ id: "a", llm: { provider: "openai_compatible" } }] }],
    ["a script for a real provider", { agents: [{ id: "a", llm: { provider: "openai", script: [] } }] }],
    ["temperature out of range", { agents: [{ id: "a", llm: { temperature: 3 } }] }],
    ["a fractional max_steps", { agents: [{ id: "a", runtime: { max_steps: 1.5 } }] }],
    ["a chain without memories", { agents: [{ id: "a", memory: { type: "chain", config: {} } }] }],
    ["a chain with an empty list", { agents: [{ id: "a", memory: { type: "chain", config: { memories: [] } } }] }],
    ["an unknown markdown_memory key", { agents: [{ id: "a", memory: { type: "markdown_memory", config: { dir: "m" } } }] }],
    ["an unknown token counter", { agents: [{ id: "a", context_assembler: { type: "sliding_window", config: { token_counter: "exact" } } }] }],
    ["a head_tail with negative head_messages", { agents: [{ id: "a", context_assembler: { type: "head_tail", config: { head_messages: -1 } } }] }],
    ["local skills with an unknown key", { agents: [{ id: "a" }], skills: { type: "local", config: { folder: "s" } } }]
  ]
  for (const [name, config] of rejected) {
    it(`rejects ${name}`, () => {
      const validate = validator()
      assert.isFalse(validate(config))
    })
  }

  it("names the unknown key in Ajv's error", () => {
    const validate = validator()
    assert.isFalse(validate({ agents: [{ id: "a", llm: { temprature: 1 } }] }))
    assert.isTrue(
      (validate.errors ?? []).some((e) =>
        e.instancePath === "/agents/0/llm" && (e.params as { additionalProperty?: string }).additionalProperty === "temprature"
      )
    )
  })

  it("accepts the memory, context assembler and skills builtins of 0.2.0", () => {
    const validate = validator()
    const config = {
      agents: [{
        id: "a",
        memory: {
          type: "chain",
          config: {
            memories: [
              { type: "window_buffer", config: { window_size: 5 } },
              { type: "markdown_memory", config: { memory_dir: "memory", sections: ["user_feedback"] } },
              { impl: "./memory.js#recall" }
            ]
          }
        },
        context_assembler: { type: "head_tail", config: { max_input_tokens: 4000, head_messages: 2, token_counter: "tokenizer" } }
      }, {
        id: "b",
        context_assembler: { type: "truncating", config: { max_messages: 10, include_summary_message: false } }
      }, {
        id: "c",
        context_assembler: { type: "importance_weighted", config: { reserve_for_response: 500 } }
      }, {
        id: "d",
        context_assembler: { type: "sliding_window" }
      }],
      skills: { type: "local", config: { root: "skills", enabled: ["pdf"], max_matches: 2, min_score: 1, list_available: false } }
    }
    assert.isTrue(validate(config), JSON.stringify(validate.errors))
  })

  it("carries descriptions for editors", () => {
    const schema = ConfigLoader.jsonSchema() as { $defs: Record<string, { properties: Record<string, { description?: string }> }> }
    assert.include(schema.$defs.LlmConfig!.properties.temperature!.description ?? "", "0 to 2")
    assert.include(schema.$defs.RuntimeOptions!.properties.max_steps!.description ?? "", "default 16")
  })
})

describe("ConfigLoader.jsonSchema: tool executors", () => {
  const withExecutor = (tool_executor: unknown) => ({ agents: [{ id: "a", tool_executor }] })

  it("accepts one executor or a list of them, with each builtin's config", () => {
    const validate = validator()
    for (
      const config of [
        withExecutor({ type: "retry", config: { max_attempts: 5, jitter: "full" } }),
        withExecutor([
          { type: "hooks", config: { before: "./hooks.js#before" } },
          { type: "policy", config: { deny_tools: ["shell_*"], fs_roots: ["./data"], allow_hosts: ["*"], evaluate: "./p.js#evaluate" } },
          { type: "retry" },
          { type: "default", config: { default_timeout_ms: 1000 } }
        ]),
        withExecutor([{ impl: "./exec.js#layer" }])
      ]
    ) assert.isTrue(validate(config), JSON.stringify(validate.errors))
  })

  const rejected: ReadonlyArray<readonly [string, unknown]> = [
    ["an empty list", withExecutor([])],
    ["an unknown type in a list", withExecutor([{ type: "retry" }, { type: "retr" }])],
    ["an unknown retry key", withExecutor([{ type: "retry", config: { attempts: 3 } }])],
    ["a retry jitter that does not exist", withExecutor({ type: "retry", config: { jitter: "some" } })],
    ["a policy allow_tools that is no array", withExecutor({ type: "policy", config: { allow_tools: "calc" } })],
    ["a policy evaluate that is no module reference", withExecutor({ type: "policy", config: { evaluate: "evaluate" } })],
    ["an unknown hooks key", withExecutor({ type: "hooks", config: { around: "./h.js#h" } })]
  ]
  for (const [name, config] of rejected) {
    it(`rejects ${name}`, () => {
      const validate = validator()
      assert.isFalse(validate(config))
    })
  }

  it("describes the list form and each executor's keys", () => {
    const schema = ConfigLoader.jsonSchema() as { $defs: Record<string, any> }
    const agent = schema.$defs.AgentConfig ?? schema.$defs.AgentFields
    assert.include(JSON.stringify(agent?.properties?.tool_executor ?? schema), "outermost-first")
    const text = JSON.stringify(schema.$defs.ToolExecutorRef)
    for (const key of ["max_attempts", "retry_timeouts", "deny_tools", "fs_roots", "allow_private", "allow_commands", "evaluate", "before", "after"]) {
      assert.include(text, `"${key}"`)
    }
  })
})

describe("ConfigLoader.jsonSchema: the builtin tools", () => {
  const tools = (extra: Record<string, unknown>) => ({ agents: [{ id: "a", tools: [{ id: "t", ...extra }] }] })

  it("accepts each builtin tool with its config", () => {
    const validate = validator()
    const accepted: ReadonlyArray<Record<string, unknown>> = [
      { type: "read_file", config: { root: "data", max_read_bytes: 1000 } },
      { type: "write_file", config: { root: "data", max_write_bytes: 1000, exactly_once_appends: false } },
      { type: "list_files", config: { root: "data", max_entries: 10 } },
      { type: "delete_file", config: { root: "data" } },
      { type: "grep_files", config: { root: "data", max_matches: 5 } },
      { type: "http_request", config: { allowed_hosts: ["api.example.com"], allow_private: false, allowed_methods: ["GET", "POST"], max_response_bytes: 5000 } },
      { type: "http_request" },
      { type: "shell_exec", config: { root: ".", allowed_commands: ["ls", "git"], env_passthrough: ["HOME"], timeout_ms: 5000, capture_bytes: 1000 } },
      { type: "get_env", config: { allowed_keys: ["HOME"] } },
      { type: "remember_preference", config: { root: "memory", file: "prefs.md" } },
      ...["date_parse", "date_diff", "url_parse", "url_build", "query_param", "host_lookup", "uuid", "random_int", "random_choice", "random_string", "percentage", "min_max"]
        .map((type) => ({ type, config: { timeout_ms: 1000 } }))
    ]
    for (const tool of accepted) assert.isTrue(validate(tools(tool)), `${JSON.stringify(tool)}: ${JSON.stringify(validate.errors)}`)
  })

  it("rejects a file tool without root, shell_exec without allowed_commands, get_env without allowed_keys, unknown keys and methods", () => {
    const validate = validator()
    const rejected: ReadonlyArray<Record<string, unknown>> = [
      { type: "read_file" },
      { type: "read_file", config: {} },
      { type: "write_file", config: { root: "d", mode: "a" } },
      { type: "shell_exec", config: { root: "." } },
      { type: "shell_exec", config: { root: ".", allowed_commands: [] } },
      { type: "get_env", config: {} },
      { type: "http_request", config: { allowed_methods: ["TRACE"] } },
      { type: "http_request", config: { allow_private: "yes" } },
      { type: "date_parse", config: { root: "." } },
      { type: "execute_command" },
      { type: "set_env" }
    ]
    for (const tool of rejected) assert.isFalse(validate(tools(tool)), JSON.stringify(tool))
  })
})
