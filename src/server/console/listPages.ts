/**
 * The approvals waiting for a human, and the sessions with their transcripts.
 */
import { listOf } from "./api.js"
import { approvalForm, type Pending } from "./approvalForm.js"
import { compact, h, mount } from "./dom.js"
import { guard, type Shell } from "./shell.js"

/** Every pending approval, each with its form. */
export const approvalsPage = (shell: Shell, root: HTMLElement): void => {
  const list = h("div", { class: "approvals", "data-testid": "approvals" })
  const load = () =>
    guard(shell, async () => {
      const pending = listOf<Pending>(await shell.api.get("/v1/approvals"), "approvals")
      mount(list, pending.length === 0
        ? h("p", { class: "muted", "data-testid": "no-approvals" }, "Nothing waits for a decision.")
        : pending.map((p) =>
          h("div", { class: "card" },
            h("div", { class: "muted" }, `session ${p.sessionId ?? "?"} · run ${p.runId}`),
            approvalForm(shell, p, () => {
              shell.notice(`Decision on ${p.tool} (${p.callId}) sent`)
              void load()
            }))))
    })
  mount(root, h("h2", {}, "Pending approvals ", h("button", { onclick: () => void load(), "data-testid": "refresh" }, "Refresh")), list)
  void load()
}

interface SessionMessage {
  readonly runId?: string
  readonly message?: { readonly _tag?: string; readonly role?: string; readonly content?: unknown; readonly toolName?: string; readonly isError?: boolean }
  readonly _tag?: string
  readonly role?: string
  readonly content?: unknown
}

const idOf = (s: unknown): string =>
  typeof s === "string" ? s : s && typeof s === "object" ? String((s as Record<string, unknown>)["sessionId"] ?? (s as Record<string, unknown>)["id"] ?? "") : ""

/** One message of a transcript: the role, then its text and tool calls. */
const messageView = (m: SessionMessage): HTMLElement => {
  const msg = m.message ?? m
  const role = msg._tag ?? msg.role ?? "?"
  const content = msg.content
  const body = Array.isArray(content)
    ? content.map((part: Record<string, unknown>) =>
      part["_tag"] === "tool_call"
        ? h("div", { class: "call" }, "→ ", h("b", {}, String(part["name"])), " ", h("code", {}, compact(part["arguments"])))
        : part["_tag"] === "reasoning"
        ? h("div", { class: "muted" }, String(part["text"] ?? ""))
        : h("div", {}, String(part["text"] ?? compact(part))))
    : h("div", {}, typeof content === "string" ? content : compact(content))
  const tool = "toolName" in msg && msg.toolName ? ` ${msg.toolName}` : ""
  return h("div", { class: `msg ${role}`, "data-testid": "message" }, h("div", { class: "role" }, role + tool), body)
}

/** The sessions; one chosen shows its transcript and can be deleted. */
export const sessionsPage = (shell: Shell, root: HTMLElement, selected?: string): void => {
  const list = h("ul", { class: "sessions", "data-testid": "sessions" })
  const detail = h("div", { class: "transcript", "data-testid": "transcript" })
  const load = () =>
    guard(shell, async () => {
      const sessions = listOf<unknown>(await shell.api.get("/v1/sessions"), "sessions").map(idOf)
      mount(list, sessions.length === 0
        ? h("li", { class: "muted" }, "No sessions yet.")
        : sessions.map((id) => h("li", { class: id === selected ? "selected" : undefined }, h("a", { href: `#/sessions/${encodeURIComponent(id)}` }, id))))
    })
  const show = (id: string) =>
    guard(shell, async () => {
      const answer = await shell.api.get<unknown>(`/v1/sessions/${encodeURIComponent(id)}`)
      const messages = listOf<SessionMessage>(answer, "messages")
      const remove = h("button", {
        class: "reject",
        "data-testid": "delete-session",
        onclick: () =>
          guard(shell, async () => {
            if (!confirm(`Delete session ${id} and its history?`)) return
            await shell.api.del(`/v1/sessions/${encodeURIComponent(id)}`)
            shell.notice(`Session ${id} deleted`)
            shell.navigate("#/sessions")
          })
      }, "Delete")
      mount(detail, h("h3", {}, `Session ${id} `, remove), messages.length === 0 ? h("p", { class: "muted" }, "No messages.") : messages.map(messageView))
    })
  mount(root, h("div", { class: "split" }, h("aside", {}, h("h2", {}, "Sessions"), list), h("div", { class: "main" }, detail)))
  void load()
  if (selected) void show(selected)
}
