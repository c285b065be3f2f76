/**
 * Agents and runs: the agents of the server, a form that starts a run, and the run as it streams (its
 * text, tool calls with arguments and results, approvals to decide in place, retries, each model
 * call's tokens and cost, then how it ended).
 */
import { listOf } from "./api.js"
import { approvalForm } from "./approvalForm.js"
import { compact, h, mount, pretty } from "./dom.js"
import { apply, empty, formatCost, type Item, type RunView } from "./runView.js"
import { guard, type Shell } from "./shell.js"

interface Agent {
  readonly id: string
  readonly name?: string
  readonly description?: string
  readonly tools?: ReadonlyArray<unknown>
}

const toolName = (t: unknown): string =>
  typeof t === "string" ? t : t && typeof t === "object" ? String((t as Record<string, unknown>)["name"] ?? (t as Record<string, unknown>)["id"] ?? "?") : "?"

/** The page, mounted into `root`. */
export const runPage = (shell: Shell, root: HTMLElement, preselect?: string): void => {
  const agentList = h("ul", { class: "agents", "data-testid": "agents" })
  const select = h("select", { "data-testid": "agent", "aria-label": "agent" })
  const session = h("input", { type: "text", placeholder: "session id (optional)", "data-testid": "session" })
  const input = h("textarea", { rows: 3, placeholder: "What should the agent do?", "data-testid": "input" })
  const budget = h("input", { type: "text", placeholder: 'budget JSON, e.g. {"maxSteps": 5}', "data-testid": "budget" })
  const start = h("button", { type: "submit", class: "primary", "data-testid": "start" }, "Start run")
  const cancel = h("button", { type: "button", "data-testid": "cancel", disabled: true }, "Cancel")
  const out = h("section", { class: "run", "data-testid": "run" })
  const form = h("form", { class: "run-form" },
    h("div", { class: "row" }, select, session),
    input,
    h("div", { class: "row" }, budget, start, cancel))
  const agentDetail = h("div", { class: "agent-detail", "data-testid": "agent-detail" })
  // an agent chosen in the list is the run's agent, and its details (model, tools) are shown
  const showAgent = (id: string) =>
    guard(shell, async () => {
      select.value = id
      agentList.querySelectorAll("li").forEach((li) => li.classList.toggle("selected", li.getAttribute("data-agent") === id))
      const info = await shell.api.get<Agent & { readonly model?: string; readonly info?: Record<string, unknown> }>(`/v1/agents/${encodeURIComponent(id)}`)
      mount(agentDetail,
        h("h3", {}, info.name && info.name !== info.id ? `${info.id} (${info.name})` : info.id),
        info.model ? h("div", {}, h("span", { class: "muted" }, "model "), info.model) : null,
        info.tools && info.tools.length > 0 ? h("div", {}, h("span", { class: "muted" }, "tools "), info.tools.map(toolName).join(", ")) : null,
        info.info && Object.keys(info.info).length > 0 ? h("pre", { class: "muted" }, pretty(info.info)) : null)
    })
  mount(root, h("div", { class: "split" },
    h("aside", {}, h("h2", {}, "Agents"), agentList, agentDetail),
    h("div", { class: "main" }, h("h2", {}, "Run"), form, out)))

  void guard(shell, async () => {
    const agents = listOf<Agent>(await shell.api.get("/v1/agents"), "agents")
    mount(select, agents.map((a) => h("option", { value: a.id }, a.name && a.name !== a.id ? `${a.id} (${a.name})` : a.id)))
    if (preselect) select.value = preselect
    mount(agentList, agents.map((a) =>
      h("li", { "data-agent": a.id, onclick: () => showAgent(a.id) },
        h("b", {}, a.id),
        a.description ? h("div", { class: "muted" }, a.description) : null,
        a.tools && a.tools.length > 0 ? h("div", { class: "muted" }, "tools: ", a.tools.map(toolName).join(", ")) : null)))
    shell.report(undefined)
  })

  let controller: AbortController | undefined
  const forms = new Map<string, HTMLElement>()
  form.addEventListener("submit", (e) => {
    e.preventDefault()
    void guard(shell, async () => {
      let parsedBudget: Record<string, unknown> | undefined
      if (budget.value.trim() !== "") {
        try {
          parsedBudget = JSON.parse(budget.value) as Record<string, unknown>
        } catch {
          throw new Error(`The budget is not valid JSON: ${budget.value}`)
        }
      }
      const view = empty()
      forms.clear()
      controller = new AbortController()
      start.disabled = true
      cancel.disabled = false
      let scheduled = false
      const render = () => {
        scheduled = false
        renderRun(shell, out, view, forms)
      }
      render()
      shell.report(undefined)
      try {
        await shell.api.streamRun(
          {
            agentId: select.value,
            inputText: input.value,
            ...(session.value.trim() !== "" ? { sessionId: session.value.trim() } : {}),
            ...(parsedBudget ? { budget: parsedBudget } : {})
          },
          (chunk) => {
            apply(view, chunk)
            // one paint per frame however fast the chunks come
            if (!scheduled) {
              scheduled = true
              requestAnimationFrame(render)
            }
          },
          controller.signal
        )
      } finally {
        start.disabled = false
        cancel.disabled = true
        render()
      }
    })
  })
  cancel.addEventListener("click", () => {
    const runId = out.getAttribute("data-run-id")
    void guard(shell, async () => {
      if (runId) await shell.api.cancel(runId)
      else controller?.abort()
    })
  })
}

const renderItem = (shell: Shell, view: RunView, item: Item, forms: Map<string, HTMLElement>): HTMLElement => {
  switch (item.type) {
    case "text":
      return h("div", { class: "text", "data-testid": "text" }, item.text)
    case "llm":
      return h("div", { class: "llm", "data-testid": "llm-call" },
        `model call ${item.step} · ${item.model} · ${item.stopReason} · ${item.inputTokens} in / ${item.outputTokens} out · ${formatCost(item.costUsd)}`)
    case "retry":
      return h("div", { class: "retry", "data-testid": "retry" }, h("b", {}, item.label), " ", item.detail)
    case "note":
      return h("div", { class: "note" }, h("code", {}, item.kind), " ", item.detail)
    case "tool": {
      let approval: HTMLElement | null = null
      if (item.approval?.state === "pending" && view.runId && !view.finished) {
        const key = item.callId
        if (!forms.has(key)) {
          forms.set(key, approvalForm(shell, {
            runId: view.runId,
            callId: item.callId,
            tool: item.toolId,
            arguments: item.params,
            editableParams: item.approval.editableParams
          }, () => shell.notice(`Decision on ${item.toolId} (${item.callId}) sent`)))
        }
        approval = forms.get(key)!
      } else if (item.approval && item.approval.state !== "pending") {
        approval = h("div", { class: `decided ${item.approval.state}`, "data-testid": "decision" },
          item.approval.state === "approve" ? "approved" : "rejected",
          item.approval.arguments !== undefined ? ` with ${compact(item.approval.arguments)}` : "",
          item.approval.reason ? `: ${item.approval.reason}` : "")
      }
      const state = item.error !== undefined
        ? "error"
        : item.finished
        ? "done"
        : item.approval?.state === "pending"
        ? view.finished ? "not run" : "awaiting approval"
        : "running"
      return h("div", { class: `tool ${state}`, "data-testid": "tool", "data-call-id": item.callId },
        h("div", { class: "tool-head" }, h("b", {}, item.toolId), h("span", { class: "muted" }, ` ${item.callId} · ${state}`)),
        h("div", {}, h("span", { class: "label" }, "arguments "), h("code", { "data-testid": "tool-args" }, compact(item.params))),
        item.output !== "" ? h("pre", { class: "tool-output" }, item.output) : null,
        approval,
        item.finished && item.error === undefined ? h("div", {}, h("span", { class: "label" }, "result "), h("code", { "data-testid": "tool-result" }, compact(item.result))) : null,
        item.error !== undefined ? h("div", { class: "error-text", "data-testid": "tool-error" }, `${item.errorTag ?? "error"}: ${item.error}`) : null)
    }
  }
}

/** Draws the run (the approval forms are kept across draws, so what is typed in them stays). */
const renderRun = (shell: Shell, out: HTMLElement, view: RunView, forms: Map<string, HTMLElement>): void => {
  if (view.runId) out.setAttribute("data-run-id", view.runId)
  out.setAttribute("data-status", view.status)
  const traceId = view.result?.traceId
  mount(out,
    h("div", { class: "run-head" },
      h("span", { class: `badge ${view.finished ? (view.status === "completed" ? "ok" : "bad") : "live"}`, "data-testid": "status" }, view.status),
      view.runId ? h("span", { class: "muted" }, ` run ${view.runId}`) : null,
      view.sessionId ? h("span", { class: "muted" }, ` · session ${view.sessionId}`) : null,
      traceId ? h("a", { href: `#/traces/${encodeURIComponent(traceId)}`, "data-testid": "trace-link", class: "trace-link" }, "trace") : null),
    h("div", { class: "usage", "data-testid": "usage" },
      `${view.chunks} chunks · ${view.deltas} text deltas · ${view.inputTokens} in / ${view.outputTokens} out tokens · cost ${formatCost(view.costUsd)}`),
    h("div", { class: "streamed", "data-testid": "streamed-text" }, view.text),
    h("div", { class: "timeline" }, view.items.map((item) => renderItem(shell, view, item, forms))),
    view.error ? h("div", { class: "error-text", "data-testid": "run-error" }, `${view.status}: ${view.error}`) : null,
    view.result && view.finished && view.result.finalOutput !== undefined && typeof view.result.finalOutput !== "string"
      ? h("div", {}, h("span", { class: "label" }, "structured output"), h("pre", { class: "final", "data-testid": "final-output" }, pretty(view.result.finalOutput)))
      : null)
}
