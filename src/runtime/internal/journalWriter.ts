/**
 * Writes a run's journal. Entries are recorded as they happen (a push, no Effect); a durable run writes
 * them out at the points it could be resumed from (`sync`: after each step, with the checkpoint there, a
 * reference into the journal, in the same write; `write`: before a non-idempotent tool runs); any other
 * run writes them in one batch when it ends,
 * so it pays nothing per step for a journal it cannot resume from. Entries hold plain data: the stores
 * write them as they are. Private to the runtime.
 */
import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Records from "./records.js"
import type { SessionStoreError } from "../../kernel/Errors.js"
import { JournalEntry, SessionCheckpoint } from "../../kernel/Session.js"
import type { SessionStore } from "../../sessions/SessionStore.js"
import type { Emitter } from "./emitter.js"
import type { JournalRecord } from "./journal.js"
import type { RunState } from "./state.js"

export class JournalWriter {
  /** The seq of the next entry. */
  nextSeq = 0
  /** The step number of the next checkpoint. */
  checkpointStep = 0
  lastCheckpoint: string | undefined = undefined
  /** Runs right after each durable write (the trace recorder writes its steps there). */
  afterSync: Effect.Effect<void> = Effect.void
  private pending: Array<JournalEntry> = []
  /** Writes go out one at a time, in the order they were asked for (the calls of a batch write concurrently). */
  private lock: Effect.Semaphore | undefined = undefined

  constructor(
    private readonly store: SessionStore["Type"],
    private readonly clock: Clock.Clock,
    private readonly ids: { readonly runId: string; readonly sessionId: string },
    /** Set by `hold`: a run that waits for approval is journaled like a durable one from then on. */
    public durable: boolean,
    private readonly state: RunState,
    private readonly emitter: Emitter
  ) {}

  /** Whether anything was journaled (a run refused before it began writes no journal). */
  get started(): boolean {
    return this.nextSeq > 0
  }

  /** Records an entry (written by the next `sync` of a durable run, or at the end). */
  append(record: JournalRecord): void {
    this.pending.push(Records.journalEntry({
      runId: this.ids.runId,
      seq: this.nextSeq++,
      kind: record.kind,
      payload: record.payload,
      timestampMs: this.clock.unsafeCurrentTimeMillis()
    }))
  }

  /** Writes what was recorded. */
  get flush(): Effect.Effect<void, SessionStoreError> {
    return this.serial(() => {
      if (this.pending.length === 0) return Effect.void
      const entries = this.pending
      this.pending = []
      return this.store.appendJournal(this.ids.sessionId, entries)
    })
  }

  /**
   * A durable run writes what was recorded and saves a checkpoint pointing at it, in one write (one
   * transaction on SQLite); for any other run, nothing. A checkpoint with nothing new to write is saved
   * on its own, and a failure to save it is reported, not fatal.
   */
  get sync(): Effect.Effect<void, SessionStoreError> {
    if (!this.durable) return Effect.void
    return this.serial(() => {
      if (this.pending.length === 0) return this.checkpoint
      const entries = this.pending
      this.pending = []
      const { checkpoint, saved } = this.nextCheckpoint()
      return Effect.tap(this.store.appendJournal(this.ids.sessionId, entries, checkpoint), () => Effect.zipRight(saved, this.afterSync))
    })
  }

  /** Runs a write after the writes asked for before it have ended. */
  private serial<E>(write: () => Effect.Effect<void, E>): Effect.Effect<void, E> {
    this.lock ??= Effect.unsafeMakeSemaphore(1)
    return this.lock.withPermits(1)(Effect.suspend(write))
  }

  /** The next checkpoint (pointing at the last entry recorded), and what saving it tells. */
  private nextCheckpoint(): { readonly checkpoint: SessionCheckpoint; readonly saved: Effect.Effect<void> } {
    const step = this.checkpointStep++
    const checkpointId = `${this.ids.runId}:step:${step}`
    const transcriptLength = this.state.messages.length
    const checkpoint = new SessionCheckpoint({
      checkpointId,
      // a reference into the journal, never a copy of the transcript: constant size per step
      state: { runId: this.ids.runId, seq: this.nextSeq - 1, step },
      transcriptLength,
      artifactCount: this.state.artifacts.length,
      createdAtMs: this.clock.unsafeCurrentTimeMillis()
    }, true)
    return {
      checkpoint,
      saved: Effect.sync(() => {
        this.lastCheckpoint = checkpointId
        this.emitter.emit("run.checkpoint_saved", { checkpointId, step, transcriptLength })
      })
    }
  }

  /**
   * Writes what was recorded with a checkpoint, durable run or not, and journals like a durable run from
   * here on: a run waiting for approval can be continued from its journal by another process. Returns the
   * checkpoint id.
   */
  get hold(): Effect.Effect<string, SessionStoreError> {
    return Effect.suspend(() => {
      this.durable = true
      const entries = this.pending
      this.pending = []
      const { checkpoint, saved } = this.nextCheckpoint()
      return Effect.as(Effect.tap(this.store.appendJournal(this.ids.sessionId, entries, checkpoint), () => saved), checkpoint.checkpointId)
    })
  }

  /** A durable run writes what was recorded, with no checkpoint (a tool is about to run). */
  get write(): Effect.Effect<void, SessionStoreError> {
    return this.durable ? this.flush : Effect.void
  }

  /** A checkpoint saved on its own: a failed save is reported, not fatal (the run resumes from the one before). */
  private get checkpoint(): Effect.Effect<void> {
    return Effect.suspend(() => {
      const { checkpoint, saved } = this.nextCheckpoint()
      return this.store.saveCheckpoint(this.ids.sessionId, checkpoint).pipe(
        Effect.matchEffect({
          onFailure: (e) =>
            this.emitter.emitEffect("run.checkpoint_failed", { checkpointId: checkpoint.checkpointId, error: e.message }),
          onSuccess: () => saved
        })
      )
    })
  }
}
