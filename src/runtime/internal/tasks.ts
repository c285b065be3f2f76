/**
 * Background delegation: a child run a tool starts without waiting for it (`background: true`). The tool
 * gets a task id (the child's run id) at once; the child runs as a fiber of the runtime, not of its parent
 * (the parent may end first), so closing the runtime cancels it and cancelling the parent does not. When
 * it ends, what it answered is saved in the session store (an artifact named `task` on the child's
 * session, never a temporary file) and `task.finished` is published; `taskStatus` reads it there.
 * Private to the runtime.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberMap from "effect/FiberMap"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import type { EventBus } from "../../events/EventBus.js"
import type { RunResult } from "../../kernel/Run.js"
import { SessionArtifact } from "../../kernel/Session.js"
import type { SessionStore } from "../../sessions/SessionStore.js"
import { jsonSafe } from "./json.js"

/** The name of the artifact holding a finished task's outcome on the child's session. */
export const TASK_ARTIFACT = "task"

/**
 * What `taskStatus` tells of a background delegation: `running` until its child run ends, then that run's
 * stop reason (`completed`, `failed`, `max_steps`, `cancelled`, ...) with its output or error.
 */
export interface TaskInfo {
  readonly taskId: string
  readonly agentId: string
  readonly sessionId: string
  readonly parentRunId: string
  readonly status: string
  readonly output?: unknown
  readonly error?: string | undefined
}

export interface Tasks {
  /** Starts `child` in the background under the task id `taskId`; returns at once. */
  readonly spawn: (
    task: Omit<TaskInfo, "status">,
    child: Effect.Effect<RunResult, { readonly message: string }>
  ) => Effect.Effect<void>
  /** The task's status: running, or its outcome as the store has it; none for a task this runtime did not start. */
  readonly status: (taskId: string) => Effect.Effect<Option.Option<TaskInfo>>
  /** Cancels every task still running (the runtime closes). */
  readonly clear: Effect.Effect<void>
}

export const make = (
  store: SessionStore["Type"],
  bus: EventBus["Type"]
): Effect.Effect<Tasks, never, Scope.Scope> =>
  Effect.gen(function*() {
    const fibers = yield* FiberMap.make<string>()
    const known = new Map<string, Omit<TaskInfo, "status">>()
    const clock = yield* Effect.clock

    const settle = (task: Omit<TaskInfo, "status">, exit: Exit.Exit<RunResult, { readonly message: string }>) => {
      const info: TaskInfo = Exit.isSuccess(exit)
        ? {
          ...task,
          status: exit.value.stopReason,
          output: jsonSafe(exit.value.finalOutput),
          ...(exit.value.error ? { error: exit.value.error.message } : {})
        }
        : { ...task, status: Exit.isInterrupted(exit) ? "cancelled" : "failed", error: Exit.isInterrupted(exit) ? "cancelled" : "the task could not run" }
      return store.saveArtifact(task.sessionId, new SessionArtifact({ name: TASK_ARTIFACT, kind: "task", payload: info, metadata: { runId: task.taskId } })).pipe(
        Effect.catchAll(() => Effect.void),
        Effect.zipRight(Effect.sync(() =>
          bus.unsafePublish({
            name: "task.finished",
            runId: task.taskId,
            sessionId: task.sessionId,
            agentId: task.agentId,
            timestampMs: clock.unsafeCurrentTimeMillis(),
            payload: { taskId: task.taskId, parentRunId: task.parentRunId, status: info.status, ...(info.error ? { error: info.error } : {}) }
          })
        ))
      )
    }

    return {
      spawn: (task, child) =>
        Effect.suspend(() => {
          known.set(task.taskId, task)
          // the outcome is saved whatever ends the task (the runtime closing included)
          return Effect.asVoid(FiberMap.run(fibers, task.taskId, Effect.onExit(child, (exit) => settle(task, exit))))
        }),
      status: (taskId) =>
        Effect.gen(function*() {
          const task = known.get(taskId)
          if (task === undefined) return Option.none()
          if (yield* FiberMap.has(fibers, taskId)) return Option.some({ ...task, status: "running" })
          const saved = (yield* Effect.orElseSucceed(store.listArtifacts(task.sessionId), () => []))
            .find((a) => a.name === TASK_ARTIFACT && a.metadata["runId"] === taskId)
          return Option.some(saved ? (saved.payload as TaskInfo) : { ...task, status: "running" })
        }),
      clear: FiberMap.clear(fibers)
    }
  })
