/**
 * The JSON Schema export of `agent.json` (`openagents schema`, schema/agent.schema.json).
 *
 * @since 0.2.0
 */
import * as JSONSchema from "effect/JSONSchema"
import type * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"
import { AppConfig } from "../AppConfig.js"
import * as Builtins from "../Registry.js"
import { isRecord } from "./issues.js"

type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }
type JsonObject = Record<string, unknown>

const OWN_TITLES = new Set([
  "openagents agent.json",
  "agent",
  "llm",
  "retry",
  "pricing",
  "mock script step",
  "agent runtime options",
  "tool",
  ...Builtins.seams.map((s) => Builtins.seamLabel[s])
])

// Drops what Effect adds for its own use (`$id` of primitives, filter titles such as `minLength(1)`)
// and inlines `Int`, whose `$ref` with sibling keywords older validators ignore.
const tidy = (value: unknown, isRoot: boolean): unknown => {
  if (Array.isArray(value)) return value.map((v) => tidy(v, false))
  if (!isRecord(value)) return value
  let node: JsonObject = { ...value }
  if (node.$ref === "#/$defs/Int") {
    const { $ref: _ref, ...rest } = node
    node = { type: "integer", ...rest }
  }
  const out: JsonObject = {}
  for (const [key, item] of Object.entries(node)) {
    if (key === "$id" && !isRoot) continue
    if (key === "title" && !(typeof item === "string" && OWN_TITLES.has(item))) continue
    // property maps hold names, not keywords: keep every name, tidy each schema
    if ((key === "properties" || key === "$defs" || key === "patternProperties") && isRecord(item)) {
      out[key] = Object.fromEntries(Object.entries(item).map(([k, v]) => [k, tidy(v, false)]))
      continue
    }
    out[key] = tidy(item, false)
  }
  return out
}

const configJsonSchema = (schema: Schema.Schema.AnyNoContext): JsonObject => {
  const ast = AST.encodedAST(schema.ast)
  if (AST.isTypeLiteral(ast) && ast.propertySignatures.length === 0 && ast.indexSignatures.length === 0) {
    return { type: "object", maxProperties: 0, description: "This plugin takes no config keys." }
  }
  const { $schema: _s, $defs: _d, ...rest } = tidy(JSONSchema.make(schema), false) as JsonObject
  return rest
}

const refRules = (seam: Builtins.Seam): JsonObject => {
  const table: { readonly [name: string]: Builtins.AnyBuiltin } = Builtins.builtins[seam]
  return {
    oneOf: [{ required: ["type"], properties: { type: true } }, { required: ["impl"], properties: { impl: true } }],
    allOf: Object.entries(table).map(([name, spec]) => {
      const config = configJsonSchema(spec.config)
      // a builtin with a required key needs a `config` object (absent or null means {})
      const needsConfig = Array.isArray(config.required) && config.required.length > 0
      return {
        if: { required: ["type"], properties: { type: { const: name } } },
        then: needsConfig
          ? { required: ["config"], properties: { config } }
          : { properties: { config: { anyOf: [config, { type: "null" }] } } }
      }
    })
  }
}

const REF_DEFS: ReadonlyArray<readonly [string, Builtins.Seam]> = [
  ["MemoryRef", "memory"],
  ["PatternRef", "pattern"],
  ["ToolRef", "tool"],
  ["ToolExecutorRef", "tool_executor"],
  ["ContextAssemblerRef", "context_assembler"],
  ["RuntimeRef", "runtime"],
  ["SessionRef", "session"],
  ["EventsRef", "events"],
  ["SkillsRef", "skills"]
]

/**
 * The JSON Schema (draft-07) of `agent.json`, generated from the `AppConfig` Schema and completed with
 * the rules a plain Schema does not carry: `type` xor `impl`, each builtin's config keys,
 * `api_base` for `openai_compatible`, `script` for `mock` only. Editors use it for completion and
 * checking; it cannot express uniqueness of ids or compile `output_schema`, which `decode` checks.
 *
 * @since 0.1.0
 * @category json schema
 */
export const jsonSchema = (): Record<string, unknown> => {
  const generated = tidy(JSONSchema.make(AppConfig), true) as JsonObject
  const defs = { ...(generated.$defs as JsonObject) }
  delete defs.Int // inlined by `tidy`
  for (const [name, seam] of REF_DEFS) {
    const def = defs[name]
    if (isRecord(def)) defs[name] = { ...def, ...refRules(seam) }
  }
  const llm = defs.LlmConfig
  if (isRecord(llm)) {
    defs.LlmConfig = {
      ...llm,
      allOf: [
        {
          if: { required: ["provider"], properties: { provider: { const: "openai_compatible" } } },
          then: { required: ["api_base"], properties: { api_base: { type: "string" } } }
        },
        {
          if: { required: ["provider"], properties: { provider: { not: { const: "mock" } } } },
          then: { properties: { script: { type: "null" } } }
        }
      ]
    }
  }
  // Put the root definition at the root, so the file reads top-down.
  const root = defs.AppConfig
  delete defs.AppConfig
  const body: JsonObject = isRecord(root) ? root : {}
  const out: JsonObject = {
    $schema: "http://json-schema.org/draft-07/schema#",
    ...body,
    description: "Configuration of an openagents runtime: its agents and the plugins of each seam.",
    $defs: defs
  }
  return JSON.parse(JSON.stringify(out)) as Record<string, Json>
}
