/**
 * The layout of a trace's step graph: each step in a row by its depth (the longest path from a step
 * without parents), side by side in a row by sequence, and an edge from each parent. Pure and DOM-free;
 * the traces view draws it as SVG.
 */

/** A step as the API sends it (`TraceStep`). */
export interface WireStep {
  readonly stepId: string
  readonly type: string
  readonly sequence: number
  readonly parentIds: ReadonlyArray<string>
  readonly data: Readonly<Record<string, unknown>>
}

/** A placed step. `x`, `y` are the top-left corner of its box. */
export interface Node {
  readonly step: WireStep
  readonly row: number
  readonly col: number
  readonly x: number
  readonly y: number
}

/** An edge from the bottom of the parent's box to the top of the child's. */
export interface Edge {
  readonly from: string
  readonly to: string
  readonly x1: number
  readonly y1: number
  readonly x2: number
  readonly y2: number
}

/** The laid-out graph and the size of its drawing. */
export interface Layout {
  readonly nodes: ReadonlyArray<Node>
  readonly edges: ReadonlyArray<Edge>
  readonly width: number
  readonly height: number
}

/** Box size and gaps, in pixels. */
export const BOX = { width: 180, height: 46, gapX: 24, gapY: 34, margin: 12 } as const

/**
 * Places the steps. A parent id that is not a step of the trace, or that does not come before its
 * child, is left out, so bad data can neither loop nor lose a step.
 */
export const layout = (steps: ReadonlyArray<WireStep>): Layout => {
  const sorted = [...steps].sort((a, b) => a.sequence - b.sequence)
  const byId = new Map(sorted.map((s) => [s.stepId, s]))
  const depth = new Map<string, number>()
  for (const step of sorted) {
    let d = 0
    for (const parent of step.parentIds) {
      const p = byId.get(parent)
      if (p && p.sequence < step.sequence) d = Math.max(d, (depth.get(parent) ?? 0) + 1)
    }
    depth.set(step.stepId, d)
  }
  const rows: Array<Array<WireStep>> = []
  for (const step of sorted) (rows[depth.get(step.stepId)!] ??= []).push(step)
  const columns = Math.max(1, ...rows.map((r) => r?.length ?? 0))
  const width = BOX.margin * 2 + columns * BOX.width + (columns - 1) * BOX.gapX
  const nodes: Array<Node> = []
  const at = new Map<string, Node>()
  rows.forEach((row, r) => {
    // centre a row that is narrower than the widest
    const rowWidth = row.length * BOX.width + (row.length - 1) * BOX.gapX
    const left = (width - rowWidth) / 2
    row.forEach((step, c) => {
      const node = { step, row: r, col: c, x: left + c * (BOX.width + BOX.gapX), y: BOX.margin + r * (BOX.height + BOX.gapY) }
      nodes.push(node)
      at.set(step.stepId, node)
    })
  })
  const edges: Array<Edge> = []
  for (const node of nodes) {
    for (const parent of node.step.parentIds) {
      const p = at.get(parent)
      if (!p || p.step.sequence >= node.step.sequence) continue
      edges.push({
        from: parent,
        to: node.step.stepId,
        x1: p.x + BOX.width / 2,
        y1: p.y + BOX.height,
        x2: node.x + BOX.width / 2,
        y2: node.y
      })
    }
  }
  const height = BOX.margin * 2 + Math.max(1, rows.length) * BOX.height + Math.max(0, rows.length - 1) * BOX.gapY
  return { nodes, edges, width, height }
}

/** The short label of a step's box: its type and what it is about. */
export const label = (step: WireStep): string => {
  const d = step.data
  const s = (u: unknown) => (typeof u === "string" ? u : "")
  switch (step.type) {
    case "llm_call":
      return `model call ${typeof d["step"] === "number" ? d["step"] : ""}`.trim()
    case "tool_call":
      return `tool ${s(d["tool"])}`
    case "feedback":
      return `feedback: ${s(d["feedbackType"])}`
    case "memory_write":
      return "experience written"
    case "memory_read":
      return "memory read"
    default:
      return step.type
  }
}
