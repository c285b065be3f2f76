/**
 * Safe, reversible file names for session ids.
 *
 * A session id may hold anything: `/`, `..`, spaces, unicode, upper and lower case. The name keeps
 * `[a-z0-9_-]` as they are and writes every other UTF-8 byte as `%XX` (upper-case hex), so a name never
 * contains a path separator or a dot, never starts with a dot, and two ids never map to names that differ
 * only in case (safe on case-insensitive file systems). The empty id is `%`. Ids whose name would be too
 * long for a file system (or that are not well-formed UTF-16) get a shortened name ending in `~` and a
 * SHA-256 of the id; the id itself is then read back from the file's header record.
 *
 * @internal
 */
import { createHash } from "node:crypto"

/** Longest name (without extension) written; leaves room for `.lock.takeover-<hash>` under 255 bytes. */
const MAX_NAME = 180
const HASHED_PREFIX = 120

const isSafe = (byte: number): boolean =>
  (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39) || byte === 0x5f || byte === 0x2d

// a lone surrogate would be replaced by U+FFFD in UTF-8, so two ids could share one name
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

const escapeBytes = (id: string): string => {
  let out = ""
  for (const byte of Buffer.from(id, "utf8")) {
    out += isSafe(byte) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`
  }
  return out
}

/**
 * The file name stem of a session id.
 *
 * @since 0.1.0
 * @category internal
 * @internal
 */
export const encodeSessionId = (id: string): string => {
  if (id.length === 0) return "%"
  const escaped = loneSurrogate.test(id) ? undefined : escapeBytes(id)
  if (escaped !== undefined && escaped.length <= MAX_NAME) return escaped
  const hash = createHash("sha256").update(id, "utf16le").digest("hex").slice(0, 32)
  let prefix = (escaped ?? escapeBytes(id.replace(/[\uD800-\uDFFF]/g, "_"))).slice(0, HASHED_PREFIX)
  // never cut an escape in half
  const cut = prefix.lastIndexOf("%")
  if (cut >= 0 && cut > prefix.length - 3) prefix = prefix.slice(0, cut)
  return `${prefix}~${hash}`
}

/**
 * True when the name was shortened: the id must be read from the file.
 *
 * @since 0.1.0
 * @category internal
 * @internal
 */
export const isHashedName = (stem: string): boolean => stem.includes("~")

/**
 * The session id of a name made by `encodeSessionId`, or `undefined` for a name it never makes (a file
 * that is not ours) or a shortened one.
 *
 * @since 0.1.0
 * @category internal
 * @internal
 */
export const decodeSessionId = (stem: string): string | undefined => {
  if (stem === "%") return ""
  if (stem.length === 0 || isHashedName(stem)) return undefined
  const bytes: Array<number> = []
  for (let i = 0; i < stem.length; i++) {
    const c = stem.charCodeAt(i)
    if (c === 0x25) {
      const hex = stem.slice(i + 1, i + 3)
      if (!/^[0-9A-F]{2}$/.test(hex)) return undefined
      const byte = parseInt(hex, 16)
      if (isSafe(byte)) return undefined
      bytes.push(byte)
      i += 2
    } else if (isSafe(c)) {
      bytes.push(c)
    } else {
      return undefined
    }
  }
  let id: string
  try {
    id = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(Uint8Array.from(bytes))
  } catch {
    return undefined
  }
  // the canonical check rejects anything encodeSessionId would not have produced
  return encodeSessionId(id) === stem ? id : undefined
}

/**
 * A short, file-name-safe digest of any text (used to name takeover markers after a lock's token).
 *
 * @since 0.1.0
 * @category internal
 * @internal
 */
export const digest = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex").slice(0, 24)
