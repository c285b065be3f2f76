/**
 * What `forkSession` copies, shared by every session store: the rules are computed once here, so the
 * stores agree on what a fork at a checkpoint keeps.
 *
 * @internal
 */
import * as Either from "effect/Either"
import { SessionStoreError } from "../../kernel/Errors.js"
import type { SessionArtifact, SessionCheckpoint, SessionMessage } from "../../kernel/Session.js"
import type { SessionState } from "../SessionStore.js"

/**
 * The part of a session a fork copies (never the journal, pending approvals or a lease: those belong to
 * the runs of the source, which the fork did not run).
 *
 * @since 0.4.0
 * @category internal
 * @internal
 */
export interface ForkedHistory {
  readonly messages: ReadonlyArray<SessionMessage>
  readonly state: SessionState
  readonly artifacts: ReadonlyArray<SessionArtifact>
  /** In save order. */
  readonly checkpoints: ReadonlyArray<SessionCheckpoint>
}

/**
 * How much of the source a fork at a checkpoint keeps: the first `messages` messages and `artifacts`
 * artifacts, and the checkpoints saved up to and including it. The session state is not versioned by
 * checkpoints (a checkpoint's own `state` is what resuming needs, for durable runs a reference into the
 * journal, never the session state), so the fork gets the source's current state.
 *
 * @since 0.4.0
 * @category internal
 * @internal
 */
export interface Cut {
  readonly messages: number
  readonly artifacts: number
}

/**
 * The cut at `checkpoint`.
 *
 * @since 0.4.0
 * @category internal
 * @internal
 */
export const cutAt = (checkpoint: SessionCheckpoint): Cut => ({
  messages: Math.max(0, Math.floor(checkpoint.transcriptLength)),
  artifacts: Math.max(0, Math.floor(checkpoint.artifactCount))
})

/**
 * The error of a fork into a session that already has messages, artifacts or checkpoints: a fork never
 * merges two histories (state alone, or a journal, is not history: the fork replaces the state).
 *
 * @since 0.4.0
 * @category internal
 * @internal
 */
export const targetNotEmpty = (sourceId: string, targetId: string, where: string): SessionStoreError =>
  new SessionStoreError({
    sessionId: targetId,
    operation: "forkSession",
    message: `forkSession: the target session '${targetId}' already has history (messages, artifacts or checkpoints) in ${where}; cannot fork '${sourceId}' into it`,
    hint: "Fork into a new session id, or delete the target session first."
  })

/**
 * The error of a fork at a checkpoint the source does not have.
 *
 * @since 0.4.0
 * @category internal
 * @internal
 */
export const unknownCheckpoint = (sourceId: string, checkpointId: string, where: string): SessionStoreError =>
  new SessionStoreError({
    sessionId: sourceId,
    operation: "forkSession",
    message: `forkSession: session '${sourceId}' has no checkpoint '${checkpointId}' (${where})`,
    hint: "Pass a checkpoint id listed by listCheckpoints(sourceSessionId), or omit atCheckpoint to fork the whole history."
  })

/**
 * What the fork of `source` copies: everything, or (with `atCheckpoint`) the history as that checkpoint
 * recorded it. The arrays are new; values are copied by the caller where they are mutable.
 *
 * @since 0.4.0
 * @category internal
 * @internal
 */
export const plan = (
  sourceId: string,
  source: ForkedHistory,
  atCheckpoint: string | undefined,
  where: string
): Either.Either<ForkedHistory, SessionStoreError> => {
  if (atCheckpoint === undefined) {
    return Either.right({
      messages: [...source.messages],
      state: source.state,
      artifacts: [...source.artifacts],
      checkpoints: [...source.checkpoints]
    })
  }
  const index = source.checkpoints.findIndex((c) => c.checkpointId === atCheckpoint)
  if (index < 0) return Either.left(unknownCheckpoint(sourceId, atCheckpoint, where))
  const cut = cutAt(source.checkpoints[index]!)
  return Either.right({
    messages: source.messages.slice(0, cut.messages),
    state: source.state,
    artifacts: source.artifacts.slice(0, cut.artifacts),
    checkpoints: source.checkpoints.slice(0, index + 1)
  })
}
