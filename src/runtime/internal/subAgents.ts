/**
 * Child runs: an agent a tool starts as a child of the run in progress (`ToolContext.runAgent`). The child
 * has a session of its own (`<parent session>/<call id>`: a parent holds its session's lease, so a child
 * on it would wait forever), the parent's remaining budget at most (steps, tool calls, cost, time), and its
 * run id `<parent run>/<call id>`; it is cancelled with the parent (interrupting the call cancels it), and
 * what it spent is the parent's too: its model calls count as the parent's steps, its usage is added to the
 * parent's, and the result's `metadata.children` lists each child with its own usage. A call that would
 * re-enter an agent of the run's ancestry, or go deeper than the depth limit, is refused. Private to the
 * runtime.
 */
import * as Effect from "effect/Effect"
import { unsafeMake } from "../../internal/unsafeMake.js"
import { ToolExecutionError } from "../../kernel/Errors.js"
import { type RunRequest, RunResult, RunUsage } from "../../kernel/Run.js"
import type { ToolCallPart } from "../../kernel/Transcript.js"
import type { SubAgentRequest } from "../../tools/Tool.js"
import type { ChunkSink } from "./chunks.js"
import type { Run } from "./env.js"
import { lastCheckpointOf } from "./journal.js"
import type { Turn } from "./lanes.js"
import type { Handoff } from "./state.js"
import type { Tasks } from "./tasks.js"

/** How many agents deep a chain of delegation may go by default (the root run is depth 0). */
export const MAX_DEPTH = 3

/** The request metadata key holding the agents a run descends from, root first. */
export const ANCESTRY_KEY = "openagents.ancestry"

/** One child run, as `metadata.children` of its parent's result lists it. */
export interface ChildRun {
  readonly runId: string
  readonly agentId: string
  readonly stopReason: string
  readonly usage: RunUsage
}

/** How a child is started besides its request: where its chunks go, and whether it shares the parent's session. */
export interface Via {
  /** The parent's stream: the child's chunks go there too, with their own run id and sequence. */
  readonly sink?: ChunkSink | undefined
  /** The child runs on its parent's session, inside the parent's turn and lease. */
  readonly shared: boolean
}

/** The turn of a child sharing its parent's session: the parent's, which waits for the child. */
export const insideParent: Turn = { waitTurn: Effect.void, release: Effect.void, ahead: 0 }

/** The runtime-wide defaults of delegation (agent.json's `multi_agent`, or `AgentRuntime.Options.multiAgent`). */
export interface Defaults {
  /** How many levels below the first agent a chain of delegation may go (default 3). */
  readonly maxDelegationDepth?: number | undefined
  /** The budget of a child whose tool names none (always capped by what the parent has left). */
  readonly defaultChildBudget?: SubAgentRequest["budget"]
  /** The session of a child whose tool names none (default `isolated`; a handoff's is `shared`). */
  readonly defaultSessionIsolation?: SubAgentRequest["session"]
}

/** What the runtime gives a run to start children with. */
export interface Delegation {
  readonly start: StartChild
  readonly defaults: Defaults
  /** Where background delegations run (the runtime's, see tasks.ts). */
  readonly tasks?: Tasks | undefined
}

const ancestryOf = (request: RunRequest): ReadonlyArray<string> => {
  const value = request.metadata[ANCESTRY_KEY]
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : []
}

const addUsage = (a: RunUsage, b: RunUsage): RunUsage => {
  const breakdown: Record<string, number> = { ...a.costBreakdown }
  for (const [k, v] of Object.entries(b.costBreakdown)) breakdown[k] = (breakdown[k] ?? 0) + v
  return unsafeMake(RunUsage, {
    llmCalls: a.llmCalls + b.llmCalls,
    toolCalls: a.toolCalls + b.toolCalls,
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    totalTokens: a.totalTokens + b.totalTokens,
    inputTokensCached: a.inputTokensCached + b.inputTokensCached,
    inputTokensCacheCreation: a.inputTokensCacheCreation + b.inputTokensCacheCreation,
    costUsd: a.costUsd === null || b.costUsd === null ? null : a.costUsd + b.costUsd,
    costBreakdown: breakdown
  })
}

const min = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined ? b : b === undefined ? a : Math.min(a, b)

/** The request of a child run, as the runtime's `runDetailed` takes it. */
export interface ChildInput {
  readonly agentId: string
  readonly inputText: string
  readonly sessionId: string
  readonly runId: string
  readonly parentRunId: string
  readonly metadata: Readonly<Record<string, unknown>>
  readonly budget: Readonly<Record<string, number>>
  readonly durable: boolean
  readonly resumeFromCheckpoint?: string | undefined
}

/** How the runtime starts a run (its `runDetailed`). */
export type StartChild = (input: ChildInput, via: Via) => Effect.Effect<RunResult, { readonly message: string }>

/**
 * The child's request once its session is ready. A durable parent's child that has a checkpoint already
 * (the parent was stopped while it ran, and is being resumed) resumes from its last one, so its finished
 * steps are not run again; a `forked` child's session is first made a copy of the parent's.
 */
const prepare = (run: Run, child: ChildInput, session: NonNullable<SubAgentRequest["session"]>) =>
  Effect.gen(function*() {
    if (child.durable) {
      const last = lastCheckpointOf(yield* run.store.listCheckpoints(child.sessionId), child.runId)
      if (last !== undefined) return { ...child, resumeFromCheckpoint: last }
    }
    if (session === "forked") yield* run.store.forkSession(run.request.sessionId, child.sessionId)
    return child
  })

/** Starts the child run a tool asked for, and folds what it spent into the parent. */
export const runChild = (
  run: Run,
  call: Pick<ToolCallPart, "id" | "name">,
  asked: SubAgentRequest,
  delegation: Delegation
): Effect.Effect<RunResult, ToolExecutionError> =>
  Effect.suspend(() => {
    const { limits, request, state } = run
    const refuse = (message: string) => Effect.fail(new ToolExecutionError({ toolName: call.name, message }))
    const chain = [...ancestryOf(request), run.agent.id]
    if (chain.includes(asked.agentId)) {
      return refuse(`delegation cycle: ${[...chain, asked.agentId].join(" -> ")} (an agent cannot call one it descends from)`)
    }
    const maxDepth = delegation.defaults.maxDelegationDepth ?? MAX_DEPTH
    if (chain.length > maxDepth) {
      return refuse(`delegation too deep: ${[...chain, asked.agentId].join(" -> ")} (at most ${maxDepth} levels below the first agent)`)
    }
    const defaultSession = delegation.defaults.defaultSessionIsolation ?? "isolated"
    // a background child outlives its parent's turn: it cannot run inside it on the parent's session
    const session = asked.background && (asked.session ?? defaultSession) === "shared" ? "isolated" : asked.session ?? defaultSession
    // what the parent has left, which the child cannot exceed
    const stepsLeft = limits.maxSteps - state.steps
    const toolCallsLeft = limits.maxToolCalls === undefined ? undefined : limits.maxToolCalls - state.usage.toolCalls
    const costLeft = limits.maxCostUsd === undefined || state.usage.costUsd === null
      ? limits.maxCostUsd
      : limits.maxCostUsd - state.usage.costUsd
    const timeLeft = run.deadlines.runAt === Infinity ? undefined : Math.floor(run.deadlines.runAt - run.clock.unsafeCurrentTimeMillis())
    if (stepsLeft < 1) return refuse(`no step left in the budget for agent '${asked.agentId}'`)
    if (timeLeft !== undefined && timeLeft < 1) return refuse(`no time left in the budget for agent '${asked.agentId}'`)
    const own = asked.budget ?? delegation.defaults.defaultChildBudget
    const budget = {
      maxSteps: Math.min(stepsLeft, own?.maxSteps ?? stepsLeft),
      ...(min(toolCallsLeft, own?.maxToolCalls) !== undefined
        ? { maxToolCalls: Math.max(0, min(toolCallsLeft, own?.maxToolCalls)!) }
        : {}),
      ...(min(costLeft, own?.maxCostUsd) !== undefined ? { maxCostUsd: Math.max(0, min(costLeft, own?.maxCostUsd)!) } : {}),
      ...(min(timeLeft, own?.maxDurationMs) !== undefined ? { maxDurationMs: min(timeLeft, own?.maxDurationMs)! } : {})
    }
    const child: ChildInput = {
      agentId: asked.agentId,
      // the agent handed the turn to answers the user's input itself
      inputText: asked.handoff ? state.input(request.inputText) : asked.inputText,
      sessionId: session === "shared" ? request.sessionId : `${request.sessionId}/${call.id}`,
      runId: `${request.runId}/${call.id}`,
      parentRunId: request.runId,
      metadata: { [ANCESTRY_KEY]: chain },
      budget,
      // a durable parent's children are durable: a resumed parent resumes them (see `prepare`)
      durable: request.durable
    }
    if (asked.background) return background(run, call, child, session, delegation)
    const parentSink = run.emitter.sink
    const via: Via = {
      // the child's chunks go into the stream its parent's go to, marked as forwarded
      sink: parentSink && { offer: parentSink.offer, backpressure: parentSink.backpressure, forwarded: true },
      shared: session === "shared"
    }
    return prepare(run, child, session).pipe(
      Effect.flatMap((ready) => delegation.start(ready, via)),
      Effect.mapError((e) => new ToolExecutionError({ toolName: call.name, message: `agent '${asked.agentId}' could not start: ${e.message}` })),
      Effect.tap((result) =>
        Effect.sync(() => {
          // what the child spent, the parent spent: its model calls count against the parent's steps
          state.steps += result.usage.llmCalls
          state.usage = addUsage(state.usage, result.usage)
          state.children.push({ runId: result.runId, agentId: result.agentId, stopReason: result.stopReason, usage: result.usage })
          // a completed handoff ends the parent with the child's answer (at its next step, see modelStep.ts)
          if (asked.handoff && result.stopReason === "completed") state.handoff = handoffOf(run, result)
        })
      )
    )
  })

/** What a parent handing its turn to `result`'s run ends with: its answer, and the chain of agents it passed. */
const handoffOf = (run: Run, result: RunResult): Handoff => {
  const further = result.metadata["handoffChain"]
  return {
    runId: result.runId,
    finalOutput: result.finalOutput,
    chain: [run.agent.id, ...(Array.isArray(further) ? further.filter((a): a is string => typeof a === "string") : [result.agentId])]
  }
}

/**
 * Starts the child as a task of the runtime and answers at once with its task id (the child's run id): its
 * chunks are not in the parent's stream and its usage is not the parent's, which may have ended before it.
 */
const background = (
  run: Run,
  call: Pick<ToolCallPart, "id" | "name">,
  child: ChildInput,
  session: NonNullable<SubAgentRequest["session"]>,
  delegation: Delegation
): Effect.Effect<RunResult, ToolExecutionError> => {
  const tasks = delegation.tasks
  if (tasks === undefined) {
    return Effect.fail(new ToolExecutionError({ toolName: call.name, message: "background delegation needs an agent runtime" }))
  }
  const task = { taskId: child.runId, agentId: child.agentId, sessionId: child.sessionId, parentRunId: child.parentRunId }
  return Effect.as(
    tasks.spawn(task, Effect.flatMap(prepare(run, child, session), (ready) => delegation.start(ready, { shared: false }))),
    unsafeMake(RunResult, {
      runId: child.runId,
      sessionId: child.sessionId,
      agentId: child.agentId,
      finalOutput: { taskId: child.runId, agent: child.agentId, status: "running" },
      stopReason: "completed",
      usage: RunUsage.empty,
      artifacts: [],
      error: null,
      metadata: { background: true, taskId: child.runId }
    })
  )
}
