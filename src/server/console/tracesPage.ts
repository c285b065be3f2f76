/**
 * Traces: the list, and one trace as its step graph. A step chosen shows its data and takes feedback
 * (positive, negative, a correction); positive feedback and corrections become experiences, listed below.
 */
import { listOf } from "./api.js"
import { compact, h, mount, pretty, s } from "./dom.js"
import { BOX, label, layout, type WireStep } from "./graph.js"
import { formatCost } from "./runView.js"
import { guard, type Shell } from "./shell.js"

interface Trace {
  readonly traceId: string
  readonly agentId: string
  readonly sessionId: string
  readonly task: string
  readonly status: string
  readonly totalTokens?: number
  readonly totalCostUsd?: number | null
}

interface Experience {
  readonly experienceId?: string
  readonly id?: string
  readonly condition: string
  readonly rule: string
  readonly confidence?: number
}

/** The list of traces (newest first, as the API gives them). */
export const tracesPage = (shell: Shell, root: HTMLElement): void => {
  const list = h("table", { class: "traces", "data-testid": "traces" })
  mount(root, h("h2", {}, "Traces"), list)
  void guard(shell, async () => {
    const traces = listOf<Trace>(await shell.api.get("/v1/traces"), "traces")
    mount(list,
      h("tr", {}, ["trace", "agent", "session", "task", "status", "tokens", "cost"].map((c) => h("th", {}, c))),
      traces.map((t) =>
        h("tr", {},
          h("td", {}, h("a", { href: `#/traces/${encodeURIComponent(t.traceId)}` }, t.traceId.slice(0, 12))),
          h("td", {}, t.agentId),
          h("td", {}, t.sessionId),
          h("td", {}, t.task.slice(0, 80)),
          h("td", {}, t.status),
          h("td", {}, String(t.totalTokens ?? "")),
          h("td", {}, formatCost(t.totalCostUsd)))))
  })
}

/** One trace as a graph, with the chosen step's details and feedback. */
export const tracePage = (shell: Shell, root: HTMLElement, traceId: string): void => {
  const head = h("div", { class: "trace-head" })
  const graph = h("div", { class: "graph", "data-testid": "graph" })
  const detail = h("div", { class: "step-detail", "data-testid": "step-detail" }, h("p", { class: "muted" }, "Choose a step."))
  const experiences = h("div", { class: "experiences", "data-testid": "experiences" })
  mount(root, head, h("div", { class: "split wide" }, graph, detail), h("h3", {}, "Experiences of this agent"), experiences)
  let selected: string | undefined
  let agentId = ""

  const loadExperiences = () =>
    guard(shell, async () => {
      const list = listOf<Experience>(await shell.api.get(`/v1/experiences?agentId=${encodeURIComponent(agentId)}`), "experiences")
      mount(experiences, list.length === 0
        ? h("p", { class: "muted" }, "None yet.")
        : h("ul", {}, list.map((e) =>
          h("li", { "data-testid": "experience", "data-experience-id": e.experienceId ?? e.id ?? "" },
            h("b", {}, e.condition), ": ", e.rule, e.confidence !== undefined ? h("span", { class: "muted" }, ` (confidence ${e.confidence})`) : null))))
    })

  const showStep = (step: WireStep) => {
    selected = step.stepId
    graph.querySelectorAll(".node").forEach((n) => n.classList.toggle("selected", n.getAttribute("data-step-id") === step.stepId))
    const content = h("textarea", { rows: 3, placeholder: "What was good, what was wrong, what to do instead", "data-testid": "feedback-content" })
    const result = h("div", { "data-testid": "feedback-result" })
    const send = (type: string) =>
      guard(shell, async () => {
        if (type === "correction" && content.value.trim() === "") {
          mount(result, h("span", { class: "form-error" }, "A correction needs a text."))
          return
        }
        const answer = await shell.api.feedback(traceId, { stepId: step.stepId, type, content: content.value.trim() })
        mount(result, h("span", { class: "ok-text" }, answer?.experienceId ? `Feedback recorded; experience ${answer.experienceId} created.` : "Feedback recorded."))
        await load()
        void loadExperiences()
      })
    mount(detail,
      h("h3", {}, `#${step.sequence} ${step.type}`),
      h("div", { class: "muted" }, step.stepId, step.parentIds.length > 0 ? ` · after ${step.parentIds.map((p) => p.split(":").pop()).join(", ")}` : ""),
      h("pre", { class: "data", "data-testid": "step-data" }, pretty(step.data)),
      h("div", { class: "feedback" },
        content,
        h("div", { class: "row" },
          h("button", { class: "approve", "data-testid": "feedback-positive", onclick: () => void send("positive") }, "Positive"),
          h("button", { class: "reject", "data-testid": "feedback-negative", onclick: () => void send("negative") }, "Negative"),
          h("button", { "data-testid": "feedback-correction", onclick: () => void send("correction") }, "Correction")),
        result))
  }

  const load = () =>
    guard(shell, async () => {
      const answer = await shell.api.get<{ trace?: Trace; steps?: ReadonlyArray<WireStep> } & Partial<Trace>>(`/v1/traces/${encodeURIComponent(traceId)}`)
      const trace = answer.trace ?? (answer as Trace)
      const steps = answer.steps ?? []
      agentId = trace.agentId
      mount(head,
        h("h2", {}, `Trace ${traceId}`),
        h("div", { class: "muted" }, `agent ${trace.agentId} · session ${trace.sessionId} · ${trace.status} · ${trace.totalTokens ?? 0} tokens · ${formatCost(trace.totalCostUsd)}`),
        h("div", {}, "task: ", h("i", {}, trace.task)))
      const g = layout(steps)
      const svg = s("svg", { width: g.width, height: g.height, viewBox: `0 0 ${g.width} ${g.height}`, role: "img", "aria-label": "step graph" },
        s("defs", {}, s("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto" }, s("path", { d: "M0,0 L10,5 L0,10 z", class: "arrowhead" }))),
        ...g.edges.map((e) => s("path", { class: "edge", d: `M${e.x1},${e.y1} C${e.x1},${(e.y1 + e.y2) / 2} ${e.x2},${(e.y1 + e.y2) / 2} ${e.x2},${e.y2}`, "marker-end": "url(#arrow)" })),
        ...g.nodes.map((n) => {
          const sub = n.step.type === "tool_call" ? compact(n.step.data["arguments"]) : n.step.type === "llm_call" ? String(n.step.data["response"] ?? "") : n.step.type === "feedback" ? String(n.step.data["content"] ?? "") : ""
          return s("g", {
            class: `node ${n.step.type}${n.step.stepId === selected ? " selected" : ""}`,
            "data-step-id": n.step.stepId,
            "data-type": n.step.type,
            "data-testid": "step",
            transform: `translate(${n.x},${n.y})`,
            tabindex: 0,
            onclick: () => showStep(n.step),
            onkeydown: (e: Event) => {
              if ((e as KeyboardEvent).key === "Enter") showStep(n.step)
            }
          },
            s("rect", { width: BOX.width, height: BOX.height, rx: 6 }),
            s("text", { x: 8, y: 18, class: "t1" }, `#${n.step.sequence} ${label(n.step)}`.slice(0, 28)),
            s("text", { x: 8, y: 36, class: "t2" }, sub.slice(0, 30)))
        }))
      mount(graph, steps.length === 0 ? h("p", { class: "muted" }, "No steps.") : svg)
      const chosen = steps.find((st) => st.stepId === selected)
      if (chosen) graph.querySelectorAll(".node").forEach((n) => n.classList.toggle("selected", n.getAttribute("data-step-id") === chosen.stepId))
    })
  void load().then(loadExperiences)
}
