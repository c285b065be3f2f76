/**
 * Session leases on PostgreSQL: a session-level advisory lock held on a connection reserved for it. The
 * lock is PostgreSQL's own, so it excludes every process on every host, and PostgreSQL releases it when
 * the connection ends: a process that crashes (or is killed) frees its sessions at once, with no expiry
 * to wait for and no heartbeat to keep. The `locks` table only says who holds a lock, for the messages of
 * those who wait (and to notice a takeover).
 *
 * @internal
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import type { Connection } from "@effect/sql/SqlConnection"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import type { SessionBusy, SessionStoreError } from "../../kernel/Errors.js"
import * as Lease from "./lease.js"
import { lockKey } from "./pgSchema.js"

interface LockRow {
  readonly owner_pid: number
  readonly owner_host: string
  readonly token: string
  readonly acquired_at_ms: number | string
}

const ownerOf = (row: LockRow): Lease.LeaseOwner => ({
  pid: Number(row.owner_pid),
  host: row.owner_host,
  token: row.token,
  acquiredAtMs: Number(row.acquired_at_ms)
})

/**
 * @since 0.4.0
 * @category internal
 * @internal
 */
export interface LeaseOptions {
  /** The store's client, for the `locks` table. */
  readonly sql: SqlClient.SqlClient
  /** A client of its own whose connections hold the locks, so held leases never starve the store's writes. */
  readonly leaseSql: SqlClient.SqlClient
  readonly schema: string
  readonly where: string
  readonly lockTimeoutMs: number
  readonly storeError: (sessionId: string | undefined, operation: string) => (error: unknown) => SessionStoreError
}

/**
 * `acquire` of the PostgreSQL store.
 *
 * @since 0.4.0
 * @category internal
 * @internal
 */
export const makeLeases = (options: LeaseOptions) => {
  const { leaseSql, lockTimeoutMs, schema, sql, storeError, where } = options

  const attempt = (connection: Connection, sessionId: string, key: string, owner: Lease.LeaseOwner) =>
    Effect.gen(function*() {
      const [row] = yield* connection.execute("SELECT pg_try_advisory_lock($1::bigint) AS ok", [key], undefined)
      const current = (yield* sql<LockRow>`SELECT owner_pid, owner_host, token, acquired_at_ms FROM locks
                                           WHERE session_id = ${sessionId}`)[0]
      if (row?.ok !== true) return Lease.held(current ? Lease.describeOwner(ownerOf(current)) : "another connection")
      yield* sql`INSERT INTO locks (session_id, owner_pid, owner_host, token, acquired_at_ms)
                 VALUES (${sessionId}, ${owner.pid}, ${owner.host}, ${owner.token}, ${owner.acquiredAtMs})
                 ON CONFLICT (session_id) DO UPDATE SET owner_pid = excluded.owner_pid, owner_host = excluded.owner_host,
                   token = excluded.token, acquired_at_ms = excluded.acquired_at_ms`.pipe(
        // never hand a connection back to the pool with the lock still on it
        Effect.onError(() => Effect.ignore(connection.execute("SELECT pg_advisory_unlock($1::bigint)", [key], undefined)))
      )
      // a row of another owner while the lock was free: its connection ended without releasing (a crash)
      if (current !== undefined && current.token !== owner.token) {
        yield* Effect.logWarning(
          `Took over the lock of ${
            Lease.describeOwner(ownerOf(current))
          }, whose connection to PostgreSQL ended without releasing it (session '${sessionId}', ${where})`
        )
      }
      return Lease.acquired
    }).pipe(Effect.mapError(storeError(sessionId, "acquire")))

  const release = (connection: Connection, sessionId: string, key: string, token: string) =>
    sql`DELETE FROM locks WHERE session_id = ${sessionId} AND token = ${token}`.pipe(
      Effect.zipRight(connection.execute("SELECT pg_advisory_unlock($1::bigint)", [key], undefined)),
      Effect.asVoid,
      Effect.catchAllCause((cause) =>
        Effect.logWarning(`Could not release the lock of session '${sessionId}' (${where})`, Cause.pretty(cause))
      )
    )

  const acquire = (sessionId: string): Effect.Effect<void, SessionBusy | SessionStoreError, Scope.Scope> =>
    Effect.gen(function*() {
      const key = lockKey(schema, sessionId)
      const owner = Lease.newOwner(yield* Clock.currentTimeMillis)
      // the connection is returned to its pool after the lock's release (a finalizer added later runs first)
      const connectionScope = yield* Scope.fork(yield* Effect.scope, ExecutionStrategy.sequential)
      const connection = yield* Scope.extend(leaseSql.reserve, connectionScope).pipe(
        Effect.mapError(storeError(sessionId, "acquire"))
      )
      yield* Lease.hold({
        sessionId,
        lockTimeoutMs,
        where: `advisory lock ${key} of ${where}`,
        attempt: attempt(connection, sessionId, key, owner),
        release: release(connection, sessionId, key, owner.token)
      }).pipe(Effect.onError(() => Scope.close(connectionScope, Exit.void)))
    })

  return { acquire }
}
