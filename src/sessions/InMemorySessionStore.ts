/**
 * A session store in process memory: fast, and gone with the process.
 *
 * Memory: a session costs what it holds and a small record, nothing more. Reading a session that does
 * not exist never creates it, a session's parts (artifacts, checkpoints, journal) are allocated when first
 * written, and `deleteSession` drops the session and everything in it at once, so a long-lived process
 * that deletes the sessions it is done with stays flat.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type { PendingApproval } from "../kernel/Approval.js"
import type { JournalEntry, SessionArtifact, SessionCheckpoint, SessionMessage } from "../kernel/Session.js"
import { copyState } from "./internal/codec.js"
import * as Fork from "./internal/fork.js"
import { SessionStore, type SessionState } from "./SessionStore.js"

interface Entry {
  readonly messages: Array<SessionMessage>
  state: SessionState | undefined
  artifacts: Array<SessionArtifact> | undefined
  checkpoints: Map<string, SessionCheckpoint> | undefined
  journal: Map<string, Array<JournalEntry>> | undefined
  /** Pending approvals by `<runId> <callId>`, in the order first saved. */
  approvals?: Map<string, PendingApproval> | undefined
}

/**
 * Builds an in-memory store.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<SessionStore["Type"]> = Effect.sync(() => {
  const sessions = new Map<string, Entry>()
  const read = (id: string): Entry | undefined => sessions.get(id)
  const write = (id: string): Entry => {
    let entry = sessions.get(id)
    if (!entry) {
      entry = { messages: [], state: undefined, artifacts: undefined, checkpoints: undefined, journal: undefined }
      sessions.set(id, entry)
    }
    return entry
  }
  const forget = (id: string) => Effect.sync(() => void sessions.delete(id))
  return SessionStore.of({
    appendMessages: (id, messages) =>
      Effect.sync(() => {
        const into = write(id).messages
        for (const m of messages) into.push(m)
      }),
    loadMessages: (id) => Effect.sync(() => [...(read(id)?.messages ?? [])]),
    // states are copied so a caller never shares a mutable object with the store
    getState: (id) =>
      Effect.sync(() => {
        const state = read(id)?.state
        return state === undefined ? {} : copyState(state)
      }),
    setState: (id, state) => Effect.sync(() => void (write(id).state = copyState(state))),
    saveArtifact: (id, artifact) => Effect.sync(() => void (write(id).artifacts ??= []).push(artifact)),
    listArtifacts: (id) => Effect.sync(() => [...(read(id)?.artifacts ?? [])]),
    saveCheckpoint: (id, checkpoint) =>
      Effect.sync(() => void (write(id).checkpoints ??= new Map()).set(checkpoint.checkpointId, checkpoint)),
    loadCheckpoint: (id, checkpointId) => Effect.sync(() => Option.fromNullable(read(id)?.checkpoints?.get(checkpointId))),
    listCheckpoints: (id) => Effect.sync(() => [...(read(id)?.checkpoints?.values() ?? [])]),
    appendJournal: (id, entries, checkpoint) =>
      Effect.sync(() => {
        const session = write(id)
        const journal = (session.journal ??= new Map())
        for (const e of entries) {
          const run = journal.get(e.runId)
          if (run) run.push(e)
          else journal.set(e.runId, [e])
        }
        if (checkpoint) (session.checkpoints ??= new Map()).set(checkpoint.checkpointId, checkpoint)
      }),
    loadJournal: (id, runId) => Effect.sync(() => [...(read(id)?.journal?.get(runId) ?? [])]),
    listJournaledRuns: (id) => Effect.sync(() => [...(read(id)?.journal?.keys() ?? [])]),
    savePendingApproval: (id, approval) =>
      Effect.sync(() => void (write(id).approvals ??= new Map()).set(`${approval.runId} ${approval.callId}`, approval)),
    listPendingApprovals: (id) =>
      Effect.sync(() =>
        (id === undefined ? [...sessions.values()] : [read(id)]).flatMap((s) => [...(s?.approvals?.values() ?? [])])
      ),
    deletePendingApproval: (id, runId, callId) => Effect.sync(() => void read(id)?.approvals?.delete(`${runId} ${callId}`)),
    listSessions: Effect.sync(() => [...sessions.keys()]),
    // one process owns an in-memory store, and the runtime already serializes a session's runs
    acquire: () => Effect.void,
    forkSession: (sourceId, targetId, options) =>
      Effect.suspend(() => {
        const source = read(sourceId)
        const planned = Fork.plan(sourceId, {
          messages: source?.messages ?? [],
          state: source?.state ?? {},
          artifacts: source?.artifacts ?? [],
          checkpoints: [...(source?.checkpoints?.values() ?? [])]
        }, options?.atCheckpoint, "in-memory store")
        if (Either.isLeft(planned)) return Effect.fail(planned.left)
        const target = read(targetId)
        if (target && (target.messages.length > 0 || target.artifacts?.length || target.checkpoints?.size)) {
          return Effect.fail(Fork.targetNotEmpty(sourceId, targetId, "in-memory store"))
        }
        // new arrays and maps, a cloned state: records are immutable, so sharing them aliases nothing
        const into = write(targetId)
        for (const m of planned.right.messages) into.messages.push(m)
        into.state = copyState(planned.right.state)
        into.artifacts = [...planned.right.artifacts]
        into.checkpoints = new Map(planned.right.checkpoints.map((c) => [c.checkpointId, c]))
        return Effect.void
      }),
    deleteSession: forget,
    // nothing here outlives the process: a closed session is forgotten, as if deleted
    evict: forget
  })
})

/**
 * The in-memory store as a Layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<SessionStore> = Layer.effect(SessionStore, make)
