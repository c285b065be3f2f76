/**
 * The line format of the JSONL session store and its replay.
 *
 * A session file is a sequence of lines, each one JSON object `{"t": <type>, ...}`:
 *
 * - `{"t":"session","v":1,"id":<session id>,"createdAtMs":<ms>,"nonce":<uuid>}`: the header, first line of the file
 * - `{"t":"message","data":<SessionMessage>}`
 * - `{"t":"state","data":<state object>}`: the whole state; the last one wins
 * - `{"t":"artifact","data":<SessionArtifact>}`
 * - `{"t":"checkpoint","data":<SessionCheckpoint>}`: a checkpoint id saved again replaces the earlier one in place
 * - `{"t":"journal","data":<JournalEntry>}`
 * - `{"t":"approval","data":<PendingApproval>}`: a pending tool call; the same run and call id again replaces it
 * - `{"t":"approval_deleted","data":{"runId","callId"}}`: the pending call is gone
 *
 * Data are the Schema encodings of kernel/Session. Empty lines are ignored (a writer that finds a torn last
 * line starts its own on a fresh line, which can leave one).
 *
 * @internal
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import type { PendingApproval } from "../../kernel/Approval.js"
import type { JournalEntry, SessionArtifact, SessionCheckpoint, SessionMessage } from "../../kernel/Session.js"
import type { SessionState } from "../SessionStore.js"
import { causeMessage, decode, type RecordKind, schemas } from "./codec.js"

/**
 * Version of the line format, in the header.
 *
 * @since 0.1.0
 * @category internal
 * @internal
 */
export const FORMAT_VERSION = 1

/**
 * @since 0.1.0
 * @category internal
 * @internal
 */
export const Header = Schema.Struct({
  t: Schema.Literal("session"),
  v: Schema.Number,
  id: Schema.String,
  createdAtMs: Schema.optional(Schema.Number),
  nonce: Schema.optional(Schema.String)
})

/**
 * @since 0.1.0
 * @category internal
 * @internal
 */
export const headerLine = (id: string, createdAtMs: number, nonce: string): string =>
  JSON.stringify({ t: "session", v: FORMAT_VERSION, id, createdAtMs, nonce })

/**
 * One record line (without the newline) from already encoded JSON text of its data.
 *
 * @since 0.1.0
 * @category internal
 * @internal
 */
export const recordLine = (t: RecordKind, dataJson: string): string => `{"t":${JSON.stringify(t)},"data":${dataJson}}`

/**
 * What replaying a session file yields. Mutable: the store keeps it in its cache and applies the lines
 * appended since, under a per-file lock.
 *
 * @since 0.1.0
 * @category internal
 * @internal
 */
export interface Snapshot {
  readonly messages: Array<SessionMessage>
  state: SessionState
  readonly artifacts: Array<SessionArtifact>
  readonly checkpoints: Map<string, SessionCheckpoint>
  /** Entries per run id, in append order; runs in first-append order. */
  readonly journal: Map<string, Array<JournalEntry>>
  /** Pending approvals by `<runId> <callId>`. */
  readonly approvals: Map<string, PendingApproval>
  /** The id in the first header record, if any. */
  headerId: string | undefined
}

/**
 * @since 0.1.0
 * @category internal
 * @internal
 */
export const emptySnapshot = (): Snapshot => ({
  messages: [],
  state: {},
  artifacts: [],
  checkpoints: new Map(),
  journal: new Map(),
  approvals: new Map(),
  headerId: undefined
})

/**
 * A line that could not be used.
 *
 * @since 0.1.0
 * @category internal
 * @internal
 */
export interface Problem {
  /** 1-based line number in the file. */
  readonly line: number
  /** Byte offset of the line's start. */
  readonly offset: number
  /** True for a last line without its newline (a write cut short by a crash, or one still in flight). */
  readonly torn: boolean
  readonly reason: string
}

/**
 * @since 0.1.0
 * @category internal
 * @internal
 */
export interface ReplayResult {
  /** Bytes of complete lines consumed from the buffer. */
  readonly consumed: number
  /** Complete lines consumed. */
  readonly lines: number
  readonly problems: ReadonlyArray<Problem>
}

const applyRecord = (snapshot: Snapshot, record: unknown): string | undefined => {
  if (typeof record !== "object" || record === null || Array.isArray(record)) return "not a JSON object"
  const { t, data } = record as { t?: unknown; data?: unknown }
  switch (t) {
    case "session": {
      const header = decode(Header, record)
      if (Either.isLeft(header)) return `bad header: ${header.left}`
      if (snapshot.headerId === undefined) snapshot.headerId = header.right.id
      return undefined
    }
    case "message": {
      const r = decode(schemas.message, data)
      if (Either.isLeft(r)) return `bad message: ${r.left}`
      snapshot.messages.push(r.right)
      return undefined
    }
    case "state": {
      const r = decode(schemas.state, data)
      if (Either.isLeft(r)) return `bad state: ${r.left}`
      snapshot.state = r.right
      return undefined
    }
    case "artifact": {
      const r = decode(schemas.artifact, data)
      if (Either.isLeft(r)) return `bad artifact: ${r.left}`
      snapshot.artifacts.push(r.right)
      return undefined
    }
    case "checkpoint": {
      const r = decode(schemas.checkpoint, data)
      if (Either.isLeft(r)) return `bad checkpoint: ${r.left}`
      snapshot.checkpoints.set(r.right.checkpointId, r.right)
      return undefined
    }
    case "journal": {
      const r = decode(schemas.journal, data)
      if (Either.isLeft(r)) return `bad journal entry: ${r.left}`
      const run = snapshot.journal.get(r.right.runId)
      if (run) run.push(r.right)
      else snapshot.journal.set(r.right.runId, [r.right])
      return undefined
    }
    case "approval": {
      const r = decode(schemas.approval, data)
      if (Either.isLeft(r)) return `bad approval: ${r.left}`
      snapshot.approvals.set(`${r.right.runId} ${r.right.callId}`, r.right)
      return undefined
    }
    case "approval_deleted": {
      const r = decode(schemas.approval_deleted, data)
      if (Either.isLeft(r)) return `bad approval_deleted: ${r.left}`
      snapshot.approvals.delete(`${r.right.runId} ${r.right.callId}`)
      return undefined
    }
    default:
      return `unknown record type ${JSON.stringify(t)}`
  }
}

const decoder = new TextDecoder("utf-8", { fatal: true })

/**
 * Applies the complete lines of `buffer` (file bytes from `startOffset`, where line `startLine` begins) to
 * `snapshot`. Never throws: a line that cannot be used is reported in `problems` and skipped. A trailing
 * fragment without newline is not consumed (it is reported as torn).
 *
 * @since 0.1.0
 * @category internal
 * @internal
 */
export const replay = (snapshot: Snapshot, buffer: Uint8Array, startOffset: number, startLine: number): ReplayResult => {
  const problems: Array<Problem> = []
  let pos = 0
  let line = startLine
  while (pos < buffer.length) {
    const nl = buffer.indexOf(0x0a, pos)
    if (nl < 0) {
      problems.push({ line, offset: startOffset + pos, torn: true, reason: "last line is incomplete (no newline)" })
      break
    }
    if (nl > pos) {
      let reason: string | undefined
      try {
        reason = applyRecord(snapshot, JSON.parse(decoder.decode(buffer.subarray(pos, nl))))
      } catch (e) {
        reason = `invalid JSON: ${causeMessage(e)}`
      }
      if (reason !== undefined) problems.push({ line, offset: startOffset + pos, torn: false, reason })
    }
    pos = nl + 1
    line++
  }
  const consumed = problems.length > 0 && problems[problems.length - 1]!.torn
    ? problems[problems.length - 1]!.offset - startOffset
    : buffer.length
  return { consumed, lines: line - startLine, problems }
}
