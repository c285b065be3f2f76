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
import { type RunRequest, type RunResult, RunUsage } from "../../kernel/Run.js"
import type { ToolCallPart } from "../../kernel/Transcript.js"
import type { SubAgentRequest } from "../../tools/Tool.js"
import type { Run } from "./env.js"

/** How many agents deep a chain of delegation may go (the root run is depth 0). */
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
}

/** How the runtime starts a run (its `runDetailed`). */
export type StartChild = (input: ChildInput) => Effect.Effect<RunResult, { readonly message: string }>

/** Starts the child run a tool asked for, and folds what it spent into the parent. */
export const runChild = (
  run: Run,
  call: ToolCallPart,
  asked: SubAgentRequest,
  start: StartChild
): Effect.Effect<RunResult, ToolExecutionError> =>
  Effect.suspend(() => {
    const { limits, request, state } = run
    const refuse = (message: string) => Effect.fail(new ToolExecutionError({ toolName: call.name, message }))
    const chain = [...ancestryOf(request), run.agent.id]
    if (chain.includes(asked.agentId)) {
      return refuse(`delegation cycle: ${[...chain, asked.agentId].join(" -> ")} (an agent cannot call one it descends from)`)
    }
    if (chain.length > MAX_DEPTH) {
      return refuse(`delegation too deep: ${[...chain, asked.agentId].join(" -> ")} (at most ${MAX_DEPTH} levels below the first agent)`)
    }
    // what the parent has left, which the child cannot exceed
    const stepsLeft = limits.maxSteps - state.steps
    const toolCallsLeft = limits.maxToolCalls === undefined ? undefined : limits.maxToolCalls - state.usage.toolCalls
    const costLeft = limits.maxCostUsd === undefined || state.usage.costUsd === null
      ? limits.maxCostUsd
      : limits.maxCostUsd - state.usage.costUsd
    const timeLeft = run.deadlines.runAt === Infinity ? undefined : Math.floor(run.deadlines.runAt - run.clock.unsafeCurrentTimeMillis())
    if (stepsLeft < 1) return refuse(`no step left in the budget for agent '${asked.agentId}'`)
    if (timeLeft !== undefined && timeLeft < 1) return refuse(`no time left in the budget for agent '${asked.agentId}'`)
    const budget = {
      maxSteps: Math.min(stepsLeft, asked.budget?.maxSteps ?? stepsLeft),
      ...(min(toolCallsLeft, asked.budget?.maxToolCalls) !== undefined
        ? { maxToolCalls: Math.max(0, min(toolCallsLeft, asked.budget?.maxToolCalls)!) }
        : {}),
      ...(min(costLeft, asked.budget?.maxCostUsd) !== undefined ? { maxCostUsd: Math.max(0, min(costLeft, asked.budget?.maxCostUsd)!) } : {}),
      ...(min(timeLeft, asked.budget?.maxDurationMs) !== undefined ? { maxDurationMs: min(timeLeft, asked.budget?.maxDurationMs)! } : {})
    }
    const child: ChildInput = {
      agentId: asked.agentId,
      inputText: asked.inputText,
      sessionId: `${request.sessionId}/${call.id}`,
      runId: `${request.runId}/${call.id}`,
      parentRunId: request.runId,
      metadata: { [ANCESTRY_KEY]: chain },
      budget
    }
    return start(child).pipe(
      Effect.mapError((e) => new ToolExecutionError({ toolName: call.name, message: `agent '${asked.agentId}' could not start: ${e.message}` })),
      Effect.tap((result) =>
        Effect.sync(() => {
          // what the child spent, the parent spent: its model calls count against the parent's steps
          state.steps += result.usage.llmCalls
          state.usage = addUsage(state.usage, result.usage)
          state.children.push({ runId: result.runId, agentId: result.agentId, stopReason: result.stopReason, usage: result.usage })
        })
      )
    )
  })
