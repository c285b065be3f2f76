/**
 * Hiding the secrets of a resolved config (`openagents config show --redact`): what a user may paste
 * into an issue or a chat without leaking a key. Keys are hidden by name (api keys, tokens, passwords,
 * secrets), every value of a `headers` or `env` object, the credentials and secret query parameters of
 * URLs. Names of variables (`api_key_env`, `env_passthrough`) are not secrets and stay.
 *
 * @since 0.2.0
 */

/**
 * What a hidden value is replaced with.
 *
 * @since 0.2.0
 * @category constants
 */
export const REDACTED = "<redacted>"

const SECRET_KEY = /(api[_-]?key|secret|token|passw(or)?d|authorization|auth[_-]?header|credential|private[_-]?key|cookie|session[_-]?key)/i
/** Keys that name where a secret is, not the secret. */
const NAMES_A_SECRET = /(_env|_var|_name|_path|_file|passthrough)$/i
/** Objects whose every value may be a secret: HTTP headers, environment variables. */
const ALL_VALUES_SECRET = /^(headers|extra_headers|env|environment|http_headers)$/i
const SECRET_PARAM = /^(api[_-]?key|key|token|access[_-]?token|secret|password|sig|signature|auth)$/i

/**
 * A string with the credentials (`user:pass@`) and secret query parameters (`?api_key=...`) of the
 * URLs in it hidden; other strings unchanged.
 *
 * @since 0.2.0
 * @category redaction
 */
export const redactUrl = (text: string): string => {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return text
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return text
  }
  let changed = false
  if (url.username !== "" || url.password !== "") {
    url.username = "redacted"
    url.password = ""
    changed = true
  }
  for (const key of [...url.searchParams.keys()]) {
    if (SECRET_PARAM.test(key)) {
      url.searchParams.set(key, REDACTED)
      changed = true
    }
  }
  return changed ? url.toString() : text
}

const hideAll = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(hideAll)
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hideAll(v)]))
  }
  return value === null || value === undefined ? value : REDACTED
}

/**
 * A copy of a JSON value with its secrets hidden (see the module's description).
 *
 * @since 0.2.0
 * @category redaction
 */
export const redact = (value: unknown, key?: string): unknown => {
  if (Array.isArray(value)) return value.map((v) => redact(v))
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        ALL_VALUES_SECRET.test(k) && typeof v === "object" && v !== null && !Array.isArray(v) ? hideAll(v) : redact(v, k)
      ])
    )
  }
  if (typeof value === "string") {
    if (key !== undefined && SECRET_KEY.test(key) && !NAMES_A_SECRET.test(key)) return REDACTED
    return redactUrl(value)
  }
  return value
}
