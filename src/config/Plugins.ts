/**
 * From a validated `agent.json` to Layers: each plugin ref (`type` for a builtin, `impl` for a module of
 * yours) becomes the Layer of its seam, and each agent an `AgentDefinition`.
 *
 * An `impl` is `<module>#<export>`; a relative module is resolved against the config file's folder. The
 * export is either the seam's value itself (a `Tool`, or a Layer of the seam's Tag) or a factory called
 * with the ref's `config` that returns one (directly, or as an Effect).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Either from "effect/Either"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import * as ContextAssembler from "../context/ContextAssembler.js"
import * as EventBus from "../events/EventBus.js"
import { ConfigError, ConfigIssue } from "../kernel/Errors.js"
import * as AnthropicModel from "../llm/AnthropicModel.js"
import type { LanguageModel } from "../llm/LanguageModel.js"
import * as MockModel from "../llm/MockModel.js"
import * as OpenAiChatModel from "../llm/OpenAiChatModel.js"
import * as OpenAiResponsesModel from "../llm/OpenAiResponsesModel.js"
import type * as Pricing from "../llm/Pricing.js"
import type { RetryOptions } from "../llm/ProviderRetry.js"
import { Memory } from "../memory/Memory.js"
import { Pattern } from "../patterns/Pattern.js"
import type { AgentDefinition, ToolkitSource } from "../runtime/Agent.js"
import * as AgentRuntime from "../runtime/AgentRuntime.js"
import type { ExperienceStore } from "../memory/ExperienceStore.js"
import { SessionStore } from "../sessions/SessionStore.js"
import * as Skills from "../skills/Skills.js"
import { checkName, type Tool } from "../tools/Tool.js"
import * as ToolExecutor from "../tools/ToolExecutor.js"
import type { AgentConfig, AppConfig, LlmConfig, PricingConfig, ToolRef } from "./AppConfig.js"
import * as ConfigLoader from "./ConfigLoader.js"
import * as MultiAgent from "./MultiAgentConfig.js"
import { withApproval } from "./internal/approval.js"
import * as Registry from "./Registry.js"
import * as TelemetryConfig from "./TelemetryConfig.js"
import * as TracesConfig from "./TracesConfig.js"

/**
 * What a config becomes.
 *
 * @since 0.1.0
 * @category models
 */
export interface Built {
  readonly agents: ReadonlyArray<AgentDefinition>
  /**
   * The runtime-wide services: session store, event bus, skills, experiences, and the trace store
   * (`TraceStore`) unless tracing is off.
   */
  readonly services: Layer.Layer<SessionStore | EventBus.EventBus | Skills.Skills | ExperienceStore, ConfigError>
}

interface Ref {
  readonly type?: string | undefined
  readonly impl?: string | undefined
  readonly config?: Readonly<Record<string, unknown>> | undefined
}

/**
 * Imports the export named by an `impl` ref.
 *
 * @since 0.1.0
 * @category loading
 */
export const importImpl = (impl: string, dir: string, where: string): Effect.Effect<unknown, ConfigError> =>
  Effect.gen(function*() {
    const hash = impl.lastIndexOf("#")
    const module = hash > 0 ? impl.slice(0, hash) : impl
    const name = hash > 0 ? impl.slice(hash + 1) : "default"
    const specifier = module.startsWith(".") || path.isAbsolute(module)
      ? pathToFileURL(path.resolve(dir, module)).href
      : module
    const loaded = yield* Effect.tryPromise({
      try: () => import(specifier) as Promise<Record<string, unknown>>,
      catch: (e) =>
        ConfigError.single(`${where}.impl`, `cannot import '${module}': ${(e as Error).message}`, {
          hint: "a relative module is resolved against the config file's folder, e.g. ./tools.js#myTool"
        })
    })
    if (!(name in loaded)) {
      const available = Object.keys(loaded).join(", ") || "none"
      return yield* ConfigError.single(`${where}.impl`, `module '${module}' has no export '${name}' (exports: ${available})`)
    }
    return loaded[name]
  })

/** Calls a factory with the ref's config when the export is a function; unwraps an Effect result. */
const instantiate = (value: unknown, config: Readonly<Record<string, unknown>>, where: string) =>
  Effect.gen(function*() {
    let out = value
    if (typeof out === "function" && !Layer.isLayer(out)) {
      out = yield* Effect.try({
        try: () => (out as (config: unknown) => unknown)(config),
        catch: (e) => ConfigError.single(`${where}.impl`, `the factory threw: ${(e as Error).message}`)
      })
    }
    if (Effect.isEffect(out)) {
      out = yield* (out as Effect.Effect<unknown, unknown>).pipe(
        Effect.mapError((e) => ConfigError.single(`${where}.impl`, `the factory failed: ${String((e as Error)?.message ?? e)}`))
      )
    }
    return out
  })

/** An impl export as a Layer of `tag`: a Layer is taken as it is, anything else as the service value. */
const implLayer = <I, S>(tag: Context.Tag<I, S>, ref: Ref, dir: string, where: string): Layer.Layer<I, ConfigError> =>
  Layer.unwrapEffect(
    Effect.gen(function*() {
      const value = yield* instantiate(yield* importImpl(ref.impl!, dir, where), ref.config ?? {}, where)
      if (Layer.isLayer(value)) return value as Layer.Layer<I, ConfigError>
      if (typeof value !== "object" || value === null) {
        return yield* ConfigError.single(`${where}.impl`, `expected a Layer or a service object, got ${typeof value}`)
      }
      return Layer.succeed(tag, value as S)
    })
  )

const isTool = (u: unknown): u is Tool =>
  typeof u === "object" && u !== null && typeof (u as Tool).name === "string" && typeof (u as Tool).handler === "function" &&
  typeof (u as Tool).decode === "function"

const pricingOf = (p: PricingConfig | undefined): Partial<Pricing.Pricing> | undefined =>
  p && {
    ...(p.input !== undefined ? { input: p.input } : {}),
    ...(p.output !== undefined ? { output: p.output } : {}),
    ...(p.cached_read !== undefined ? { cachedRead: p.cached_read } : {}),
    ...(p.cached_write !== undefined ? { cachedWrite: p.cached_write } : {})
  }

const DEFAULT_MODELS = { anthropic: "claude-sonnet-4-6", openai: "gpt-4o-mini", openai_compatible: "gpt-4o-mini" } as const

/**
 * The model Layer of an `llm` block.
 *
 * @since 0.1.0
 * @category layers
 */
export const modelLayer = (llm: LlmConfig): Layer.Layer<LanguageModel, ConfigError> => {
  if (llm.provider === "mock") {
    const pricing = pricingOf(llm.pricing ?? undefined)
    return MockModel.layer({
      model: llm.model ?? "mock",
      pricing: pricing?.input !== undefined && pricing.output !== undefined ? (pricing as Pricing.Pricing) : undefined,
      script: llm.script?.map((s): MockModel.MockStep => ({
        text: s.text ?? undefined,
        toolCalls: s.tool_calls?.map((c) => ({ name: c.name, arguments: c.arguments ?? {}, id: c.id })),
        usage: s.usage
          ? {
            ...(s.usage.input_tokens !== undefined ? { inputTokens: s.usage.input_tokens } : {}),
            ...(s.usage.output_tokens !== undefined ? { outputTokens: s.usage.output_tokens } : {}),
            ...(s.usage.cached_input_tokens !== undefined ? { cachedInputTokens: s.usage.cached_input_tokens } : {})
          }
          : undefined,
        delayMs: s.delay_ms ?? undefined,
        error: s.error
          ? { kind: s.error.kind, retryAfterMs: s.error.retry_after_ms ?? undefined, message: s.error.message ?? undefined }
          : undefined
      }))
    })
  }
  const options = {
    model: llm.model ?? DEFAULT_MODELS[llm.provider],
    apiKeyEnv: llm.api_key_env ?? undefined,
    baseUrl: llm.api_base ?? undefined,
    temperature: llm.temperature ?? undefined,
    maxTokens: llm.max_tokens ?? undefined,
    timeoutMs: llm.timeout_ms ?? undefined,
    idleTimeoutMs: llm.idle_timeout_ms ?? undefined,
    extraHeaders: llm.extra_headers ?? undefined,
    pricing: pricingOf(llm.pricing ?? undefined),
    reasoningModel: llm.reasoning_model ?? undefined,
    seed: llm.seed ?? undefined,
    topP: llm.top_p ?? undefined,
    parallelToolCalls: llm.parallel_tool_calls ?? undefined,
    thinking: llm.thinking_budget_tokens ? { budgetTokens: llm.thinking_budget_tokens } : undefined,
    reasoningEffort: llm.reasoning_effort ?? undefined
  }
  if (llm.provider === "anthropic") return AnthropicModel.layer(options)
  const style = llm.openai_api_style ?? (llm.api_base?.replace(/\/+$/, "").endsWith("/responses") ? "responses" : "chat_completions")
  const baseUrl = style === "responses" ? options.baseUrl?.replace(/\/+$/, "").replace(/\/responses$/, "") : options.baseUrl
  const openai = { ...options, baseUrl, provider: llm.provider }
  return style === "responses" ? OpenAiResponsesModel.layer(openai) : OpenAiChatModel.layer(openai)
}

const retryOf = (llm: LlmConfig): Partial<RetryOptions> | undefined => {
  const r = llm.retry
  if (!r) return undefined
  return {
    maxAttempts: r.max_attempts,
    initialBackoffMs: r.initial_backoff_ms,
    maxBackoffMs: r.max_backoff_ms,
    backoffMultiplier: r.backoff_multiplier,
    retryOnConnectionErrors: r.retry_on_connection_errors,
    totalBudgetMs: r.total_budget_ms ?? undefined
  }
}

/** An entry's own settings over its tool's: `concurrency_safe`, and approval (`approval_mode`, ...). */
const configured = (tool: Tool, ref: ToolRef): Tool =>
  withApproval(ref.concurrency_safe === undefined ? tool : { ...tool, concurrencySafe: ref.concurrency_safe }, ref)

/** The tools of an agent; a type whose tools are known once connected (`mcp`) gives a toolkit Layer. */
const toolsOf = (agent: AgentConfig, index: number, dir: string): Effect.Effect<ReadonlyArray<Tool | ToolkitSource>, ConfigError> =>
  Effect.forEach(
    agent.tools.map((t, i) => [t, i] as const).filter(([t]) => t.enabled !== false),
    ([ref, i]): Effect.Effect<Tool | ToolkitSource, ConfigError> => {
      const where = `agents[${index}].tools[${i}]`
      if (ref.type) {
        return Effect.map(
          Registry.build("tool", ref.type, ref.config, { dir, where, id: ref.id }),
          (built) => ("handler" in built ? configured(built, ref) : { source: `${ref.type} tool '${ref.id}' (${where})`, layer: built })
        )
      }
      return Effect.gen(function*() {
        const value = yield* instantiate(yield* importImpl(ref.impl!, dir, where), ref.config ?? {}, where)
        if (!isTool(value)) {
          return yield* ConfigError.single(`${where}.impl`, "expected a Tool (made with Tool.make or Tool.fromJsonSchema)")
        }
        yield* Effect.try({
          try: () => checkName(ref.id),
          catch: (e) => ConfigError.single(`${where}.id`, (e as Error).message)
        })
        return configured(value.name === ref.id ? value : { ...value, name: ref.id }, ref)
      })
    }
  )

type LayerSeam = Exclude<Registry.Seam, "tool" | "runtime">
type ServiceOf<S extends LayerSeam> = Layer.Layer.Success<Registry.Products[S]>

/** The Layer of a plugin ref: your `impl` module, or the builtin `type` from the registry. */
const seamLayer = <S extends LayerSeam>(
  seam: S,
  tag: Context.Tag<ServiceOf<S>, any>,
  ref: Ref | undefined,
  dir: string,
  where: string
): Layer.Layer<ServiceOf<S>, ConfigError> | undefined => {
  if (!ref) return undefined
  if (ref.impl) return implLayer(tag, ref, dir, where)
  const built = Registry.build(seam, ref.type ?? "", ref.config, { dir, where, id: "" })
  return Either.isLeft(built) ? Layer.fail(built.left) : (built.right as Layer.Layer<ServiceOf<S>, ConfigError>)
}

/**
 * The Layer of `tool_executor`: one ref, or a list applied outermost-first where each entry is built over
 * the next one (`Layer.provide`) and the last over `default` (unless it is `default`), so a wrapper
 * (`retry`, `policy`, `hooks`, or an `impl` Layer that requires a `ToolExecutor`) never wraps an executor
 * from elsewhere.
 */
const executorLayer = (
  refs: AgentConfig["tool_executor"],
  dir: string,
  where: string
): Layer.Layer<ToolExecutor.ToolExecutor, ConfigError> | undefined => {
  if (refs === undefined) return undefined
  const list: ReadonlyArray<readonly [Ref, string]> = Array.isArray(refs)
    ? refs.map((ref: Ref, i) => [ref, `${where}[${i}]`] as const)
    : [[refs as Ref, where]]
  const layers = list.map(([ref, at]) => seamLayer("tool_executor", ToolExecutor.ToolExecutor, ref, dir, at)!)
  const innermost = list[list.length - 1]![0].type === "default" ? layers[layers.length - 1]! : ToolExecutor.layer()
  const outer = innermost === layers[layers.length - 1] ? layers.slice(0, -1) : layers
  return outer.reduceRight((inner, layer) => Layer.provide(layer, inner), innermost)
}

/**
 * The definition of one configured agent.
 *
 * @since 0.1.0
 * @category constructors
 */
export const agentDefinition = (
  agent: AgentConfig,
  index: number,
  dir: string
): Effect.Effect<AgentDefinition, ConfigError> =>
  Effect.gen(function*() {
    const where = `agents[${index}]`
    const all = yield* toolsOf(agent, index, dir)
    const tools = all.filter((t): t is Tool => !("layer" in t))
    const toolkits = all.filter((t): t is ToolkitSource => "layer" in t)
    const llm = agent.llm
    return {
      id: agent.id,
      name: agent.name,
      instructions: agent.instructions ?? undefined,
      model: modelLayer(llm),
      tools,
      ...(toolkits.length > 0 ? { toolkits } : {}),
      pattern: seamLayer("pattern", Pattern, agent.pattern, dir, `${where}.pattern`),
      memory: seamLayer("memory", Memory, agent.memory, dir, `${where}.memory`),
      contextAssembler: seamLayer(
        "context_assembler",
        ContextAssembler.ContextAssembler,
        agent.context_assembler ?? undefined,
        dir,
        `${where}.context_assembler`
      ),
      toolExecutor: executorLayer(agent.tool_executor, dir, `${where}.tool_executor`),
      memoryOnError: agent.memory.on_error,
      retry: retryOf(llm),
      maxSteps: agent.runtime.max_steps,
      stepTimeoutMs: agent.runtime.step_timeout_ms,
      sessionQueueSize: agent.runtime.session_queue_size,
      eventQueueSize: agent.runtime.event_queue_size,
      maxConcurrentTools: agent.runtime.max_concurrent_tools,
      approvalTimeoutMs: agent.runtime.approval_timeout_ms,
      outputSchema: (agent.output_schema ?? undefined) as Record<string, unknown> | undefined,
      fingerprint: JSON.stringify(agent),
      info: {
        provider: llm.provider,
        model: llm.model ?? null,
        pattern: agent.pattern.type ?? agent.pattern.impl,
        memory: agent.memory.type ?? agent.memory.impl,
        tools: agent.tools.map((t) => ({ id: t.id, type: t.type ?? null, impl: t.impl ?? null, enabled: t.enabled !== false }))
      }
    } satisfies AgentDefinition
  })

/**
 * The runtime-wide services of a config.
 *
 * @since 0.1.0
 * @category layers
 */
export const servicesLayer = (config: AppConfig, dir: string): Built["services"] =>
  Layer.mergeAll(
    seamLayer("session", SessionStore, config.session as Ref, dir, "session")!,
    seamLayer("events", EventBus.EventBus, config.events as Ref, dir, "events")!,
    seamLayer("skills", Skills.Skills, config.skills as Ref, dir, "skills")!,
    TracesConfig.layer(TracesConfig.placeOf(config.traces, config.session, dir)),
    // installs a tracer for what is built on these services (Layer.empty, nothing loaded, when off)
    TelemetryConfig.layer(config.telemetry)
  )

/**
 * Everything a loaded config describes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromConfig = (loaded: ConfigLoader.LoadedConfig): Effect.Effect<Built, ConfigError> =>
  Effect.gen(function*() {
    if ((loaded.config.runtime as Ref).impl) {
      return yield* ConfigError.single("runtime.impl", "a custom runtime cannot be loaded", {
        hint: "keep runtime {\"type\": \"default\"} and customize the seams (pattern, memory, tool_executor, ...) instead"
      })
    }
    const agents = yield* Effect.forEach(loaded.config.agents, (a, i) => agentDefinition(a, i, loaded.dir))
    return { agents, services: servicesLayer(loaded.config, loaded.dir) }
  })

/** The top-level blocks a running runtime cannot swap: its store, bus, skills and runtime settings. */
const FIXED_BLOCKS = ["version", "runtime", "session", "events", "skills", "traces", "multi_agent", "telemetry", "cluster"] as const

/**
 * A reload applies to agents only: a changed top-level block is refused (naming each), never ignored.
 */
const refuseFixedBlocks = (before: ConfigLoader.LoadedConfig, after: ConfigLoader.LoadedConfig): Effect.Effect<void, ConfigError> => {
  const changed = FIXED_BLOCKS.filter((key) =>
    JSON.stringify((before.config as Record<string, unknown>)[key]) !==
      JSON.stringify((after.config as Record<string, unknown>)[key])
  )
  return changed.length === 0 ? Effect.void : Effect.fail(ConfigError.fromIssues(
    changed.map((key) =>
      new ConfigIssue({
        path: key,
        message: "changed, and cannot be reloaded into a running runtime",
        hint: "only agents reload; restart the runtime to apply it"
      })
    ),
    after.path
  ))
}

/**
 * An `AgentRuntime` built from a config file path or a config object. Built from a file, `reload()`
 * reads the file again.
 *
 * @since 0.1.0
 * @category layers
 */
export const runtimeLayer = (
  input: string | Record<string, unknown>
): Layer.Layer<AgentRuntime.AgentRuntime | EventBus.EventBus | SessionStore, ConfigError> =>
  Layer.unwrapEffect(
    Effect.gen(function*() {
      const loaded = yield* ConfigLoader.load(input)
      const built = yield* fromConfig(loaded)
      const reload = typeof input === "string"
        ? Effect.flatMap(ConfigLoader.loadFile(loaded.path), (next) =>
          Effect.zipRight(refuseFixedBlocks(loaded, next), Effect.map(fromConfig(next), (b) => b.agents)))
        : undefined
      const multiAgent = MultiAgent.toOptions(loaded.config.multi_agent)
      return AgentRuntime.layer({ agents: built.agents, reload, multiAgent }).pipe(Layer.provideMerge(built.services))
    })
  ).pipe(Layer.map((ctx) => Context.omit(Skills.Skills)(ctx)))
