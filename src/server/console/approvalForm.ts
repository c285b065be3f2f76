/**
 * The form that decides a pending tool call: its arguments, a field for each editable one, approve
 * (sending only the arguments that changed) or reject with a reason. Used by the run view and the
 * approvals list.
 */
import { compact, h, mount } from "./dom.js"
import { guard, type Shell } from "./shell.js"

/** A call waiting for a decision. */
export interface Pending {
  readonly runId: string
  readonly callId: string
  readonly tool: string
  readonly arguments: unknown
  readonly editableParams: ReadonlyArray<string>
  readonly sessionId?: string
}

/**
 * The value typed in an argument's field: a string argument is taken as typed, anything else as JSON.
 * Throws with the argument's name when the JSON is bad.
 */
const parseField = (name: string, original: unknown, text: string): unknown => {
  if (typeof original === "string") return text
  try {
    return JSON.parse(text)
  } catch {
    throw new Error(`The value of '${name}' is not valid JSON: ${text}`)
  }
}

/** The form; `onDecided` runs after the server accepted the decision. */
export const approvalForm = (shell: Shell, pending: Pending, onDecided: () => void): HTMLElement => {
  const args = (pending.arguments && typeof pending.arguments === "object" ? pending.arguments : {}) as Record<string, unknown>
  const error = h("div", { class: "form-error", "data-testid": "approval-error" })
  const fields = pending.editableParams.map((name) => {
    const original = args[name]
    const input = h("textarea", { rows: 2, "data-testid": `edit-${name}`, "aria-label": `edit ${name}` })
    input.value = typeof original === "string" ? original : JSON.stringify(original ?? null)
    return { name, original, input }
  })
  const reason = h("input", { type: "text", placeholder: "reason (for a rejection)", "data-testid": "reject-reason" })
  const buttons: Array<HTMLButtonElement> = []
  const decide = (body: () => Parameters<Shell["api"]["decide"]>[2]) =>
    guard(shell, async () => {
      mount(error)
      let decision
      try {
        decision = body()
      } catch (e) {
        mount(error, e instanceof Error ? e.message : String(e))
        return
      }
      buttons.forEach((b) => (b.disabled = true))
      try {
        await shell.api.decide(pending.runId, pending.callId, decision)
        onDecided()
      } catch (e) {
        // a refused edit leaves the call pending: say why beside the form and let the user try again
        mount(error, e instanceof Error ? e.message : String(e))
        buttons.forEach((b) => (b.disabled = false))
      }
    })
  const approve = h("button", {
    class: "approve",
    "data-testid": "approve",
    onclick: () =>
      decide(() => {
        const edited: Record<string, unknown> = {}
        for (const f of fields) {
          const value = parseField(f.name, f.original, f.input.value)
          if (JSON.stringify(value) !== JSON.stringify(f.original)) edited[f.name] = value
        }
        return Object.keys(edited).length > 0 ? { decision: "approve", arguments: edited } : { decision: "approve" }
      })
  }, "Approve")
  const reject = h("button", {
    class: "reject",
    "data-testid": "reject",
    onclick: () => decide(() => (reason.value.trim() === "" ? { decision: "reject" } : { decision: "reject", reason: reason.value.trim() }))
  }, "Reject")
  buttons.push(approve, reject)
  return h("div", { class: "approval", "data-testid": "approval", "data-call-id": pending.callId },
    h("div", { class: "approval-head" }, h("b", {}, pending.tool), ` wants to run (call ${pending.callId})`),
    h("pre", { class: "args" }, compact(pending.arguments)),
    fields.length > 0 ? h("div", { class: "edits" }, fields.map((f) => h("label", {}, h("span", {}, f.name), f.input))) : h("div", { class: "muted" }, "No argument may be edited."),
    h("div", { class: "row" }, approve, reject, reason),
    error)
}
