/**
 * The waiting loop of `SessionStore.acquire`, shared by the persistent stores: each store says how to try
 * to take a session's lock once and how to release it; this module retries with a `Schedule` (so
 * `TestClock` drives it), gives up with `SessionBusy` after `lockTimeoutMs`, and registers the release as
 * a finalizer of the caller's scope.
 *
 * @internal
 */
import { randomUUID } from "node:crypto"
import { hostname } from "node:os"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import { SessionBusy, type SessionStoreError } from "../../kernel/Errors.js"

/**
 * Who holds a lock: written into the lock file / the `locks` row.
 *
 * @since 0.1.0
 * @category internal
 * @internal
 */
export const LeaseOwner = Schema.Struct({
  pid: Schema.Int,
  host: Schema.String,
  token: Schema.String,
  acquiredAtMs: Schema.Number
})

/**
 * @since 0.1.0
 * @category internal
 * @internal
 */
export type LeaseOwner = typeof LeaseOwner.Type

/**
 * The outcome of one attempt to take a lock.
 *
 * @since 0.1.0
 * @category internal
 * @internal
 */
export type Attempt =
  | { readonly _tag: "Acquired" }
  | { readonly _tag: "Held"; readonly holder: string }

/**
 * @since 0.1.0
 * @category internal
 * @internal
 */
export const acquired: Attempt = { _tag: "Acquired" }

/**
 * @since 0.1.0
 * @category internal
 * @internal
 */
export const held = (holder: string): Attempt => ({ _tag: "Held", holder })

class Held extends Data.TaggedError("Held")<{ readonly holder: string }> {}

/**
 * The host name recorded in locks: a pid is only checked for liveness on the host that wrote it.
 *
 * @since 0.1.0
 * @category internal
 * @internal
 */
export const currentHost: string = (() => {
  try {
    return hostname()
  } catch {
    return "unknown-host"
  }
})()

/**
 * A fresh owner record for this process.
 *
 * @since 0.1.0
 * @category internal
 * @internal
 */
export const newOwner = (acquiredAtMs: number): LeaseOwner => ({
  pid: process.pid,
  host: currentHost,
  token: randomUUID(),
  acquiredAtMs
})

/**
 * True unless the process is known to be gone. `kill(pid, 0)` sends nothing; `ESRCH` means no such
 * process, `EPERM` means it exists under another user.
 *
 * @since 0.1.0
 * @category internal
 * @internal
 */
export const isProcessAlive = (pid: number): boolean => {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as { code?: unknown }).code !== "ESRCH"
  }
}

/**
 * A lock may be taken over only when it was written on this host by a process that no longer exists.
 * Locks from other hosts (a shared network directory) are never taken over: their pids mean nothing here.
 *
 * @since 0.1.0
 * @category internal
 * @internal
 */
export const isStale = (owner: LeaseOwner): boolean => owner.host === currentHost && !isProcessAlive(owner.pid)

/**
 * Describes an owner for logs and errors.
 *
 * @since 0.1.0
 * @category internal
 * @internal
 */
export const describeOwner = (owner: LeaseOwner): string => {
  const since = new Date(owner.acquiredAtMs)
  return `pid ${owner.pid} on ${owner.host}${Number.isNaN(since.getTime()) ? "" : ` (since ${since.toISOString()})`}`
}

/**
 * Delay between attempts: short at first so a lock released quickly is taken quickly, then every 50 ms.
 *
 * @since 0.1.0
 * @category internal
 * @internal
 */
export const pollSchedule = Schedule.exponential(Duration.millis(5), 2).pipe(
  Schedule.union(Schedule.spaced(Duration.millis(50)))
)

/**
 * Takes the lock with `attempt`, retrying while it is held for up to `lockTimeoutMs`, then holds it until
 * the current scope closes. Each attempt runs uninterruptibly together with the registration of its
 * release, so an interruption can never leave a lock taken without a finalizer; the waits in between are
 * interruptible.
 *
 * @since 0.1.0
 * @category internal
 * @internal
 */
export const hold = (options: {
  readonly sessionId: string
  readonly lockTimeoutMs: number
  /** One try; on success the lock is owned by the caller. */
  readonly attempt: Effect.Effect<Attempt, SessionStoreError>
  /** Releases the lock taken by a successful attempt; never fails (errors are logged). */
  readonly release: Effect.Effect<void>
  /** Where the lock lives, for the log line written when waiting gives up. */
  readonly where: string
}): Effect.Effect<void, SessionBusy | SessionStoreError, Scope.Scope> =>
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    const once: Effect.Effect<void, SessionStoreError | Held> = Effect.uninterruptible(
      Effect.flatMap(options.attempt, (result): Effect.Effect<void, Held> =>
        result._tag === "Acquired"
          ? Scope.addFinalizer(scope, options.release)
          : Effect.fail(new Held({ holder: result.holder })))
    )
    yield* once.pipe(
      Effect.retry({
        schedule: pollSchedule.pipe(Schedule.upTo(Duration.millis(Math.max(0, options.lockTimeoutMs)))),
        while: (e: SessionStoreError | Held) => e._tag === "Held"
      }),
      Effect.catchTag("Held", (e) =>
        Effect.logWarning(
          `Session '${options.sessionId}' is locked by ${e.holder}; gave up after ${options.lockTimeoutMs} ms (${options.where})`
        ).pipe(Effect.zipRight(Effect.fail(
          new SessionBusy({
            sessionId: options.sessionId,
            reason: "locked",
            heldBy: e.holder,
            lockTimeoutMs: options.lockTimeoutMs
          })
        )))
      )
    )
  })
