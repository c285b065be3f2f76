/**
 * What the SQL stores (SQLite, PostgreSQL) share beyond their table layout: running a store method
 * outside the caller's transaction, an error's text with its driver cause, and batching inserts.
 *
 * @internal
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { causeMessage } from "./codec.js"

/**
 * Runs `effect` outside any transaction of the caller. `@effect/sql` finds the current transaction through
 * one context tag shared by every client, so without this a store method called inside the caller's own
 * `withTransaction` (on another database) would run its statements on the caller's connection.
 *
 * @internal
 */
export const isolated = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.mapInputContext(effect, (context: Context.Context<R>) =>
    Context.omit(SqlClient.TransactionConnection)(context) as Context.Context<R>)

/**
 * An error's message followed by its cause's (the driver's), when it has one.
 *
 * @internal
 */
export const errorText = (error: unknown): string => {
  const cause = typeof error === "object" && error !== null && "cause" in error ? (error as { cause: unknown }).cause : undefined
  const outer = causeMessage(error)
  return cause !== undefined && cause !== null ? `${outer}: ${causeMessage(cause)}` : outer
}

/**
 * `items` in slices of at most `size` (a statement's bound parameters are limited).
 *
 * @internal
 */
export const chunksOf = <A>(items: ReadonlyArray<A>, size: number): Array<ReadonlyArray<A>> => {
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}
