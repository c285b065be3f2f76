/**
 * Session lanes: runs of one session execute one at a time in arrival order, sessions in parallel. Each
 * run waits for the run admitted before it on its session (a chain of Deferreds: strict FIFO, which
 * Effect's Semaphore does not promise under contention); a session's queue is bounded. Private to the
 * runtime.
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"
import { SessionBusy } from "../../kernel/Errors.js"

interface Lane {
  tail: Deferred.Deferred<void> | undefined
  waiting: number
  readonly runs: Set<string>
}

export interface Turn {
  /** Waits for the session's turn; interruptible. */
  readonly waitTurn: Effect.Effect<void>
  /** Hands the turn on (once the predecessor is done, for a run that ended while still waiting). */
  readonly release: Effect.Effect<void>
  /** How many runs of the session were admitted before this one and have not ended. */
  readonly ahead: number
}

export class Lanes {
  private readonly lanes = new Map<string, Lane>()

  /** The runs admitted on a session and not ended. */
  runsOf(sessionId: string): ReadonlyArray<string> {
    return [...(this.lanes.get(sessionId)?.runs ?? [])]
  }

  has(sessionId: string): boolean {
    return this.lanes.has(sessionId)
  }

  /** Admits a run to its session's lane, or fails with SessionBusy when the lane's queue is full. */
  admit(sessionId: string, runId: string, queueSize: number): Effect.Effect<Turn, SessionBusy> {
    return Effect.suspend(() => {
      let lane = this.lanes.get(sessionId)
      if (!lane) {
        lane = { tail: undefined, waiting: 0, runs: new Set() }
        this.lanes.set(sessionId, lane)
      }
      const prev = lane.tail
      if (prev && lane.waiting >= queueSize) return Effect.fail(new SessionBusy({ sessionId, queueSize }))
      const mine = Deferred.unsafeMake<void>(FiberId.none)
      const theLane = lane
      const ahead = lane.runs.size
      theLane.tail = mine
      theLane.runs.add(runId)
      if (prev) theLane.waiting++
      let waited = prev === undefined
      const stopWaiting = () => {
        if (!waited) {
          waited = true
          theLane.waiting--
        }
      }
      const waitTurn = prev ? Deferred.await(prev).pipe(Effect.ensuring(Effect.sync(stopWaiting))) : Effect.void
      const release = Effect.suspend(() => {
        theLane.runs.delete(runId)
        if (theLane.tail === mine) this.lanes.delete(sessionId)
        if (prev && !waited) {
          stopWaiting()
          return Deferred.completeWith(mine, Deferred.await(prev))
        }
        return Deferred.succeed(mine, undefined)
      })
      return Effect.succeed({ waitTurn, release, ahead })
    })
  }
}
