import * as path from "node:path"
import * as InMemorySessionStore from "../../src/sessions/InMemorySessionStore.js"
import * as JsonlSessionStore from "../../src/sessions/JsonlSessionStore.js"
import * as SqliteSessionStore from "../../src/sessions/SqliteSessionStore.js"
import { conformance } from "../support/sessions-conformance.js"

conformance({
  name: "in_memory",
  layer: () => InMemorySessionStore.layer,
  persistent: false,
  exclusiveAcquire: false
})

conformance({
  name: "jsonl_file",
  layer: (dir) => JsonlSessionStore.layer({ rootDir: path.join(dir, "sessions") }),
  persistent: true,
  exclusiveAcquire: true
})

conformance({
  name: "jsonl_file (fsync)",
  layer: (dir) => JsonlSessionStore.layer({ rootDir: path.join(dir, "sessions"), fsync: true }),
  persistent: true,
  exclusiveAcquire: true
})

conformance({
  name: "sqlite",
  layer: (dir) => SqliteSessionStore.layer({ dbPath: path.join(dir, "db", "sessions.db") }),
  persistent: true,
  exclusiveAcquire: true
})
