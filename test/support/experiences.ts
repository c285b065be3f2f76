/**
 * A corpus of experiences for ranking tests and the retrieval benchmark: `n` experiences of one agent
 * on varied tasks (drawn from a fixed vocabulary with a seeded generator), some of another agent, and
 * one `needle` whose condition matches the probe task.
 */
import { Experience } from "../../src/memory/ExperienceStore.js"

const topics = [
  "invoice", "payroll", "deployment", "kubernetes", "newsletter", "refund", "onboarding", "database", "migration",
  "backup", "firewall", "budget", "forecast", "translation", "contract", "hiring", "interview", "roadmap", "sprint",
  "incident", "postmortem", "pricing", "campaign", "survey", "inventory", "shipping", "warehouse", "tax", "audit",
  "compliance", "security", "password", "login", "dashboard", "chart", "spreadsheet", "email", "calendar", "meeting"
]
const verbs = ["write", "review", "summarise", "plan", "fix", "check", "prepare", "update", "draft", "analyse"]
const advice = ["be concise", "use bullet points", "cite sources", "ask before deleting", "double check numbers", "add a summary"]

/** A deterministic generator (mulberry32). */
const random = (seed: number) => () => {
  seed |= 0
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

export const PROBE = "reconcile the quarterly ledger of the Lisbon subsidiary"
export const NEEDLE_RULE = "Export the ledger as CSV before reconciling"

export const corpus = (n: number, nowMs: number): ReadonlyArray<Experience> => {
  const r = random(42)
  const pick = <A>(xs: ReadonlyArray<A>) => xs[Math.floor(r() * xs.length)]!
  const out: Array<Experience> = []
  for (let i = 0; i < n - 2; i++) {
    const task = `${pick(verbs)} the ${pick(topics)} ${pick(topics)} for the ${pick(topics)} team`
    out.push(new Experience({
      experienceId: `exp-${i}`,
      scope: i % 10 === 9 ? "agent:other" : "agent:a",
      condition: `When performing a task similar to '${task}'`,
      rule: `${pick(advice)}; mention the ${pick(topics)}`,
      evidence: [],
      source: "feedback",
      confidence: r() < 0.5 ? 0.8 : 0.6,
      createdAtMs: nowMs - Math.floor(r() * 90) * 86_400_000,
      updatedAtMs: nowMs - Math.floor(r() * 90) * 86_400_000
    }))
  }
  // a distractor sharing one word with the probe (ledger), with high confidence and fresh
  out.push(new Experience({
    experienceId: "exp-distractor",
    scope: "agent:a",
    condition: "When performing a task similar to 'print the ledger'",
    rule: "Use landscape pages",
    evidence: [],
    source: "feedback",
    confidence: 1,
    createdAtMs: nowMs,
    updatedAtMs: nowMs
  }))
  out.splice(Math.floor(n / 2), 0, new Experience({
    experienceId: "exp-needle",
    scope: "agent:a",
    condition: "When performing a task similar to 'reconcile the quarterly ledger of the Porto subsidiary'",
    rule: NEEDLE_RULE,
    evidence: [],
    source: "feedback",
    confidence: 0.6,
    createdAtMs: nowMs - 30 * 86_400_000,
    updatedAtMs: nowMs - 30 * 86_400_000
  }))
  return out
}
