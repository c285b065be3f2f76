/**
 * The session store seam: where a session's messages, state, artifacts and checkpoints live.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import type { PendingApproval } from "../kernel/Approval.js"
import type { SessionBusy, SessionStoreError } from "../kernel/Errors.js"
import type { JournalEntry, SessionArtifact, SessionCheckpoint, SessionMessage } from "../kernel/Session.js"

/**
 * Free-form session state (memory buffers, user data). Values must be JSON.
 *
 * @since 0.1.0
 * @category models
 */
export type SessionState = Readonly<Record<string, unknown>>

/**
 * What a session store implements. Every operation on an unknown session treats it as empty; writing to
 * it creates it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly appendMessages: (
    sessionId: string,
    messages: ReadonlyArray<SessionMessage>
  ) => Effect.Effect<void, SessionStoreError>
  readonly loadMessages: (sessionId: string) => Effect.Effect<ReadonlyArray<SessionMessage>, SessionStoreError>
  readonly getState: (sessionId: string) => Effect.Effect<SessionState, SessionStoreError>
  /** Replaces the whole state of the session. */
  readonly setState: (sessionId: string, state: SessionState) => Effect.Effect<void, SessionStoreError>
  readonly saveArtifact: (sessionId: string, artifact: SessionArtifact) => Effect.Effect<void, SessionStoreError>
  readonly listArtifacts: (sessionId: string) => Effect.Effect<ReadonlyArray<SessionArtifact>, SessionStoreError>
  readonly saveCheckpoint: (
    sessionId: string,
    checkpoint: SessionCheckpoint
  ) => Effect.Effect<void, SessionStoreError>
  readonly loadCheckpoint: (
    sessionId: string,
    checkpointId: string
  ) => Effect.Effect<Option.Option<SessionCheckpoint>, SessionStoreError>
  /** Checkpoints in the order they were saved. */
  readonly listCheckpoints: (sessionId: string) => Effect.Effect<ReadonlyArray<SessionCheckpoint>, SessionStoreError>
  /**
   * Appends entries to the session's run journal (see `JournalEntry`). With a checkpoint (a reference to
   * the last of these entries), saves it in the same write, both or neither: a durable step costs one
   * write, not two.
   */
  readonly appendJournal: (
    sessionId: string,
    entries: ReadonlyArray<JournalEntry>,
    checkpoint?: SessionCheckpoint | undefined
  ) => Effect.Effect<void, SessionStoreError>
  /** The journal entries of one run, in `seq` order. */
  readonly loadJournal: (sessionId: string, runId: string) => Effect.Effect<ReadonlyArray<JournalEntry>, SessionStoreError>
  /** Ids of the runs with a journal in the session, in the order they started. */
  readonly listJournaledRuns: (sessionId: string) => Effect.Effect<ReadonlyArray<string>, SessionStoreError>
  readonly listSessions: Effect.Effect<ReadonlyArray<string>, SessionStoreError>
  /**
   * Holds the session exclusively until the scope closes, across processes sharing the store. Fails with
   * `SessionBusy` when another process holds it and does not release it in time. Within one process the
   * runtime already runs a session's runs one at a time; this guards against other processes.
   */
  readonly acquire: (sessionId: string) => Effect.Effect<void, SessionBusy | SessionStoreError, Scope.Scope>
  /**
   * Saves a tool call waiting for a human (see docs/approvals.md); saving the same run and call id again
   * replaces it (a decision is recorded that way).
   */
  readonly savePendingApproval: (sessionId: string, approval: PendingApproval) => Effect.Effect<void, SessionStoreError>
  /** The pending calls of one session, or of every session, in the order they were first saved. */
  readonly listPendingApprovals: (
    sessionId?: string | undefined
  ) => Effect.Effect<ReadonlyArray<PendingApproval>, SessionStoreError>
  /** Forgets a pending call (its decision was used, or its run was cancelled). Unknown ids are ignored. */
  readonly deletePendingApproval: (
    sessionId: string,
    runId: string,
    callId: string
  ) => Effect.Effect<void, SessionStoreError>
  readonly deleteSession: (sessionId: string) => Effect.Effect<void, SessionStoreError>
  /**
   * Copies a session's history into a new session (see docs/sessions.md, "Forking"): its messages, state,
   * artifacts and checkpoints, never its journal, pending approvals or lease. With `atCheckpoint`, the
   * history as that checkpoint recorded it: the first `transcriptLength` messages and `artifactCount`
   * artifacts, and the checkpoints saved up to and including it (the state, which checkpoints do not
   * version, is the source's current one). The copy shares nothing
   * mutable with the source: a later write to either never shows in the other. Fails with
   * `SessionStoreError` naming the target when it already has messages, artifacts or checkpoints, and
   * naming the checkpoint when the source has no such checkpoint; an unknown or empty source gives an
   * empty target.
   *
   * @since 0.4.0
   */
  readonly forkSession: (
    sourceSessionId: string,
    targetSessionId: string,
    options?: { readonly atCheckpoint?: string | undefined } | undefined
  ) => Effect.Effect<void, SessionStoreError>
  /**
   * Drops what the store keeps in this process's memory for a session the runtime has closed, never what
   * it persisted. Optional: a store on disk keeps nothing worth dropping; the in-memory store, which
   * persists nothing, forgets the session, so a long-lived process that closes its sessions stays flat.
   */
  readonly evict?: ((sessionId: string) => Effect.Effect<void>) | undefined
}

/**
 * The session store used by a runtime.
 *
 * @since 0.1.0
 * @category tags
 */
export class SessionStore extends Context.Tag("openagents/SessionStore")<SessionStore, Service>() {}
