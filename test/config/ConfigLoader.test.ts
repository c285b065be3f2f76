import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as NodePath from "node:path"
import { fileURLToPath } from "node:url"
import * as ConfigLoader from "../../src/config/ConfigLoader.js"
import type { ConfigError } from "../../src/kernel/Errors.js"

const fixtures = NodePath.resolve(NodePath.dirname(fileURLToPath(import.meta.url)), "../fixtures/config")
const fixture = (name: string) => NodePath.join(fixtures, name)
const readFixture = (name: string): Record<string, unknown> =>
  JSON.parse(fs.readFileSync(fixture(name), "utf8")) as Record<string, unknown>

const noEnv = {}
const decodeError = (input: unknown, env: Record<string, string | undefined> = noEnv) =>
  Effect.flip(ConfigLoader.decode(input, { env }))

const agent = (fields: Record<string, unknown>) => ({ agents: [{ id: "a", ...fields }] })
const llm = (fields: Record<string, unknown>) => agent({ llm: fields })

const issueAt = (error: ConfigError, path: string) => {
  const issue = error.issues.find((i) => i.path === path)
  assert.isDefined(issue, `no issue at '${path}'; got:\n${error.message}`)
  return issue!
}

describe("ConfigLoader.decode", () => {
  it.effect("decodes the full example", () =>
    Effect.gen(function*() {
      const config = yield* ConfigLoader.decode(readFixture("example.json"), { env: noEnv })
      const a = config.agents[0]!
      assert.strictEqual(config.version, "1.0")
      assert.strictEqual(a.id, "assistant")
      assert.strictEqual(a.name, "Assistant")
      assert.strictEqual(a.instructions, "You are helpful.")
      assert.deepStrictEqual(a.memory, { type: "window_buffer", config: { window_size: 20 }, on_error: "continue" })
      assert.strictEqual(a.llm.provider, "mock")
      assert.strictEqual(a.llm.temperature, 0.2)
      assert.deepStrictEqual(a.llm.extra_headers, { x: "y" })
      assert.deepStrictEqual(a.llm.pricing, { input: 3, output: 15, cached_read: 0.3, cached_write: 3.75 })
      assert.deepStrictEqual(a.llm.retry, {
        max_attempts: 3,
        initial_backoff_ms: 500,
        max_backoff_ms: 5000,
        backoff_multiplier: 2,
        retry_on_connection_errors: true
      })
      assert.deepStrictEqual(a.llm.script, [{
        text: "hi",
        tool_calls: [{ name: "calc", arguments: { expression: "1+1" } }],
        usage: { input_tokens: 10, output_tokens: 5, cached_input_tokens: 0 },
        delay_ms: 100,
        error: { kind: "rate_limit", retry_after_ms: 10, message: "slow down" }
      }])
      assert.deepStrictEqual(a.tool_executor, { type: "default", config: { default_timeout_ms: 30000 } })
      assert.deepStrictEqual(a.context_assembler, { type: "passthrough", config: {} })
      assert.deepStrictEqual(a.tools, [
        { id: "calc", type: "calc", config: {}, enabled: true },
        { id: "lookup", impl: "./tools.js#lookup", config: {}, enabled: true }
      ])
      assert.deepStrictEqual(a.output_schema, {
        type: "object",
        properties: { answer: { type: "string" } },
        required: ["answer"]
      })
      assert.deepStrictEqual(config.events, { type: "async", config: { max_history: 10000 } })
    }))

  it.effect("applies every default to a minimal config", () =>
    Effect.gen(function*() {
      const config = yield* ConfigLoader.decode({ agents: [{ id: "a" }] }, { env: noEnv })
      assert.deepStrictEqual(config, {
        version: "1.0",
        agents: [{
          id: "a",
          name: "a",
          memory: { type: "window_buffer", config: { window_size: 20 }, on_error: "continue" },
          pattern: { type: "react", config: {} },
          llm: {
            provider: "mock",
            timeout_ms: 30000,
            retry: {
              max_attempts: 3,
              initial_backoff_ms: 500,
              max_backoff_ms: 5000,
              backoff_multiplier: 2,
              retry_on_connection_errors: true
            }
          },
          tools: [],
          runtime: { max_steps: 16, step_timeout_ms: 30000, session_queue_size: 1000, event_queue_size: 2000, max_concurrent_tools: 10 }
        }],
        runtime: { type: "default", config: {} },
        session: { type: "in_memory", config: {} },
        events: { type: "async", config: {} },
        skills: { type: "none", config: {} }
      })
    }))

  it.effect("accepts the other builtins, impl forms, null for nullable fields and $schema", () =>
    Effect.gen(function*() {
      const config = yield* ConfigLoader.decode({
        $schema: "./schema/agent.schema.json",
        agents: [{
          id: "a.b_c-1",
          memory: { type: "buffer", config: { max_items: 5 }, on_error: "fail" },
          tools: [
            { id: "t1", type: "current_time", config: { default_timezone: "Europe/Paris", timeout_ms: 500 } },
            { id: "t2", type: "json_parse", enabled: false },
            { id: "t3", type: "text_transform", config: null },
            { id: "t4", impl: "@scope/pkg/sub#make" },
            { id: "t5", impl: "../lib/tools.mjs#$tool" },
            { id: "t6", impl: "plain-pkg#default" }
          ],
          llm: { provider: "openai_compatible", api_base: "http://127.0.0.1:8000/v1", model: null, temperature: null },
          output_schema: { $schema: "https://json-schema.org/draft/2020-12/schema", type: "object" }
        }, {
          id: "b",
          output_schema: { $schema: "https://json-schema.org/draft/2019-09/schema", type: "object", format: "x" }
        }],
        session: { type: "sqlite", config: { db_path: "./sessions.db", busy_timeout_ms: 100, lock_timeout_ms: 0 } },
        runtime: { impl: "./runtime.js#runtime", config: { anything: [1, 2] } }
      }, { env: noEnv })
      const a = config.agents[0]!
      assert.deepStrictEqual(a.memory, { type: "buffer", config: { max_items: 5 }, on_error: "fail" })
      assert.strictEqual(a.tools[1]!.enabled, false)
      assert.deepStrictEqual(a.tools[2]!.config, {})
      assert.strictEqual(a.llm.model, undefined)
      assert.deepStrictEqual(config.runtime, { impl: "./runtime.js#runtime", config: { anything: [1, 2] } })
    }))
})

// [name, input, expected path, part of the message]
const invalid: ReadonlyArray<readonly [string, unknown, string, string]> = [
  ["root is not an object", [{ id: "a" }], "", "must be a JSON object"],
  ["unknown top-level key", { agents: [{ id: "a" }], sesion: {} }, "sesion", "unknown key (did you mean 'session'?)"],
  ["agents missing", { version: "1.0" }, "agents", "required key is missing"],
  ["agents empty", { agents: [] }, "agents", "must contain at least one agent"],
  ["agents not an array", { agents: { id: "a" } }, "agents", "must be a non-empty array of agents (got an object)"],
  ["version not a string", { version: 1, agents: [{ id: "a" }] }, "version", "must be a non-empty string (got 1)"],
  ["agent id missing", { agents: [{ name: "x" }] }, "agents[0].id", "required key is missing"],
  ["agent id with a space", { agents: [{ id: "my agent" }] }, "agents[0].id", "'my agent' is not a valid agent id"],
  ["agent id empty", { agents: [{ id: "" }] }, "agents[0].id", "must not be empty"],
  ["agent id not a string", { agents: [{ id: 7 }] }, "agents[0].id", "must be an agent id"],
  ["duplicate agent ids", { agents: [{ id: "a" }, { id: "b" }, { id: "a" }] }, "agents[2].id", "duplicate agent id 'a' (already used by agents[0])"],
  ["unknown agent key", agent({ instruction: "x" }), "agents[0].instruction", "unknown key (did you mean 'instructions'?)"],
  ["unknown llm key", llm({ temprature: 0.5 }), "agents[0].llm.temprature", "unknown key (did you mean 'temperature'?)"],
  ["unknown provider", llm({ provider: "opnai" }), "agents[0].llm.provider", "unknown llm provider 'opnai' (did you mean 'openai'?)"],
  ["temperature above 2", llm({ temperature: 2.5 }), "agents[0].llm.temperature", "must be a number between 0 and 2 (got 2.5)"],
  ["top_p above 1", llm({ top_p: 1.5 }), "agents[0].llm.top_p", "must be a number between 0 and 1 (got 1.5)"],
  ["max_tokens zero", llm({ max_tokens: 0 }), "agents[0].llm.max_tokens", "must be a positive integer (got 0)"],
  ["timeout_ms a string", llm({ timeout_ms: "30s" }), "agents[0].llm.timeout_ms", "must be a positive integer (got \"30s\")"],
  ["idle_timeout_ms fractional", llm({ idle_timeout_ms: 1.5 }), "agents[0].llm.idle_timeout_ms", "must be a positive integer (got 1.5)"],
  ["openai_api_style unknown", llm({ openai_api_style: "chat" }), "agents[0].llm.openai_api_style", "unknown OpenAI API style 'chat'"],
  ["extra header not a string", llm({ extra_headers: { "x-api-version": 2 } }), "agents[0].llm.extra_headers[\"x-api-version\"]", "must be a string (got 2)"],
  ["openai_compatible without api_base", llm({ provider: "openai_compatible" }), "agents[0].llm.api_base", "is required when provider is 'openai_compatible'"],
  ["script with a real provider", llm({ provider: "anthropic", script: [{ text: "hi" }] }), "agents[0].llm.script", "is only allowed when provider is 'mock' (provider is 'anthropic')"],
  ["unknown pricing key", llm({ pricing: { cache_read: 1 } }), "agents[0].llm.pricing.cache_read", "unknown key (did you mean 'cached_read'?)"],
  ["negative price", llm({ pricing: { input: -1 } }), "agents[0].llm.pricing.input", "must be a non-negative number (got -1)"],
  ["unknown retry key", llm({ retry: { max_attempt: 2 } }), "agents[0].llm.retry.max_attempt", "unknown key (did you mean 'max_attempts'?)"],
  ["max_attempts zero", llm({ retry: { max_attempts: 0 } }), "agents[0].llm.retry.max_attempts", "must be a positive integer (got 0)"],
  ["backoff_multiplier below 1", llm({ retry: { backoff_multiplier: 0.5 } }), "agents[0].llm.retry.backoff_multiplier", "must be a number greater than or equal to 1 (got 0.5)"],
  ["unknown script step key", llm({ script: [{ txt: "hi" }] }), "agents[0].llm.script[0].txt", "unknown key (did you mean 'text'?)"],
  ["unknown script error kind", llm({ script: [{ error: { kind: "rate" } }] }), "agents[0].llm.script[0].error.kind", "unknown error kind 'rate'"],
  ["script tool call without name", llm({ script: [{ tool_calls: [{ arguments: {} }] }] }), "agents[0].llm.script[0].tool_calls[0].name", "required key is missing"],
  ["unknown runtime option", agent({ runtime: { max_step: 3 } }), "agents[0].runtime.max_step", "unknown key (did you mean 'max_steps'?)"],
  ["max_steps zero", agent({ runtime: { max_steps: 0 } }), "agents[0].runtime.max_steps", "must be a positive integer (got 0)"],
  ["unknown memory type", agent({ memory: { type: "bufer" } }), "agents[0].memory.type", "unknown memory type 'bufer' (did you mean 'buffer'?)"],
  ["memory on_error unknown", agent({ memory: { type: "buffer", on_error: "stop" } }), "agents[0].memory.on_error", "must be one of 'continue', 'fail' (got \"stop\")"],
  ["memory window_size zero", agent({ memory: { type: "window_buffer", config: { window_size: 0 } } }), "agents[0].memory.config.window_size", "must be a positive integer (got 0)"],
  ["memory config typo", agent({ memory: { type: "window_buffer", config: { windowsize: 5 } } }), "agents[0].memory.config.windowsize", "unknown key (did you mean 'window_size'?)"],
  ["memory config not an object", agent({ memory: { type: "window_buffer", config: [1] } }), "agents[0].memory.config", "must be an object (got an array)"],
  ["pattern with neither type nor impl", agent({ pattern: { config: {} } }), "agents[0].pattern", "must set 'type' (a builtin pattern) or 'impl'"],
  ["tool with both type and impl", agent({ tools: [{ id: "t", type: "calc", impl: "./t.js#t" }] }), "agents[0].tools[0]", "sets both 'type' and 'impl'"],
  ["unknown tool type", agent({ tools: [{ id: "t", type: "calculator" }] }), "agents[0].tools[0].type", "unknown tool type 'calculator'"],
  ["tool id missing", agent({ tools: [{ type: "calc" }] }), "agents[0].tools[0].id", "required key is missing"],
  ["duplicate tool ids", agent({ tools: [{ id: "calc", type: "calc" }, { id: "calc", impl: "./c.js#calc" }] }), "agents[0].tools[1].id", "duplicate tool id 'calc'"],
  ["tool enabled not a boolean", agent({ tools: [{ id: "t", type: "calc", enabled: "yes" }] }), "agents[0].tools[0].enabled", "must be a boolean"],
  ["builtin tool config typo", agent({ tools: [{ id: "t", type: "calc", config: { timeout: 2 } }] }), "agents[0].tools[0].config.timeout", "unknown key (did you mean 'timeout_ms'?)"],
  ["builtin tool timeout zero", agent({ tools: [{ id: "t", type: "json_parse", config: { timeout_ms: 0 } }] }), "agents[0].tools[0].config.timeout_ms", "must be a positive integer (got 0)"],
  ["current_time with an unknown timezone", agent({ tools: [{ id: "t", type: "current_time", config: { default_timezone: "Mars/Olympus" } }] }), "agents[0].tools[0].config.default_timezone", "must be an IANA timezone name such as 'UTC' or 'Europe/Paris' (got \"Mars/Olympus\")"],
  ["pattern given config", agent({ pattern: { type: "react", config: { max_steps: 3 } } }), "agents[0].pattern.config.max_steps", "pattern type 'react' takes no config keys"],
  ["jsonl_file fsync not a boolean", { agents: [{ id: "a" }], session: { type: "jsonl_file", config: { root_dir: "s", fsync: "yes" } } }, "session.config.fsync", "must be a boolean"],
  ["impl without export", agent({ tools: [{ id: "t", impl: "./tools.js" }] }), "agents[0].tools[0].impl", "has no '#<export>' part"],
  ["impl with an absolute path", agent({ tools: [{ id: "t", impl: "/opt/tools.js#t" }] }), "agents[0].tools[0].impl", "absolute module path"],
  ["impl with a bad export name", agent({ tools: [{ id: "t", impl: "./tools.js#my-tool" }] }), "agents[0].tools[0].impl", "'my-tool' in './tools.js#my-tool' is not a valid export name"],
  ["tools not an array", agent({ tools: { id: "t" } }), "agents[0].tools", "must be an array (got an object)"],
  ["tool executor config typo", agent({ tool_executor: { type: "default", config: { default_timout_ms: 1 } } }), "agents[0].tool_executor.config.default_timout_ms", "unknown key (did you mean 'default_timeout_ms'?)"],
  ["tool executor list: a retry key out of range", agent({ tool_executor: [{ type: "policy" }, { type: "retry", config: { max_attempts: 0 } }] }), "agents[0].tool_executor[1].config.max_attempts", "must be a positive integer (got 0)"],
  ["tool executor list: an unknown type", agent({ tool_executor: [{ type: "retr" }] }), "agents[0].tool_executor[0].type", "unknown tool executor type 'retr' (did you mean 'retry'?)"],
  ["tool executor list: a policy key typo", agent({ tool_executor: [{ type: "policy", config: { deny_tool: ["x"] } }] }), "agents[0].tool_executor[0].config.deny_tool", "unknown key (did you mean 'deny_tools'?)"],
  ["tool executor list: default not last", agent({ tool_executor: [{ type: "default" }, { type: "retry" }] }), "agents[0].tool_executor[0].type", "'default' runs the tool itself"],
  ["tool executor list: empty", agent({ tool_executor: [] }), "agents[0].tool_executor", "must list at least one tool executor"],
  ["tool executor list: type and impl", agent({ tool_executor: [{ type: "retry", impl: "./x.js#y" }] }), "agents[0].tool_executor[0]", "sets both 'type' and 'impl'"],
  ["policy evaluate not a module reference", agent({ tool_executor: { type: "policy", config: { evaluate: "evaluate" } } }), "agents[0].tool_executor.config.evaluate", "must be a module reference"],
  ["unknown context assembler", agent({ context_assembler: { type: "summarizing" } }), "agents[0].context_assembler.type", "unknown context assembler type 'summarizing'"],
  ["sliding_window max_input_tokens not positive", agent({ context_assembler: { type: "sliding_window", config: { max_input_tokens: 0 } } }), "agents[0].context_assembler.config.max_input_tokens", "must be a positive integer"],
  ["chain without memories", agent({ memory: { type: "chain", config: {} } }), "agents[0].memory.config.memories", "required key is missing"],
  ["markdown_memory with a bad section name", agent({ memory: { type: "markdown_memory", config: { sections: ["../x"] } } }), "agents[0].memory.config.sections[0]", "section name"],
  ["local skills with an unknown key", { agents: [{ id: "a" }], skills: { type: "local", config: { roots: "s" } } }, "skills.config.roots", "unknown key (did you mean 'root'?)"],
  ["output_schema that Ajv rejects", agent({ output_schema: { type: "strin" } }), "agents[0].output_schema", "is not a valid JSON Schema: schema is invalid"],
  ["output_schema with a dangling $ref", agent({ output_schema: { $ref: "#/definitions/nope" } }), "agents[0].output_schema", "can't resolve reference"],
  ["output_schema not an object", agent({ output_schema: "object" }), "agents[0].output_schema", "must be an object (got \"object\")"],
  ["jsonl_file without root_dir", { agents: [{ id: "a" }], session: { type: "jsonl_file" } }, "session.config.root_dir", "required key is missing"],
  ["sqlite without db_path", { agents: [{ id: "a" }], session: { type: "sqlite", config: {} } }, "session.config.db_path", "required key is missing"],
  ["unknown session type", { agents: [{ id: "a" }], session: { type: "sqlit" } }, "session.type", "unknown session type 'sqlit' (did you mean 'sqlite'?)"],
  ["events max_history not a number", { agents: [{ id: "a" }], events: { type: "async", config: { max_history: "lots" } } }, "events.config.max_history", "must be a positive integer (got \"lots\")"],
  ["skills given config", { agents: [{ id: "a" }], skills: { type: "none", config: { dir: "." } } }, "skills.config.dir", "skills type 'none' takes no config keys"],
  ["unknown runtime ref key", { agents: [{ id: "a" }], runtime: { type: "default", conf: {} } }, "runtime.conf", "unknown key (did you mean 'config'?)"]
]

describe("ConfigLoader.decode rejects invalid configs", () => {
  for (const [name, input, path, message] of invalid) {
    it.effect(name, () =>
      Effect.gen(function*() {
        const error = yield* decodeError(input)
        assert.strictEqual(error._tag, "ConfigError")
        const issue = issueAt(error, path)
        assert.include(issue.message, message)
        assert.include(error.message, `${path || "(root)"}: ${issue.message}`)
      }))
  }

  it.effect("an unknown builtin type lists the available names in the hint", () =>
    Effect.gen(function*() {
      const error = yield* decodeError(agent({ memory: { type: "vector" } }))
      const issue = issueAt(error, "agents[0].memory.type")
      assert.strictEqual(issue.message, "unknown memory type 'vector'")
      assert.strictEqual(issue.hint, "available: window_buffer, buffer, experiences, chain, markdown_memory")
    }))

  it.effect("an unknown key without a close match lists the allowed keys", () =>
    Effect.gen(function*() {
      const error = yield* decodeError(agent({ runtime: { zzz: 1 } }))
      const issue = issueAt(error, "agents[0].runtime.zzz")
      assert.strictEqual(issue.message, "unknown key")
      assert.include(issue.hint ?? "", "max_steps, step_timeout_ms, session_queue_size, event_queue_size")
    }))

  it.effect("an invalid impl carries a hint showing the format", () =>
    Effect.gen(function*() {
      const error = yield* decodeError(agent({ memory: { impl: "memory.js" } }))
      const issue = issueAt(error, "agents[0].memory.impl")
      assert.include(issue.hint ?? "", "'<module>#<export>'")
      assert.include(issue.hint ?? "", "./tools.js#lookup")
    }))

  it.effect("reports every problem of a config at once", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(ConfigLoader.loadFile(fixture("many-problems.json"), { env: noEnv }))
      // listed in the order they appear in the file
      assert.deepStrictEqual(error.issues.map((i) => i.path), [
        "agents[0].memory.type",
        "agents[0].llm.temprature",
        "agents[0].tools[1].id",
        "agents[0].tools[1].impl",
        "agents[1].id",
        "agents[1].pattern",
        "sesion"
      ])
      assert.include(error.message, "7 problems")
      assert.include(error.message, "agents[0].llm.temprature: unknown key (did you mean 'temperature'?)")
      assert.include(error.message, "sesion: unknown key (did you mean 'session'?)")
      assert.strictEqual(error.source, fixture("many-problems.json"))
    }))

  it.effect("reports problems of several agents and seams together", () =>
    Effect.gen(function*() {
      const error = yield* decodeError({
        agents: [
          { id: "a", llm: { temperature: 9, provider: "openai_compatible" } },
          { id: "b", tools: [{ id: "x", type: "nope" }], runtime: { max_steps: -1 } }
        ],
        events: { type: "async", config: { max_histroy: 1 } }
      })
      assert.deepStrictEqual(
        [...error.issues.map((i) => i.path)].sort(),
        [
          "agents[0].llm.api_base",
          "agents[0].llm.temperature",
          "agents[1].runtime.max_steps",
          "agents[1].tools[0].type",
          "events.config.max_histroy"
        ]
      )
    }))
})

describe("environment substitution", () => {
  it.effect("substitutes ${VAR}, ${VAR:-default} and $${VAR} in a file", () =>
    Effect.gen(function*() {
      const loaded = yield* ConfigLoader.loadFile(fixture("env.json"), {
        env: { COMPANY: "Acme \"Corp\" {x}", API_BASE: "http://127.0.0.1:9/v1", MODEL: "" }
      })
      const a = loaded.config.agents[0]!
      assert.strictEqual(a.id, "env-agent")
      // a value with quotes and braces cannot break the JSON: substitution happens after parsing
      assert.strictEqual(a.instructions, "You work for Acme \"Corp\" {x}. Literal: ${COMPANY}.")
      assert.strictEqual(a.llm.api_base, "http://127.0.0.1:9/v1")
      assert.strictEqual(a.llm.model, "llama3") // empty counts as unset for the default
      assert.strictEqual(a.llm.api_key_env, "MY_KEY")
    }))

  it.effect("a set variable wins over the default", () =>
    Effect.gen(function*() {
      const loaded = yield* ConfigLoader.loadFile(fixture("env.json"), {
        env: { COMPANY: "Acme", API_BASE: "http://x/v1", MODEL: "qwen", AGENT_ID: "from-env" }
      })
      assert.strictEqual(loaded.config.agents[0]!.id, "from-env")
      assert.strictEqual(loaded.config.agents[0]!.llm.model, "qwen")
    }))

  it.effect("unset variables are errors naming the path and the variable", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(ConfigLoader.loadFile(fixture("env.json"), { env: {} }))
      assert.deepStrictEqual(error.issues.map((i) => i.path), ["agents[0].instructions", "agents[0].llm.api_base"])
      assert.strictEqual(
        issueAt(error, "agents[0].instructions").message,
        "environment variable 'COMPANY' is not set (referenced as ${COMPANY})"
      )
      assert.include(issueAt(error, "agents[0].llm.api_base").message, "environment variable 'API_BASE' is not set")
      assert.include(issueAt(error, "agents[0].llm.api_base").hint ?? "", "${API_BASE:-value}")
    }))

  it.effect("substitutes in config objects passed in code", () =>
    Effect.gen(function*() {
      const config = yield* ConfigLoader.decode(
        { agents: [{ id: "${ID}", tools: [{ id: "t", impl: "${TOOLS:-./tools.js}#tool" }] }] },
        { env: { ID: "coded" } }
      )
      assert.strictEqual(config.agents[0]!.id, "coded")
      assert.strictEqual(config.agents[0]!.tools[0]!.impl, "./tools.js#tool")
    }))

  it.effect("an unset variable in an object is reported without follow-up noise", () =>
    Effect.gen(function*() {
      const error = yield* decodeError({ agents: [{ id: "${AGENT}" }] })
      assert.deepStrictEqual(error.issues.map((i) => [i.path, i.message]), [
        ["agents[0].id", "environment variable 'AGENT' is not set (referenced as ${AGENT})"]
      ])
    }))

  it.effect("reads process.env by default", () =>
    Effect.gen(function*() {
      process.env.OPENAGENTS_CONFIG_TEST_NAME = "From Process"
      const config = yield* ConfigLoader.decode({ agents: [{ id: "a", name: "${OPENAGENTS_CONFIG_TEST_NAME}" }] }).pipe(
        Effect.ensuring(Effect.sync(() => delete process.env.OPENAGENTS_CONFIG_TEST_NAME))
      )
      assert.strictEqual(config.agents[0]!.name, "From Process")
    }))

  it.effect("a malformed reference is an error", () =>
    Effect.gen(function*() {
      const error = yield* decodeError(agent({ instructions: "${1BAD}" }))
      assert.include(issueAt(error, "agents[0].instructions").message, "invalid environment variable reference '${1BAD}'")
    }))

  it.effect("does not touch keys, numbers or the input object", () =>
    Effect.gen(function*() {
      const input = { agents: [{ id: "a", llm: { extra_headers: { "${K}": "${V}" }, temperature: 1 } }] }
      const config = yield* ConfigLoader.decode(input, { env: { K: "k", V: "v" } })
      assert.deepStrictEqual(config.agents[0]!.llm.extra_headers, { "${K}": "v" })
      assert.strictEqual(input.agents[0]!.llm.extra_headers["${K}"], "${V}")
    }))
})

describe("ConfigLoader.loadFile", () => {
  it.effect("loads a file and resolves its directory", () =>
    Effect.gen(function*() {
      const loaded = yield* ConfigLoader.loadFile(NodePath.relative(process.cwd(), fixture("example.json")), {
        env: noEnv
      })
      assert.strictEqual(loaded.path, fixture("example.json"))
      assert.strictEqual(loaded.dir, fixtures)
      assert.isTrue(NodePath.isAbsolute(loaded.dir))
      assert.strictEqual(loaded.config.agents[0]!.id, "assistant")
    }))

  it.effect("a missing file fails with a hint", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(ConfigLoader.loadFile(fixture("nope.json")))
      assert.include(error.message, "config file not found")
      assert.include(error.message, fixture("nope.json"))
      assert.include(error.hint ?? "", "pass the path to an agent.json file")
      assert.strictEqual(error.issues.length, 1)
    }))

  it.effect("a directory fails with a hint", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(ConfigLoader.loadFile(fixtures))
      assert.include(error.message, "is a directory")
      assert.include(error.hint ?? "", "pass the path to an agent.json file")
    }))

  it.effect("a directory holding an agent.json points to it", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(ConfigLoader.loadFile(fixture("project")))
      assert.include(error.hint ?? "", NodePath.join(fixture("project"), "agent.json"))
    }))

  it.effect("invalid JSON names the line and the column", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(ConfigLoader.loadFile(fixture("invalid.json")))
      assert.include(error.message, "invalid JSON at line 3, column 44")
      assert.include(error.hint ?? "", "trailing commas")
      assert.strictEqual(error.source, fixture("invalid.json"))
    }))

  it.effect("JSON nested deeper than MAX_DEPTH fails with line and column, whatever its shape", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(ConfigLoader.parseJson(`{"agents": ${"[".repeat(100_000)}`, "deep.json"))
      assert.strictEqual(error.message, "JSON nested more than 100 levels deep at line 1, column 111")
      assert.strictEqual(error.source, "deep.json")
      // brackets inside strings do not count; 100 levels (4 + 96 here) are fine
      const ok = `{"agents": [{"id": "a", "instructions": "${"[".repeat(500)}", "output_schema": {"default": ${"[".repeat(96)}${"]".repeat(96)}}}]}`
      const config = yield* Effect.flatMap(ConfigLoader.parseJson(ok), (json) => ConfigLoader.decode(json, { env: noEnv }))
      assert.strictEqual(config.agents[0]!.instructions, "[".repeat(500))
    }))

  it.effect("a config object nested too deep (or cyclic) is an issue, not a stack overflow", () =>
    Effect.gen(function*() {
      let deep: unknown = []
      for (let i = 0; i < 100_000; i++) deep = [deep]
      const error = yield* decodeError({ agents: [{ id: "a", output_schema: { default: deep } }] })
      assert.strictEqual(error.issues.length, 1)
      assert.match(error.issues[0]!.path, /^agents\[0\]\.output_schema\.default/)
      assert.include(error.issues[0]!.message, "more than 100 levels deep")
      const cyclic: Record<string, unknown> = { agents: [{ id: "a" }] }
      cyclic["self"] = cyclic
      const cycle = yield* decodeError(cyclic)
      assert.include(cycle.issues[0]!.message, "cycle")
    }))

  it.effect("an empty text is invalid JSON at its end", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(ConfigLoader.parseJson("{\n  \"agents\": [", "inline"))
      assert.include(error.message, "invalid JSON at line 2, column 14")
    }))

  it.effect("a root that is not an object is an error", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(ConfigLoader.loadFile(fixture("array-root.json")))
      assert.strictEqual(error.issues[0]!.path, "")
      assert.include(error.message, "must be a JSON object")
    }))
})

describe("ConfigLoader.load", () => {
  it.effect("takes a path", () =>
    Effect.gen(function*() {
      const loaded = yield* ConfigLoader.load(fixture("project/agent.json"))
      assert.strictEqual(loaded.config.agents[0]!.id, "in-project")
      assert.strictEqual(loaded.dir, fixture("project"))
    }))

  it.effect("takes an object", () =>
    Effect.gen(function*() {
      const loaded = yield* ConfigLoader.load({ agents: [{ id: "obj" }] })
      assert.strictEqual(loaded.config.agents[0]!.name, "obj")
      assert.strictEqual(loaded.path, "<inline>")
      assert.strictEqual(loaded.dir, process.cwd())
    }))

  it.effect("fails on an invalid object", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(ConfigLoader.load({ agents: [{ id: "a", llm: { provider: "x" } }] }))
      assert.strictEqual(error.issues[0]!.path, "agents[0].llm.provider")
    }))
})

describe("ConfigLoader.formatPath", () => {
  it("formats indexes, identifiers and other keys", () => {
    assert.strictEqual(ConfigLoader.formatPath([]), "")
    assert.strictEqual(ConfigLoader.formatPath(["agents", 0, "tools", 1, "type"]), "agents[0].tools[1].type")
    assert.strictEqual(ConfigLoader.formatPath(["a", "x-y", "b"]), "a[\"x-y\"].b")
  })
})
