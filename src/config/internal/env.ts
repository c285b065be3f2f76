/**
 * `${VAR}` substitution in the string values of a config, before it is decoded.
 *
 * @since 0.2.0
 */
import { isRecord, type Problem, type Segment } from "./issues.js"

/**
 * Environment variables used for `${VAR}` substitution.
 *
 * @since 0.1.0
 * @category models
 */
export type Env = Readonly<Record<string, string | undefined>>

const ENV_REFERENCE = /\$(\$?)\{([^}]*)\}/g
const ENV_BODY = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/

const substituteString = (value: string, env: Env, path: ReadonlyArray<Segment>, problems: Array<Problem>): string =>
  value.replace(ENV_REFERENCE, (match: string, escape: string, body: string) => {
    if (escape !== "") return match.slice(1)
    const parsed = ENV_BODY.exec(body)
    if (parsed === null) {
      problems.push({
        path,
        message: `invalid environment variable reference '${match}'`,
        hint: "write ${NAME} or ${NAME:-default}; write $${...} for a literal '${...}'"
      })
      return match
    }
    const name = parsed[1]!
    const fallback = parsed[2]
    const set = env[name]
    if (fallback !== undefined) return set === undefined || set === "" ? fallback : set
    if (set === undefined) {
      problems.push({
        path,
        message: `environment variable '${name}' is not set (referenced as ${match})`,
        hint: `set ${name} in the environment, or give a default: \${${name}:-value}`
      })
      return match
    }
    return set
  })

/**
 * Replaces `${VAR}` / `${VAR:-default}` in every string of `value` (`$${VAR}` stays a literal `${VAR}`);
 * an unset variable without a default is a problem at its path.
 *
 * @since 0.2.0
 * @category decoding
 */
export const substitute = (value: unknown, env: Env, path: ReadonlyArray<Segment>, problems: Array<Problem>): unknown => {
  if (typeof value === "string") return substituteString(value, env, path, problems)
  if (Array.isArray(value)) return value.map((item, i) => substitute(item, env, [...path, i], problems))
  if (isRecord(value)) {
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) out[key] = substitute(item, env, [...path, key], problems)
    return out
  }
  return value
}
