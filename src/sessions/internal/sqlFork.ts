/**
 * `forkSession` on the SQL stores (SQLite, PostgreSQL), which share their table layout: the rows are
 * copied by `INSERT ... SELECT` inside the caller's transaction, their JSON bodies as they are, so a fork
 * costs a few statements whatever the size of the history and decodes only the checkpoint it cuts at.
 *
 * @internal
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as Effect from "effect/Effect"
import type { SessionStoreError } from "../../kernel/Errors.js"
import { fromJsonOrFail, schemas } from "./codec.js"
import * as Fork from "./fork.js"

/**
 * @since 0.4.0
 * @category internal
 * @internal
 */
export interface CopyOptions {
  readonly sourceId: string
  readonly targetId: string
  readonly atCheckpoint: string | undefined
  /** Where the store is, for error messages (a file, a database). */
  readonly where: string
  /** The fork's time, for the copied state's `updated_at_ms`. */
  readonly now: number
  /** The LIMIT that means "no limit": `-1` on SQLite, `NULL` on PostgreSQL. */
  readonly noLimit: number | null
}

/**
 * Copies the source's history into the target; to be run inside a transaction that already holds the
 * write lock on the target (so the emptiness check and the copy are one atomic step).
 *
 * @since 0.4.0
 * @category internal
 * @internal
 */
export const copyHistory = (
  sql: SqlClient.SqlClient,
  options: CopyOptions
): Effect.Effect<void, SqlError | SessionStoreError> =>
  Effect.gen(function*() {
    const { atCheckpoint, noLimit, now, sourceId, targetId, where } = options
    const [busy] = yield* sql<{ readonly n: number | string }>`SELECT
      (SELECT COUNT(*) FROM (SELECT 1 FROM messages WHERE session_id = ${targetId} LIMIT 1) m) +
      (SELECT COUNT(*) FROM (SELECT 1 FROM artifacts WHERE session_id = ${targetId} LIMIT 1) a) +
      (SELECT COUNT(*) FROM (SELECT 1 FROM checkpoints WHERE session_id = ${targetId} LIMIT 1) c) AS n`
    if (Number(busy?.n ?? 0) > 0) return yield* Effect.fail(Fork.targetNotEmpty(sourceId, targetId, where))

    let cut: { readonly rowId: number | string; readonly cut: Fork.Cut } | undefined
    if (atCheckpoint !== undefined) {
      const [row] = yield* sql<{ readonly id: number | string; readonly body: string }>`SELECT id, body FROM checkpoints
        WHERE session_id = ${sourceId} AND checkpoint_id = ${atCheckpoint}`
      if (row === undefined) return yield* Effect.fail(Fork.unknownCheckpoint(sourceId, atCheckpoint, where))
      const checkpoint = yield* fromJsonOrFail(schemas.checkpoint, row.body, {
        sessionId: sourceId,
        operation: "forkSession",
        where
      })
      cut = { rowId: row.id, cut: Fork.cutAt(checkpoint) }
    }

    // INSERT ... SELECT ... ORDER BY id inserts in that order, so the copies keep their relative order
    yield* sql`INSERT INTO messages (session_id, run_id, body)
      SELECT ${targetId}, run_id, body FROM messages WHERE session_id = ${sourceId}
      ORDER BY id LIMIT ${cut?.cut.messages ?? noLimit}`
    yield* sql`INSERT INTO artifacts (session_id, name, body)
      SELECT ${targetId}, name, body FROM artifacts WHERE session_id = ${sourceId}
      ORDER BY id LIMIT ${cut?.cut.artifacts ?? noLimit}`
    yield* cut !== undefined
      ? sql`INSERT INTO checkpoints (session_id, checkpoint_id, body)
          SELECT ${targetId}, checkpoint_id, body FROM checkpoints WHERE session_id = ${sourceId} AND id <= ${cut.rowId}
          ORDER BY id`
      : sql`INSERT INTO checkpoints (session_id, checkpoint_id, body)
          SELECT ${targetId}, checkpoint_id, body FROM checkpoints WHERE session_id = ${sourceId}
          ORDER BY id`

    // the fork's state (the source's current one: checkpoints do not version it) replaces the target's
    yield* sql`DELETE FROM session_state WHERE session_id = ${targetId}`
    yield* sql`INSERT INTO session_state (session_id, body, updated_at_ms)
      SELECT ${targetId}, body, ${now} FROM session_state WHERE session_id = ${sourceId}`
  })
