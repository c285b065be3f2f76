/**
 * A configured tool's approval keys (`approval_mode`, `approval_policy`, `editable_params`) applied to
 * the tool built from it. `approval_policy` maps argument names to regular expressions: a call needs
 * approval when one of those arguments, as text (a string as it is, anything else as JSON), matches.
 */
import type { Tool } from "../../tools/Tool.js"
import type { ToolRef } from "../AppConfig.js"

const text = (value: unknown): string => (typeof value === "string" ? value : JSON.stringify(value) ?? "")

/** The predicate of an `approval_policy` (its regular expressions are checked when the config loads). */
export const policyOf = (policy: Readonly<Record<string, string>>): (args: unknown) => boolean => {
  const rules = Object.entries(policy).map(([param, pattern]) => [param, new RegExp(pattern)] as const)
  return (args) => {
    if (typeof args !== "object" || args === null) return false
    const record = args as Record<string, unknown>
    return rules.some(([param, re]) => param in record && re.test(text(record[param])))
  }
}

/** The tool with the ref's approval keys (the ref wins over what the tool's module set). */
export const withApproval = (tool: Tool, ref: ToolRef): Tool => {
  if (ref.approval_mode === undefined && ref.editable_params === undefined && ref.approval_policy === undefined) return tool
  return {
    ...tool,
    ...(ref.approval_mode !== undefined ? { approvalMode: ref.approval_mode } : {}),
    ...(ref.approval_policy !== undefined ? { approvalPolicy: policyOf(ref.approval_policy) } : {}),
    ...(ref.editable_params !== undefined ? { editableParams: ref.editable_params } : {})
  }
}
