/**
 * The `file_logging` event bus: the in-process bus of `EventBus`, with every event (or those the filters
 * keep) also written to a JSONL file, secrets redacted, the file rotated by size. A fiber of its own
 * writes the events in batches from a subscription, so a run publishes exactly as it does on the plain
 * bus (no file write on the run's path); closing the bus's scope writes what is still queued.
 *
 * @since 0.4.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Schema from "effect/Schema"
import * as fs from "node:fs"
import * as path from "node:path"
import type { RuntimeEvent } from "../kernel/EventTaxonomy.js"
import * as EventBus from "./EventBus.js"

/**
 * Options of the `file_logging` bus.
 *
 * @since 0.4.0
 * @category models
 */
export interface Options {
  /** The JSONL file (its folder is created). */
  readonly path: string
  /** Event names to write, `*` matching any run of characters (`llm.*`); default all. */
  readonly include?: ReadonlyArray<string> | undefined
  /** Event names not to write, after `include`. */
  readonly exclude?: ReadonlyArray<string> | undefined
  /** Keys whose values are written as `***`, at any depth, case-insensitive (default {@link DEFAULT_REDACT_KEYS}). */
  readonly redactKeys?: ReadonlyArray<string> | undefined
  /** Strings longer than this are cut, with a note of how much was cut (default 10000). */
  readonly maxValueLength?: number | undefined
  /** The file is rotated before it would grow past this many bytes (default 10 MiB; 0: never). */
  readonly maxBytes?: number | undefined
  /** Rotated files kept: `<path>.1` (newest) to `<path>.<backups>` (default 5; 0: the file starts over). */
  readonly backups?: number | undefined
  /** The in-process bus's history (see `EventBus.make`). */
  readonly maxHistory?: number | undefined
}

/**
 * The log file cannot be opened (its folder cannot be made, or the path is a folder).
 *
 * @since 0.4.0
 * @category errors
 */
export class FileLoggingError extends Schema.TaggedError<FileLoggingError>()("FileLoggingError", {
  path: Schema.String,
  message: Schema.String
}) {
  /** @since 0.4.0 */
  readonly retryable = false as const
  /** @since 0.4.0 */
  get hint(): string {
    return "point log_path at a file in a folder this process can write"
  }
}

/**
 * Keys redacted unless `redactKeys` says otherwise.
 *
 * @since 0.4.0
 * @category constants
 */
export const DEFAULT_REDACT_KEYS: ReadonlyArray<string> = ["api_key", "apikey", "authorization", "token", "access_token", "password", "secret"]

const globToRegExp = (glob: string) =>
  new RegExp(`^${glob.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`)

/**
 * A filter of event names from `include` and `exclude` globs.
 *
 * @since 0.4.0
 * @category constructors
 */
export const nameFilter = (include?: ReadonlyArray<string>, exclude?: ReadonlyArray<string>): (name: string) => boolean => {
  const inc = include?.map(globToRegExp)
  const exc = (exclude ?? []).map(globToRegExp)
  return (name) => (inc === undefined || inc.some((r) => r.test(name))) && !exc.some((r) => r.test(name))
}

/**
 * One event as a JSON line: `{"ts", "name", "run_id", "session_id", "agent_id", "payload"}`, the values
 * of redacted keys replaced by `***`, long strings cut, values JSON cannot hold written as text.
 *
 * @since 0.4.0
 * @category encoding
 */
export const line = (event: RuntimeEvent, redactKeys: ReadonlyArray<string>, maxValueLength: number): string => {
  const redact = new Set(redactKeys.map((k) => k.toLowerCase()))
  const seen = new WeakSet<object>()
  const replacer = function(this: unknown, key: string, value: unknown): unknown {
    if (key !== "" && redact.has(key.toLowerCase())) return "***"
    if (typeof value === "string" && value.length > maxValueLength) {
      return `${value.slice(0, maxValueLength)} (truncated ${value.length - maxValueLength} chars)`
    }
    if (typeof value === "bigint") return value.toString()
    if (typeof value === "object" && value !== null) {
      if (seen.has(value)) return "<circular>"
      seen.add(value)
    }
    return value
  }
  const record = {
    ts: new Date(event.timestampMs).toISOString(),
    name: event.name,
    run_id: event.runId,
    session_id: event.sessionId,
    agent_id: event.agentId,
    payload: event.payload
  }
  try {
    return JSON.stringify(record, replacer)
  } catch (e) {
    return JSON.stringify({ ...record, payload: `<unserializable: ${(e as Error).message}>` }, replacer)
  }
}

/** Appends lines to a file, rotating it first when they would take it past `maxBytes`. */
class RotatingFile {
  private size: number
  constructor(private readonly file: string, private readonly maxBytes: number, private readonly backups: number) {
    fs.mkdirSync(path.dirname(file), { recursive: true })
    // opened once here, so that a path that cannot be written fails the bus's construction, not a run
    fs.closeSync(fs.openSync(file, "a"))
    this.size = fs.statSync(file).size
  }

  private rotate(): void {
    if (this.backups === 0) {
      fs.rmSync(this.file, { force: true })
    } else {
      fs.rmSync(`${this.file}.${this.backups}`, { force: true })
      for (let i = this.backups - 1; i >= 1; i--) {
        if (fs.existsSync(`${this.file}.${i}`)) fs.renameSync(`${this.file}.${i}`, `${this.file}.${i + 1}`)
      }
      if (fs.existsSync(this.file)) fs.renameSync(this.file, `${this.file}.1`)
    }
    this.size = 0
  }

  append(lines: ReadonlyArray<string>): void {
    let chunk = ""
    let bytes = 0
    for (const l of lines) {
      const text = `${l}\n`
      const n = Buffer.byteLength(text)
      // a line goes whole into one file: the file is rotated before a line that would overflow it
      if (this.maxBytes > 0 && this.size + bytes + n > this.maxBytes && this.size + bytes > 0) {
        if (chunk !== "") fs.appendFileSync(this.file, chunk)
        this.size += bytes
        chunk = ""
        bytes = 0
        this.rotate()
      }
      chunk += text
      bytes += n
    }
    if (chunk !== "") fs.appendFileSync(this.file, chunk)
    this.size += bytes
  }
}

/**
 * A `file_logging` bus: the `EventBus` of {@link EventBus.make} and a fiber writing its events to the
 * file until the scope closes (then the rest is written). A write that fails (a full disk, a removed
 * folder) is logged and the events of that batch are dropped: logging never stops a run.
 *
 * @since 0.4.0
 * @category constructors
 */
export const make = (options: Options) =>
  Effect.gen(function*() {
    const bus = yield* EventBus.make(options.maxHistory !== undefined ? { maxHistory: options.maxHistory } : {})
    const keep = nameFilter(options.include, options.exclude)
    const redactKeys = options.redactKeys ?? DEFAULT_REDACT_KEYS
    const maxValueLength = options.maxValueLength ?? 10_000
    const file = yield* Effect.try({
      try: () => new RotatingFile(options.path, options.maxBytes ?? 10 * 1024 * 1024, options.backups ?? 5),
      catch: (e) => new FileLoggingError({ path: options.path, message: `cannot open ${options.path}: ${(e as Error).message}` })
    })
    const sub = yield* bus.subscribe
    const write = (events: Iterable<RuntimeEvent>) =>
      Effect.try(() => {
        const lines: Array<string> = []
        for (const event of events) if (keep(event.name)) lines.push(line(event, redactKeys, maxValueLength))
        if (lines.length > 0) file.append(lines)
      }).pipe(Effect.catchAll((e) => Effect.logWarning(`file_logging: cannot write ${options.path}: ${String(e.error)}`)))
    // a batch is taken and written as one step, so closing the scope never drops a batch half-way
    const loop = Effect.uninterruptibleMask((restore) => Effect.flatMap(restore(Queue.takeBetween(sub, 1, 1_000)), write))
    yield* Effect.forkScoped(Effect.forever(loop))
    // added after the fork, so it runs before the writer is interrupted: what is still queued is written
    yield* Effect.addFinalizer(() => Effect.flatMap(Queue.takeAll(sub), write))
    return bus
  })

/**
 * The `file_logging` bus as a Layer.
 *
 * @since 0.4.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<EventBus.EventBus, FileLoggingError> => Layer.scoped(EventBus.EventBus, make(options))
