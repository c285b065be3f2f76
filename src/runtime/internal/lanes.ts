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

/**
 * A run's place in its lane. The Deferred that hands the turn on is made only when a run comes to wait
 * for it: a session running one run at a time (the common case) makes none.
 */
interface Slot {
  turn: Deferred.Deferred<void> | undefined
  /** The run ended and handed its turn on. */
  done: boolean
}

interface Lane {
  tail: Slot | undefined
  waiting: number
  /** The runs admitted and not ended, in arrival order. */
  readonly runs: Array<string>
}

export interface Turn {
  /** Waits for the session's turn; interruptible. */
  readonly waitTurn: Effect.Effect<void>
  /** Hands the turn on (once the predecessor is done, for a run that ended while still waiting). */
  readonly release: Effect.Effect<void>
  /** How many runs of the session were admitted before this one and have not ended. */
  readonly ahead: number
}

/** Waits until the run of `slot` has handed its turn on. */
const awaitTurn = (slot: Slot): Effect.Effect<void> =>
  Effect.suspend(() => (slot.done ? Effect.void : Deferred.await(slot.turn ??= Deferred.unsafeMake<void>(FiberId.none))))

export class Lanes {
  private readonly lanes = new Map<string, Lane>()

  /** The runs admitted on a session and not ended. */
  runsOf(sessionId: string): ReadonlyArray<string> {
    return this.lanes.get(sessionId)?.runs.slice() ?? []
  }

  has(sessionId: string): boolean {
    return this.lanes.has(sessionId)
  }

  /** Admits a run to its session's lane, or fails with SessionBusy when the lane's queue is full. */
  admit(sessionId: string, runId: string, queueSize: number): Effect.Effect<Turn, SessionBusy> {
    return Effect.suspend(() => {
      let lane = this.lanes.get(sessionId)
      if (!lane) {
        lane = { tail: undefined, waiting: 0, runs: [] }
        this.lanes.set(sessionId, lane)
      }
      const prev = lane.tail
      if (prev && lane.waiting >= queueSize) return Effect.fail(new SessionBusy({ sessionId, queueSize }))
      const mine: Slot = { turn: undefined, done: false }
      const ahead = lane.runs.length
      lane.tail = mine
      lane.runs.push(runId)
      if (prev) lane.waiting++
      return Effect.succeed(new LaneTurn(this.lanes, lane, sessionId, runId, mine, prev, ahead))
    })
  }
}

/**
 * A run's turn. A class whose effects are made when they are asked for (`waitTurn` when the run starts,
 * `release` when it ends): a run in flight holds this object, not three effects and their closures.
 */
class LaneTurn implements Turn {
  /** The run no longer waits for its turn (it got it, or stopped waiting). */
  private waited: boolean

  constructor(
    private readonly lanes: Map<string, Lane>,
    private readonly lane: Lane,
    private readonly sessionId: string,
    private readonly runId: string,
    private readonly mine: Slot,
    private readonly prev: Slot | undefined,
    readonly ahead: number
  ) {
    this.waited = prev === undefined
  }

  get waitTurn(): Effect.Effect<void> {
    const prev = this.prev
    return prev === undefined ? Effect.void : awaitTurn(prev).pipe(Effect.ensuring(Effect.sync(() => this.stopWaiting())))
  }

  get release(): Effect.Effect<void> {
    return Effect.suspend(() => {
      const { lane, mine, prev, runId } = this
      const i = lane.runs.indexOf(runId)
      if (i >= 0) lane.runs.splice(i, 1)
      if (lane.tail === mine) this.lanes.delete(this.sessionId)
      if (prev !== undefined && !this.waited) {
        // ended while still waiting: the runs after it wait for its predecessor
        this.stopWaiting()
        return Deferred.completeWith(mine.turn ??= Deferred.unsafeMake<void>(FiberId.none), awaitTurn(prev))
      }
      mine.done = true
      if (mine.turn) Deferred.unsafeDone(mine.turn, Effect.void)
      return Effect.void
    })
  }

  private stopWaiting(): void {
    if (!this.waited) {
      this.waited = true
      this.lane.waiting--
    }
  }
}
