/**
 * Helpers of the cluster tests and benchmark: a fresh PostgreSQL database per test file (advisory locks,
 * which @effect/cluster takes by shard number, are per database: two clusters in one database would
 * fight over them), a config of scripted agents, runner processes (`openagents runner`, real child
 * processes) and a cluster client in this process.
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import * as PgClient from "@effect/sql-pg/PgClient"
import { type ChildProcess, spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import { runScript } from "../support/cluster-tools.js"

/** The tests' PostgreSQL server (its `test` database is where databases are created from). */
export const adminUrl: string = process.env["OPENAGENTS_TEST_PG_URL"] || "postgres://postgres@127.0.0.1:5432/test"

const prefix = (process.env["OPENAGENTS_TEST_PG_PREFIX"] || "t").replace(/[^A-Za-z0-9_]/g, "_").slice(0, 30).toLowerCase()

const admin = <A>(f: (sql: PgClient.PgClient) => Effect.Effect<A, unknown>) =>
  Effect.runPromise(Effect.scoped(Effect.flatMap(
    PgClient.make({ url: Redacted.make(adminUrl), connectTimeout: Duration.seconds(5), maxConnections: 1 }).pipe(
      Effect.provideServiceEffect(Reactivity.Reactivity, Reactivity.make)
    ),
    f
  )) as Effect.Effect<A, never, never>)

/** Creates a fresh database; its URL. */
export const createDatabase = async (): Promise<{ readonly name: string; readonly url: string }> => {
  const name = `${/^[a-z_]/.test(prefix) ? "" : "t_"}${prefix}_cl_${randomBytes(5).toString("hex")}`
  await admin((sql) => sql.unsafe(`CREATE DATABASE "${name}"`))
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return { name, url: url.toString() }
}

/** Drops a database made by `createDatabase` (its connections closed first). */
export const dropDatabase = (name: string): Promise<unknown> =>
  admin((sql) => sql.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))

/** A directory with the `agent.json` of the cluster tests: agent `worker` runs `runScript(delayMs)`. */
export const writeConfig = (options: {
  readonly url: string
  readonly delayMs: number
  readonly maxConcurrentRuns?: number
  readonly sessionQueueSize?: number
  readonly drainTimeoutMs?: number
}) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "oa-cluster-"))
  const notes = path.join(dir, "notes.txt")
  const tools = path.relative(dir, path.resolve("test/support/cluster-tools.ts")).split(path.sep).join("/")
  const config = {
    agents: [{
      id: "worker",
      llm: { provider: "mock", script: runScript(options.delayMs) },
      // one earlier turn is replayed: the mock's position (which follows the conversation) is then the
      // same for every run after a session's first
      memory: { type: "window_buffer", config: { window_size: 1 } },
      tools: [
        { id: "step", impl: `${tools}#stepTool` },
        { id: "note", impl: `${tools}#noteTool`, config: { notes } }
      ]
    }],
    // PostgreSQL allows 100 connections: each runner holds a lease connection per run in flight (at most
    // max_concurrent_runs), a few for the store and a few for the cluster
    session: { type: "postgres", config: { url: options.url, schema: "sessions", max_connections: 4 } },
    cluster: {
      url: options.url,
      shards: 60,
      max_concurrent_runs: options.maxConcurrentRuns ?? 12,
      ...(options.sessionQueueSize !== undefined ? { session_queue_size: options.sessionQueueSize } : {}),
      ...(options.drainTimeoutMs !== undefined ? { drain_timeout_ms: options.drainTimeoutMs } : {}),
      health_check_interval_ms: 1000
    }
  }
  const file = path.join(dir, "agent.json")
  fs.writeFileSync(file, JSON.stringify(config, null, 2))
  const noteLines = (): ReadonlyArray<string> =>
    fs.existsSync(notes) ? fs.readFileSync(notes, "utf8").split("\n").filter((l) => l !== "") : []
  return { dir, file, notes, noteLines, config }
}

/** A runner process. */
export interface RunnerProcess {
  readonly port: number
  readonly child: ChildProcess
  output: string
  readonly ready: Promise<void>
}

/** Starts `openagents runner CONFIG --port PORT`; `ready` once it printed that it joined. */
export const startRunner = (file: string, port: number): RunnerProcess => {
  const child = spawn(process.execPath, ["--import", "tsx", path.resolve("src/cli/main.ts"), "runner", file, "--port", String(port)], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NODE_OPTIONS: "" }
  })
  const runner: RunnerProcess = {
    port,
    child,
    output: "",
    ready: new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer) => {
        runner.output += d.toString()
        if (runner.output.includes("joined the cluster")) resolve()
      }
      child.stdout!.on("data", onData)
      child.stderr!.on("data", onData)
      child.on("exit", (code, signal) => reject(new Error(`runner :${port} exited (${code ?? signal}) before joining:\n${runner.output}`)))
    })
  }
  return runner
}

/** Kills the runners still alive (SIGKILL: nothing to wait for). */
export const killAll = (runners: ReadonlyArray<RunnerProcess>) => {
  for (const r of runners) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill("SIGKILL")
}

/** Three ports for a test file's runners: below Linux's ephemeral range (32768+), which outgoing connections take from. */
export const basePort = (): number => 21000 + Math.floor(Math.random() * 2500) * 4

/** Resolves once `n` runners are registered healthy in the cluster's runners table, and a moment more for shard assignments. */
export const waitForRunners = (url: string, n: number, tablePrefix = "openagents_cluster") =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const sql = yield* PgClient.make({ url: Redacted.make(url), maxConnections: 1 }).pipe(
      Effect.provideServiceEffect(Reactivity.Reactivity, Reactivity.make)
    )
    for (let i = 0; i < 600; i++) {
      const rows = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql(`${tablePrefix}_runners`)} WHERE healthy`.pipe(
        Effect.orElseSucceed(() => [{ n: 0 }])
      )
      if (Number(rows[0]?.n ?? 0) >= n) break
      yield* Effect.sleep(Duration.millis(200))
    }
    // every runner refreshes its assignments once a second: three periods and they agree
    yield* Effect.sleep(Duration.seconds(3))
  })))

/** Runs a query on a database (to look at the cluster's tables). */
export const query = <A extends object>(url: string, text: string): Promise<ReadonlyArray<A>> =>
  Effect.runPromise(Effect.scoped(Effect.flatMap(
    PgClient.make({ url: Redacted.make(url), maxConnections: 1 }).pipe(
      Effect.provideServiceEffect(Reactivity.Reactivity, Reactivity.make)
    ),
    (sql) => sql.unsafe<A>(text)
  )).pipe(
    // the server is shared (100 connections): a busy moment is waited out
    Effect.retry(Schedule.spaced(Duration.millis(500)).pipe(Schedule.compose(Schedule.recurs(10))))
  ) as Effect.Effect<ReadonlyArray<A>, never, never>)

/** Runs `openagents ARGS...` in a child process to its end: exit code and output. */
export const openagents = (...args: Array<string>) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.resolve("src/cli/main.ts"), ...args], {
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d) => (stdout += d))
    child.stderr.on("data", (d) => (stderr += d))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

/**
 * What a test file of the cluster starts, released after its tests: runner processes (killed), a scope
 * (for client Layers) and databases (dropped).
 */
export const resources = () => {
  const runners: Array<RunnerProcess> = []
  const databases: Array<string> = []
  const scope = Effect.runSync(Scope.make())
  afterAll(async () => {
    killAll(runners)
    await Effect.runPromise(Scope.close(scope, Exit.void))
    for (const name of databases) await dropDatabase(name).catch(() => undefined)
  }, 60_000)
  return { runners, databases, scope }
}
