/**
 * Writes a run's journal. A durable run writes each entry as it happens and saves a checkpoint (a
 * reference into the journal) after each step, so it can resume from there; any other run keeps its
 * entries in memory and writes them in one batch when it ends, so it pays nothing per step for a journal
 * it cannot resume from. Entries hold plain data: the stores write them as they are. Private to the
 * runtime.
 */
import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
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
  private pending: Array<JournalEntry> = []

  constructor(
    private readonly store: SessionStore["Type"],
    private readonly clock: Clock.Clock,
    private readonly ids: { readonly runId: string; readonly sessionId: string },
    private readonly durable: boolean,
    private readonly state: RunState,
    private readonly emitter: Emitter
  ) {}

  /** Whether anything was journaled (a run refused before it began writes no journal). */
  get started(): boolean {
    return this.nextSeq > 0
  }

  append(record: JournalRecord): Effect.Effect<void, SessionStoreError> {
    const entry = new JournalEntry({
      runId: this.ids.runId,
      seq: this.nextSeq++,
      kind: record.kind,
      payload: record.payload,
      timestampMs: this.clock.unsafeCurrentTimeMillis()
    }, true)
    if (!this.durable) {
      this.pending.push(entry)
      return Effect.void
    }
    return this.store.appendJournal(this.ids.sessionId, [entry])
  }

  /** Writes what a non-durable run kept in memory. */
  get flush(): Effect.Effect<void, SessionStoreError> {
    return Effect.suspend(() => {
      if (this.pending.length === 0) return Effect.void
      const entries = this.pending
      this.pending = []
      return this.store.appendJournal(this.ids.sessionId, entries)
    })
  }

  /** A durable run saves a checkpoint pointing at its last entry; a failed save is reported, not fatal. */
  get checkpoint(): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (!this.durable) return Effect.void
      const step = this.checkpointStep++
      const checkpointId = `${this.ids.runId}:step:${step}`
      const transcriptLength = this.state.messages.length
      return this.store.saveCheckpoint(
        this.ids.sessionId,
        new SessionCheckpoint({
          checkpointId,
          // a reference into the journal, never a copy of the transcript: constant size per step
          state: { runId: this.ids.runId, seq: this.nextSeq - 1, step },
          transcriptLength,
          artifactCount: this.state.artifacts.length,
          createdAtMs: this.clock.unsafeCurrentTimeMillis()
        }, true)
      ).pipe(
        Effect.matchEffect({
          onFailure: (e) => this.emitter.emit("run.checkpoint_failed", { checkpointId, error: e.message }),
          onSuccess: () => {
            this.lastCheckpoint = checkpointId
            return this.emitter.emit("run.checkpoint_saved", { checkpointId, step, transcriptLength })
          }
        })
      )
    })
  }
}
