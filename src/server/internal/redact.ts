/**
 * Hiding secrets in what the server sends (JSON responses, SSE chunks) and logs: values under keys that
 * name a secret (api keys, tokens, passwords, ...) and every value of `headers`/`env` objects, as the
 * Python SDK's logging redaction does. Keys that only name where a secret is (`api_key_env`) stay.
 */

export const REDACTED = "<redacted>"

/** The default key patterns: matched case-insensitively, `_` and `-` ignored. */
export const DEFAULT_KEYS: ReadonlyArray<string> = [
  "apikey",
  "secret",
  "token",
  "password",
  "passwd",
  "authorization",
  "credential",
  "privatekey",
  "cookie",
  "sessionkey"
]

const NAMES_A_SECRET = /(env|var|name|path|file|passthrough|count|tokens?used|usage)$/i
const ALL_VALUES_SECRET = /^(headers|extraheaders|env|environment|httpheaders)$/i
/** Keys that count tokens (usage numbers), never secrets. */
const TOKEN_COUNTS = /tokens$|^(input|output|total|cached|reasoning|max|prompt|completion)token$/i

const normalize = (key: string) => key.replace(/[_-]/g, "").toLowerCase()

/** A redactor over `keys` (patterns contained in a key name). */
export const make = (keys: ReadonlyArray<string> = DEFAULT_KEYS) => {
  const patterns = keys.map(normalize)
  const cache = new Map<string, boolean>()
  const isSecret = (key: string): boolean => {
    const hit = cache.get(key)
    if (hit !== undefined) return hit
    const k = normalize(key)
    const secret = patterns.some((p) => k.includes(p)) && !NAMES_A_SECRET.test(k) && !TOKEN_COUNTS.test(k)
    if (cache.size < 10_000) cache.set(key, secret)
    return secret
  }
  const walk = (value: unknown, hideAll: boolean): unknown => {
    if (typeof value === "string") return hideAll ? REDACTED : value
    if (Array.isArray(value)) return value.map((v) => walk(v, hideAll))
    if (typeof value === "object" && value !== null) {
      const out: Record<string, unknown> = {}
      for (const [key, v] of Object.entries(value)) {
        out[key] = walk(v, hideAll || isSecret(key) || ALL_VALUES_SECRET.test(normalize(key)))
      }
      return out
    }
    return value
  }
  return (value: unknown): unknown => walk(value, false)
}
