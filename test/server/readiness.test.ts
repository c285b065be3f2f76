/**
 * Readiness follows the session store: a server on the Postgres store answers /readyz while the database
 * answers, 503 when it does not answer within readyTimeout (a table locked by another connection) and
 * 503 naming the store's failure once its tables are gone; liveness stays 200 throughout.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { dropSchemas, freshSchema, inSchema, pgUrl } from "../support/sessions-postgres.js"
import { CONFIG, startServer } from "./support.js"

afterAll(() => Effect.runPromise(dropSchemas))

describe("readiness", () => {
  it("is 200 while the session store answers, 503 naming its error when it fails; /healthz stays 200", async () => {
    const schema = freshSchema()
    const server = await startServer({ readyTimeout: "300 millis" }, { ...CONFIG, session: { type: "postgres", config: { url: pgUrl, schema } } })
    try {
      const ready = await fetch(`${server.url}/readyz`)
      expect([ready.status, await ready.json()]).toEqual([200, { status: "ready", agents: 3 }])

      // a store that hangs (its table locked by another connection) is unready once readyTimeout passes
      const locked = await Effect.runPromise(inSchema(schema, (sql) =>
        Effect.zipRight(
          sql.unsafe(`LOCK TABLE session_state IN ACCESS EXCLUSIVE MODE`),
          Effect.promise(async () => {
            const answer = await fetch(`${server.url}/readyz`)
            return [answer.status, await answer.json()] as const
          })
        )))
      expect(locked).toEqual([503, { _tag: "Unavailable", message: "the session store did not answer within 300ms" }])
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200)

      await Effect.runPromise(inSchema(schema, (sql) => sql.unsafe(`DROP TABLE IF EXISTS session_state CASCADE`)))
      const down = await fetch(`${server.url}/readyz`)
      const json = await down.json() as { _tag: string; message: string }
      expect([down.status, json._tag]).toEqual([503, "Unavailable"])
      expect(json.message).toMatch(/^the session store fails: /)
      expect(json.message).toMatch(/session_state/)
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
    } finally {
      await server.close()
    }
  }, 60_000)
})
