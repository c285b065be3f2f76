/**
 * The command rule of the policy executor: a command argument (a command line, or an argv array) must
 * start with a program of the allowlist, given by its bare name (no path), and hold no shell
 * metacharacter, in any of its parts: a command line could otherwise chain, substitute or redirect
 * (`ls; rm -rf /`, `$(curl ...)`, `> ~/.bashrc`) around the allowlist. Quotes are allowed.
 */
import { quote } from "./args.js"

/** Characters a shell gives a meaning beyond a word: chaining, substitution, redirection, globbing, escapes. */
const METACHARACTERS = /[;&|`$<>(){}[\]*?~!#\\\n\r\0]/

const BARE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/

/** Why the command `value` (the argument `key`) is refused, or `undefined`. */
export const check = (key: string, value: unknown, allow: ReadonlyArray<string>): string | undefined => {
  const parts = typeof value === "string"
    ? value.trim().split(/\s+/).filter((p) => p !== "")
    : Array.isArray(value) && value.every((p) => typeof p === "string")
    ? (value as ReadonlyArray<string>)
    : undefined
  if (parts === undefined) return `${key} must be a command line or an array of strings`
  const shown = `${key} ${quote(typeof value === "string" ? value : parts.join(" "))}`
  for (const part of typeof value === "string" ? [value] : parts) {
    const meta = METACHARACTERS.exec(part)
    if (meta !== null) return `${shown} holds the shell metacharacter ${JSON.stringify(meta[0])}`
  }
  const program = parts[0]
  if (program === undefined) return `${key} is empty`
  if (!BARE_NAME.test(program)) return `${shown}: '${program}' is not a bare program name (no paths)`
  if (!allow.includes(program)) return `${shown}: '${program}' is not in the allowed commands [${allow.join(", ")}]`
  return undefined
}
