/**
 * The agents of a runtime: their definitions, and their seams (model, pattern, memory, ...) built on
 * first use and kept until `reloadAgent`, `reload` or `close` drops them. Private to the runtime.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as ContextAssembler from "../../context/ContextAssembler.js"
import { ConfigError, UnknownAgentError } from "../../kernel/Errors.js"
import { closest } from "../../internal/suggest.js"
import { LanguageModel } from "../../llm/LanguageModel.js"
import * as ProviderRetry from "../../llm/ProviderRetry.js"
import { Memory } from "../../memory/Memory.js"
import * as WindowBuffer from "../../memory/WindowBuffer.js"
import { Pattern } from "../../patterns/Pattern.js"
import * as React from "../../patterns/React.js"
import type { Tool } from "../../tools/Tool.js"
import * as ToolExecutor from "../../tools/ToolExecutor.js"
import * as Toolkit from "../../tools/Toolkit.js"
import type { AgentDefinition } from "../Agent.js"
import type { AgentEnv } from "./env.js"

/** Seams found in the runtime's context: the default of agents that do not name their own. */
export interface Ambient {
  readonly model: Option.Option<LanguageModel["Type"]>
  readonly pattern: Option.Option<Pattern["Type"]>
  readonly memory: Option.Option<Memory["Type"]>
  readonly assembler: Option.Option<ContextAssembler.ContextAssembler["Type"]>
  readonly executor: Option.Option<ToolExecutor.ToolExecutor["Type"]>
  readonly toolkit: Option.Option<Toolkit.Service>
}

export const ambient: Effect.Effect<Ambient> = Effect.all({
  model: Effect.serviceOption(LanguageModel),
  pattern: Effect.serviceOption(Pattern),
  memory: Effect.serviceOption(Memory),
  assembler: Effect.serviceOption(ContextAssembler.ContextAssembler),
  executor: Effect.serviceOption(ToolExecutor.ToolExecutor),
  toolkit: Effect.serviceOption(Toolkit.Toolkit)
})

/** Chunks buffered for a slow stream reader before the run waits for it (default 2000). */
export const eventQueueSizeOf = (definition: { readonly eventQueueSize?: number | undefined }): number =>
  definition.eventQueueSize ?? 2000

/**
 * Definitions are valid: at least one, each with a distinct non-empty id and a model (its own, or one
 * in the runtime's context). An agent without a model is an error, never a silent echo.
 */
export const checkDefinitions = <R>(
  agents: ReadonlyArray<AgentDefinition<R>>,
  seams: Ambient
): Effect.Effect<void, ConfigError> => {
  const seen = new Set<string>()
  for (const [i, a] of agents.entries()) {
    if (!a.id) return Effect.fail(ConfigError.single(`agents[${i}].id`, "an agent needs a non-empty id"))
    if (seen.has(a.id)) return Effect.fail(ConfigError.single(`agents[${i}].id`, `duplicate agent id '${a.id}'`))
    seen.add(a.id)
    if (a.model === undefined && Option.isNone(seams.model)) {
      return Effect.fail(ConfigError.single(`agents[${i}].model`, `agent '${a.id}' has no model`, {
        hint: "give the agent a model Layer (model: MockModel.layer(), AnthropicModel.layer({...}), ...) " +
          "or provide a LanguageModel Layer to the runtime"
      }))
    }
  }
  return agents.length === 0 ? Effect.fail(ConfigError.single("agents", "at least one agent is required")) : Effect.void
}

/** What a seam Layer failed with, as the ConfigError that refuses the agent's runs. */
const buildError = (agentId: string, seam: string) => (error: unknown): ConfigError =>
  error instanceof ConfigError
    ? error
    : ConfigError.single(`agents.${agentId}.${seam}`, `could not be built: ${
      typeof (error as { message?: unknown })?.message === "string" ? (error as { message: string }).message : String(error)
    }`)

const buildSeam = <I, S, R>(
  agentId: string,
  seam: string,
  layer: Layer.Layer<I, unknown, R> | undefined,
  tag: Context.Tag<I, S>,
  fallback: Option.Option<S>,
  builtin: () => Effect.Effect<S>,
  context: Context.Context<R>
): Effect.Effect<S, ConfigError, Scope.Scope> =>
  layer
    ? Effect.flatMap(Effect.scope, (scope) =>
      Layer.buildWithScope(layer, scope).pipe(
        Effect.provide(context),
        Effect.map(Context.get(tag)),
        Effect.mapError(buildError(agentId, seam))
      ))
    : Option.isSome(fallback)
    ? Effect.succeed(fallback.value)
    : builtin()

/** The agent's tools and those of its toolkits (built in the agent's scope); a name used twice names both owners. */
const withToolkits = <R>(
  definition: AgentDefinition<R>,
  context: Context.Context<R>
): Effect.Effect<Toolkit.Service, ConfigError, Scope.Scope> =>
  Effect.gen(function*() {
    const owned: Array<readonly [string, Tool]> = (definition.tools ?? []).map((t) => [`tool '${t.name}'`, t])
    const releases: Array<(sessionId: string) => Effect.Effect<void>> = []
    for (const { layer, source } of definition.toolkits ?? []) {
      const kit = yield* buildSeam(definition.id, "tools", layer, Toolkit.Toolkit, Option.none(), () => Effect.die(source), context)
      for (const tool of kit.tools.values()) owned.push([`tool '${tool.name}' of ${source}`, tool])
      if (kit.releaseSession) releases.push(kit.releaseSession)
    }
    const owners = new Map<string, string>()
    for (const [owner, tool] of owned) {
      const first = owners.get(tool.name)
      if (first !== undefined) {
        return yield* ConfigError.single(`agents.${definition.id}.tools`, `two tools are named '${tool.name}': ${first} and ${owner}`, {
          hint: "rename the agent's tool (its id), or leave the server's tool out with `tools`"
        })
      }
      owners.set(tool.name, owner)
    }
    const toolkit = Toolkit.make(...owned.map(([, tool]) => tool))
    if (releases.length === 0) return toolkit
    return {
      ...toolkit,
      releaseSession: (sessionId: string) => Effect.forEach(releases, (release) => release(sessionId), { discard: true })
    }
  })

const build = <R>(
  definition: AgentDefinition<R>,
  ambient: Ambient,
  context: Context.Context<R>
): Effect.Effect<AgentEnv, ConfigError, Scope.Scope> =>
  Effect.gen(function*() {
    const id = definition.id
    const model = yield* buildSeam(id, "model", definition.model, LanguageModel, ambient.model, () =>
      Effect.dieMessage(`agent '${id}' has no model`), context)
    const pattern = yield* buildSeam(id, "pattern", definition.pattern, Pattern, ambient.pattern, () =>
      Effect.succeed(React.make), context)
    const memory = yield* buildSeam(id, "memory", definition.memory, Memory, ambient.memory, () =>
      Effect.succeed(WindowBuffer.make()), context)
    const assembler = yield* buildSeam(
      id,
      "context_assembler",
      definition.contextAssembler,
      ContextAssembler.ContextAssembler,
      ambient.assembler,
      () => Effect.succeed(ContextAssembler.passthrough),
      context
    )
    const executor = yield* buildSeam(
      id,
      "tool_executor",
      definition.toolExecutor,
      ToolExecutor.ToolExecutor,
      ambient.executor,
      () => Effect.succeed(ToolExecutor.make()),
      context
    )
    const toolkit = definition.tools === undefined && definition.toolkits === undefined && Option.isSome(ambient.toolkit)
      ? ambient.toolkit.value
      : definition.toolkits === undefined
      ? yield* Effect.try({
        try: () => Toolkit.make(...(definition.tools ?? [])),
        catch: (e) => ConfigError.single(`agents.${definition.id}.tools`, (e as Error).message)
      })
      : yield* withToolkits(definition, context)
    return {
      id: definition.id,
      name: definition.name ?? definition.id,
      instructions: definition.instructions,
      model,
      pattern,
      memory,
      memoryOnError: definition.memoryOnError ?? "continue",
      assembler,
      executor,
      toolkit,
      retry: { ...ProviderRetry.defaults, ...definition.retry },
      maxSteps: definition.maxSteps ?? 16,
      stepTimeoutMs: definition.stepTimeoutMs ?? 30_000,
      maxConcurrentTools: definition.maxConcurrentTools ?? 10,
      sessionQueueSize: definition.sessionQueueSize ?? 1000,
      eventQueueSize: eventQueueSizeOf(definition),
      outputSchema: definition.outputSchema,
      approvalTimeoutMs: definition.approvalTimeoutMs
    } satisfies AgentEnv
  })

/** Two definitions of one agent are the same when they are one object or were built from the same config. */
const sameDefinition = <R>(a: AgentDefinition<R>, b: AgentDefinition<R>): boolean =>
  a === b || (a.fingerprint !== undefined && a.fingerprint === b.fingerprint)

export interface Agents<R> {
  readonly definitions: () => ReadonlyArray<AgentDefinition<R>>
  readonly lookup: (agentId: string) => Effect.Effect<AgentDefinition<R>, UnknownAgentError>
  /** The agent's seams, built on first use. */
  readonly get: (agentId: string) => Effect.Effect<AgentEnv, ConfigError | UnknownAgentError>
  /** The seams of an agent built and not dropped since. */
  readonly built: (agentId: string) => AgentEnv | undefined
  /** Lets the built agents' tools release what they hold for a session (see `Toolkit.Service.releaseSession`). */
  readonly releaseSession: (sessionId: string) => Effect.Effect<void>
  /** Drops an agent's seams: the runs that start next build them anew. */
  readonly drop: (agentId: string) => Effect.Effect<void>
  /** Replaces the definitions; returns the ids of the agents that changed, were added or removed. */
  readonly replace: (next: ReadonlyArray<AgentDefinition<R>>) => Effect.Effect<{
    readonly changed: ReadonlyArray<string>
    readonly added: ReadonlyArray<string>
    readonly removed: ReadonlyArray<string>
  }>
}

/** What `getAgentInfo` tells about an agent (undefined for an unknown one). */
export const info = <R>(agents: Agents<R>, agentId: string) => {
  const a = agents.definitions().find((d) => d.id === agentId)
  if (!a) return undefined
  const env = agents.built(agentId)
  return {
    id: a.id,
    name: a.name ?? a.id,
    tools: (a.tools ?? []).map((t) => t.name),
    loaded: env !== undefined,
    model: env?.model.model,
    info: a.info ?? {}
  }
}

export const make = <R>(
  initial: ReadonlyArray<AgentDefinition<R>>,
  seams: Ambient
): Effect.Effect<Agents<R>, never, Scope.Scope | R> =>
  Effect.gen(function*() {
    const context = yield* Effect.context<R>()
    let definitions = new Map(initial.map((a) => [a.id, a] as const))
    const built = new Map<string, { readonly env: AgentEnv; readonly scope: Scope.CloseableScope }>()
    const runtimeScope = yield* Effect.scope
    // one build at a time; a build forks nothing, so a run reaches its model call without extra hops
    const buildLock = yield* Effect.makeSemaphore(1)
    const lookup = (agentId: string): Effect.Effect<AgentDefinition<R>, UnknownAgentError> =>
      Effect.suspend(() => {
        const agent = definitions.get(agentId)
        if (agent) return Effect.succeed(agent)
        const available = [...definitions.keys()]
        const suggestion = closest(agentId, available)
        return Effect.fail(new UnknownAgentError({ agentId, available, ...(suggestion ? { suggestion } : {}) }))
      })
    const get = (agentId: string): Effect.Effect<AgentEnv, ConfigError | UnknownAgentError> =>
      Effect.suspend(() => {
        const existing = built.get(agentId)
        if (existing) return Effect.succeed(existing.env)
        return buildLock.withPermits(1)(Effect.gen(function*() {
          const again = built.get(agentId)
          if (again) return again.env
          const definition = yield* lookup(agentId)
          const scope = yield* Scope.fork(runtimeScope, ExecutionStrategy.sequential)
          const env = yield* build(definition, seams, context).pipe(
            Scope.extend(scope),
            Effect.onError(() => Scope.close(scope, Exit.void))
          )
          built.set(agentId, { env, scope })
          return env
        }))
      })
    const drop = (agentId: string) =>
      Effect.suspend(() => {
        const b = built.get(agentId)
        built.delete(agentId)
        return b ? Scope.close(b.scope, Exit.void) : Effect.void
      })
    return {
      definitions: () => [...definitions.values()],
      lookup,
      get,
      built: (agentId) => built.get(agentId)?.env,
      releaseSession: (sessionId) =>
        Effect.forEach(built.values(), (b) => b.env.toolkit.releaseSession?.(sessionId) ?? Effect.void, { discard: true }),
      drop,
      replace: (next) =>
        Effect.gen(function*() {
          const before = definitions
          definitions = new Map(next.map((a) => [a.id, a] as const))
          const added = next.filter((a) => !before.has(a.id)).map((a) => a.id)
          const removed = [...before.keys()].filter((id) => !definitions.has(id))
          const changed = next.filter((a) => before.has(a.id) && !sameDefinition(before.get(a.id)!, a)).map((a) => a.id)
          // the next runs build the seams anew
          yield* Effect.forEach([...before.keys()], drop, { discard: true })
          return { changed, added, removed }
        })
    }
  })
