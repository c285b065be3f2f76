/**
 * The rules of a config that span fields (type xor impl, builtin plugin config, unique ids,
 * provider-specific keys, output_schema), checked on the raw (substituted) input so they are reported
 * together with the Schema's problems; and the decoded builtin configs put back in.
 *
 * @since 0.2.0
 */
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as JsonSchema from "../../internal/jsonSchema.js"
import { closest } from "../../internal/suggest.js"
import type { AppConfig } from "../AppConfig.js"
import * as Builtins from "../Registry.js"
import { formatPath, isRecord, type Problem, type Segment } from "./issues.js"

/**
 * Compiles a JSON Schema with Ajv (draft-07, or 2019-09 / 2020-12 when its `$schema` says so) and returns
 * the compile error, if any.
 *
 * @since 0.1.0
 * @category validation
 */
export const jsonSchemaError = (schema: Record<string, unknown>): string | undefined =>
  Either.getLeft(JsonSchema.compile(schema)).pipe(Option.getOrUndefined)

const checkRef = (
  ref: unknown,
  seam: Builtins.Seam,
  path: ReadonlyArray<Segment>,
  out: Array<Problem>
): void => {
  if (!isRecord(ref)) return
  const label = Builtins.seamLabel[seam]
  const hasType = ref.type !== undefined
  const hasImpl = ref.impl !== undefined
  if (hasType && hasImpl) {
    out.push({
      path,
      message: "sets both 'type' and 'impl': set only one of them",
      hint: `'type' names a builtin ${label}, 'impl' points to your own module ('<module>#<export>')`
    })
    return
  }
  if (!hasType && !hasImpl) {
    out.push({
      path,
      message: `must set 'type' (a builtin ${label}) or 'impl' (your own module, '<module>#<export>')`,
      hint: `builtin ${label} types: ${Builtins.typeNames(seam).join(", ")}`
    })
    return
  }
  if (!hasType || typeof ref.type !== "string") return
  if (Builtins.get(seam, ref.type) === undefined) return // the Schema reports the unknown type
  if (ref.config !== undefined && ref.config !== null && !isRecord(ref.config)) return // the Schema reports the wrong type
  Builtins.decodeConfig(seam, ref.type, ref.config, [...path, "config"], out)
}

const checkLlm = (llm: unknown, path: ReadonlyArray<Segment>, out: Array<Problem>): void => {
  if (!isRecord(llm)) return
  const provider = llm.provider === undefined ? "mock" : llm.provider
  if (typeof provider !== "string" || !Object.hasOwn(Builtins.providers, provider)) return
  if (provider === "openai_compatible" && (llm.api_base === undefined || llm.api_base === null)) {
    out.push({
      path: [...path, "api_base"],
      message: "is required when provider is 'openai_compatible'",
      hint: "set the server's base URL, e.g. \"http://localhost:8000/v1\""
    })
  }
  if (provider !== "mock" && llm.script !== undefined && llm.script !== null) {
    out.push({
      path: [...path, "script"],
      message: `is only allowed when provider is 'mock' (provider is '${provider}')`,
      hint: "remove 'script', or set provider to 'mock'"
    })
  }
}

const checkTools = (tools: unknown, path: ReadonlyArray<Segment>, out: Array<Problem>): void => {
  if (!Array.isArray(tools)) return
  const seen = new Map<string, number>()
  tools.forEach((tool: unknown, i) => {
    const toolPath = [...path, i]
    checkRef(tool, "tool", toolPath, out)
    if (isRecord(tool) && isRecord(tool.approval_policy)) {
      for (const [param, pattern] of Object.entries(tool.approval_policy)) {
        if (typeof pattern !== "string") continue
        try {
          new RegExp(pattern)
        } catch (e) {
          out.push({ path: [...toolPath, "approval_policy", param], message: `is not a regular expression: ${(e as Error).message}` })
        }
      }
    }
    if (!isRecord(tool) || typeof tool.id !== "string" || tool.id === "") return
    const first = seen.get(tool.id)
    if (first !== undefined) {
      out.push({
        path: [...toolPath, "id"],
        message: `duplicate tool id '${tool.id}' (already used by ${formatPath([...path, first])})`,
        hint: "tool ids must be unique within an agent"
      })
    } else seen.set(tool.id, i)
  })
}

// a tool of type `agent` or `handoff`, and a `router` pattern's routes, name other agents of the config
const checkSubAgents = (agent: Record<string, unknown>, path: ReadonlyArray<Segment>, agents: ReadonlyArray<unknown>, out: Array<Problem>): void => {
  const ids = agents.flatMap((a) => (isRecord(a) && typeof a.id === "string" ? [a.id] : []))
  const named = (name: unknown, at: ReadonlyArray<Segment>) => {
    if (typeof name !== "string" || name === "" || ids.includes(name)) return
    const suggestion = closest(name, ids)
    out.push({
      path: at,
      message: `no agent '${name}' in this config${suggestion ? ` (did you mean '${suggestion}'?)` : ""}`,
      hint: `agents: ${ids.join(", ")}`
    })
  }
  if (Array.isArray(agent.tools)) {
    agent.tools.forEach((tool: unknown, i) => {
      if (!isRecord(tool) || (tool.type !== "agent" && tool.type !== "handoff") || !isRecord(tool.config)) return
      named(tool.config.agent, [...path, "tools", i, "config", "agent"])
    })
  }
  const pattern = agent.pattern
  if (!isRecord(pattern) || pattern.type !== "router" || !isRecord(pattern.config)) return
  const config = pattern.config
  if (Array.isArray(config.routes)) {
    config.routes.forEach((r: unknown, i) => isRecord(r) && named(r.agent, [...path, "pattern", "config", "routes", i, "agent"]))
  }
  named(config.fallback, [...path, "pattern", "config", "fallback"])
}

// `tool_executor` is one ref or a list applied outermost-first; `default` runs the tool, so it can only be last
const checkExecutors = (refs: unknown, path: ReadonlyArray<Segment>, out: Array<Problem>): void => {
  if (!Array.isArray(refs)) return checkRef(refs, "tool_executor", path, out)
  refs.forEach((ref: unknown, i) => {
    checkRef(ref, "tool_executor", [...path, i], out)
    if (isRecord(ref) && ref.type === "default" && i < refs.length - 1) {
      out.push({
        path: [...path, i, "type"],
        message: "'default' runs the tool itself, so it must be the last tool executor of the list",
        hint: "list the wrapping executors (policy, retry, hooks) first, outermost first, and 'default' last"
      })
    }
  })
}

/**
 * Checks the rules that span fields on the raw (substituted) config.
 *
 * @since 0.2.0
 * @category validation
 */
export const crossCheck = (root: Record<string, unknown>, out: Array<Problem>): void => {
  checkRef(root.runtime, "runtime", ["runtime"], out)
  checkRef(root.session, "session", ["session"], out)
  checkRef(root.events, "events", ["events"], out)
  checkRef(root.skills, "skills", ["skills"], out)
  if (!Array.isArray(root.agents)) return
  const seen = new Map<string, number>()
  root.agents.forEach((agent: unknown, i) => {
    const path: ReadonlyArray<Segment> = ["agents", i]
    if (!isRecord(agent)) return
    if (typeof agent.id === "string" && agent.id !== "") {
      const first = seen.get(agent.id)
      if (first !== undefined) {
        out.push({
          path: [...path, "id"],
          message: `duplicate agent id '${agent.id}' (already used by agents[${first}])`,
          hint: "agent ids must be unique"
        })
      } else seen.set(agent.id, i)
    }
    checkRef(agent.memory, "memory", [...path, "memory"], out)
    checkRef(agent.pattern, "pattern", [...path, "pattern"], out)
    checkExecutors(agent.tool_executor, [...path, "tool_executor"], out)
    checkRef(agent.context_assembler, "context_assembler", [...path, "context_assembler"], out)
    checkTools(agent.tools, [...path, "tools"], out)
    checkSubAgents(agent, path, root.agents as ReadonlyArray<unknown>, out)
    checkLlm(agent.llm, [...path, "llm"], out)
    if (isRecord(agent.output_schema)) {
      const error = jsonSchemaError(agent.output_schema)
      if (error !== undefined) {
        out.push({
          path: [...path, "output_schema"],
          message: `is not a valid JSON Schema: ${error}`,
          hint: "output_schema must be a JSON Schema (draft-07 by default) describing the final answer"
        })
      }
    }
  })
}

// Decoding only validates a builtin's config; this puts the decoded config (its defaults applied) in.
const withBuiltinConfig = <R extends { readonly type?: string | undefined; readonly config: Record<string, unknown> }>(
  seam: Builtins.Seam,
  ref: R
): R => {
  if (ref.type === undefined) return ref
  const decoded = Builtins.decodeConfig(seam, ref.type, ref.config, [], [])
  return Option.isSome(decoded) && isRecord(decoded.value) ? { ...ref, config: decoded.value } : ref
}

/**
 * The decoded config with each builtin plugin's decoded `config` (its defaults applied) put in.
 *
 * @since 0.2.0
 * @category decoding
 */
export const applyBuiltinConfigs = (config: AppConfig): AppConfig => ({
  ...config,
  runtime: withBuiltinConfig("runtime", config.runtime),
  session: withBuiltinConfig("session", config.session),
  events: withBuiltinConfig("events", config.events),
  skills: withBuiltinConfig("skills", config.skills),
  agents: config.agents.map((agent) => ({
    ...agent,
    memory: withBuiltinConfig("memory", agent.memory),
    pattern: withBuiltinConfig("pattern", agent.pattern),
    ...(agent.tool_executor !== undefined
      ? {
        tool_executor: Array.isArray(agent.tool_executor)
          ? agent.tool_executor.map((ref) => withBuiltinConfig("tool_executor", ref))
          : withBuiltinConfig("tool_executor", agent.tool_executor as Exclude<typeof agent.tool_executor, ReadonlyArray<unknown>>)
      }
      : {}),
    ...(agent.context_assembler !== undefined
      ? { context_assembler: withBuiltinConfig("context_assembler", agent.context_assembler) }
      : {}),
    tools: agent.tools.map((tool) => withBuiltinConfig("tool", tool))
  }))
})
