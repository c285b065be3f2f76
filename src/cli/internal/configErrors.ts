/**
 * Printing configuration errors: every issue on its own line, with its JSON path and hint.
 */
import type { ConfigError } from "../../kernel/Errors.js"
import { CliExit, EXIT } from "./exit.js"

export const formatConfigError = (error: ConfigError): string => {
  const head = error.source ? `Invalid config ${error.source}:` : "Invalid config:"
  if (error.issues.length === 0) return `${head} ${error.message}${error.hint ? `\n  hint: ${error.hint}` : ""}`
  const lines = error.issues.map((i) => `  ${i.path || "(root)"}: ${i.message}${i.hint ? `\n      hint: ${i.hint}` : ""}`)
  const extraHint = error.hint && !error.issues.some((i) => i.hint === error.hint) ? `\n  hint: ${error.hint}` : ""
  return `${head} ${error.issues.length} problem${error.issues.length === 1 ? "" : "s"}\n${lines.join("\n")}${extraHint}`
}

/**
 * A configuration error as the CLI's exit 2, every problem printed.
 *
 * @since 0.1.0
 * @category errors
 */
export const configFailure = (error: ConfigError) =>
  new CliExit({ code: EXIT.usage, message: formatConfigError(error) })
