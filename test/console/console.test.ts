/**
 * The web console in real Chromium against the real server (Server.layer serving Console.serve, a real
 * runtime on the scripted mock model):
 * a refused token, a run whose text streams in, a tool call approved with an edited argument, feedback
 * on a trace step that becomes an experience, a failing run, the approvals list and a session's
 * transcript. Screenshots go to .tmp/screenshots/.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import { type Browser, launch } from "./browser.js"
import { type RunningServer, start } from "./server.js"

const TOKEN = "console-test-token"

const config = {
  agents: [
    {
      id: "assistant",
      name: "Assistant",
      llm: {
        provider: "mock",
        pricing: { input: 3, output: 15 },
        script: [
          { text: "Let me work that out.", tool_calls: [{ name: "calc", arguments: { expression: "6*7" } }] },
          // a real pause between the two answers, so the first is on screen while the run goes on
          { delay_ms: 1500, text: "The answer is 42." }
        ]
      },
      tools: [{ id: "calc", type: "calc" }]
    },
    {
      id: "writer",
      llm: {
        provider: "mock",
        script: [
          { text: "Shouting it.", tool_calls: [{ name: "text_transform", arguments: { text: "draft", operation: "upper" } }] },
          { text: "Transformed." }
        ]
      },
      tools: [{ id: "text_transform", type: "text_transform", approval_mode: "always", editable_params: ["text"] }]
    },
    {
      id: "extractor",
      llm: { provider: "mock", script: [{ text: "The answer is 42" }, { text: "{\"answer\": 42}" }] },
      output_schema: { type: "object", properties: { answer: { type: "number" } }, required: ["answer"], additionalProperties: false }
    },
    {
      id: "slow",
      llm: { provider: "mock", script: [{ text: "Starting.", tool_calls: [{ name: "calc", arguments: { expression: "1+1" } }] }, { delay_ms: 600_000, text: "Never." }] },
      tools: [{ id: "calc", type: "calc" }]
    },
    {
      id: "broken",
      llm: { provider: "mock", script: [{ error: { kind: "invalid_request", message: "The prompt was refused by the provider" } }] }
    }
  ]
}

let server: RunningServer
let browser: Browser

const api = async <A>(path: string): Promise<A> => {
  const res = await fetch(server.url + path, { headers: { authorization: `Bearer ${TOKEN}` } })
  assert.strictEqual(res.status, 200, `GET ${path}`)
  return (await res.json()) as A
}

const startRun = async (agentId: string, input: string, sessionId?: string) => {
  const { page } = browser
  await page.goto(`${server.url}/#/`)
  await page.locator(`[data-testid=agent] option[value=${agentId}]`).waitFor({ state: "attached" })
  await page.selectOption("[data-testid=agent]", agentId)
  if (sessionId) await page.fill("[data-testid=session]", sessionId)
  await page.fill("[data-testid=input]", input)
  await page.click("[data-testid=start]")
}

const status = () => browser.page.locator("[data-testid=run] [data-testid=status]")

beforeAll(async () => {
  server = await start(config, { token: TOKEN })
  browser = await launch()
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

describe("web console in Chromium", () => {
  it("says when the token is refused, and works with the right one", async () => {
    const { page } = browser
    await page.goto(`${server.url}/`)
    await page.fill("[data-testid=token]", "not-the-token")
    await page.click("[data-testid=save-token]")
    const banner = page.locator("[data-testid=banner-text]")
    await banner.waitFor()
    assert.include(await banner.textContent(), "The server refused the token (401)")
    assert.include(await page.locator("[data-testid=banner]").getAttribute("class"), "auth")
    await browser.shot("01-bad-token")
    await page.fill("[data-testid=token]", TOKEN)
    await page.click("[data-testid=save-token]")
    await page.locator("[data-testid=agents] [data-agent=writer]").click()
    assert.strictEqual(await page.locator("[data-testid=banner-text]").count(), 0)
    // the agent chosen is the run's, and its details come from GET /v1/agents/{id}
    await page.locator("[data-testid=agent-detail]", { hasText: "text_transform" }).waitFor()
    assert.strictEqual(await page.locator("[data-testid=agent]").inputValue(), "writer")
    // kept for the tab's session, not beyond
    assert.strictEqual(await page.evaluate(`sessionStorage.getItem("openagents.token")`), TOKEN)
  })

  it("starts a run and shows its text as it streams, with the tool call, usage and the end", async () => {
    const { page } = browser
    await page.goto(`${server.url}/#/`)
    await page.locator("[data-testid=agent] option[value=assistant]").waitFor({ state: "attached" })
    // record what the run panel shows at each change, to see the text before the run ended
    // (a string: this code runs in the page, and the tests are type-checked without the DOM's types)
    await page.evaluate(`{
      window.seen = []
      const run = document.querySelector("[data-testid=run]")
      new MutationObserver(() => {
        window.seen.push({
          status: run.querySelector("[data-testid=status]")?.textContent ?? "",
          text: run.querySelector("[data-testid=streamed-text]")?.textContent ?? ""
        })
      }).observe(run, { childList: true, subtree: true, characterData: true })
    }`)
    await page.selectOption("[data-testid=agent]", "assistant")
    // each test its own session: the mock's script position counts the session's earlier turns
    await page.fill("[data-testid=session]", "stream-session")
    await page.fill("[data-testid=input]", "What is 6 times 7?")
    await page.click("[data-testid=start]")
    await page.locator("[data-testid=streamed-text]", { hasText: "Let me work that out." }).waitFor()
    await browser.shot("02-run-streaming")
    await page.locator("[data-testid=run][data-status=completed]").waitFor()
    const seen = (await page.evaluate("window.seen")) as Array<{ status: string; text: string }>
    assert.isTrue(
      seen.some((s) => s.status === "running" && s.text.includes("Let me work that out.") && !s.text.includes("42")),
      `the first answer was on screen while the run went on: ${JSON.stringify(seen.slice(0, 20))}`
    )
    assert.strictEqual(await page.locator("[data-testid=streamed-text]").textContent(), "Let me work that out.\n\nThe answer is 42.")
    assert.strictEqual(await page.locator("[data-testid=tool-args]").textContent(), JSON.stringify({ expression: "6*7" }))
    assert.include(await page.locator("[data-testid=tool-result]").textContent(), "42")
    assert.strictEqual(await page.locator("[data-testid=llm-call]").count(), 2)
    assert.match((await page.locator("[data-testid=llm-call]").first().textContent())!, /model call 1 · mock · tool_use · \d+ in \/ \d+ out · \$0\.\d+/)
    const usage = (await page.locator("[data-testid=usage]").textContent())!
    assert.match(usage, /\d+ chunks · [1-9]\d* text deltas · [1-9]\d* in \/ [1-9]\d* out tokens · cost \$0\.\d+$/)
    assert.strictEqual(await status().textContent(), "completed")
    await browser.shot("03-run-completed")
  })

  it("approves a pending call with an edited argument, and the run finishes with it", async () => {
    const { page } = browser
    await startRun("writer", "Make it loud", "approval-session")
    const form = page.locator("[data-testid=run] [data-testid=approval]")
    await form.waitFor()
    assert.strictEqual(await status().textContent(), "awaiting approval")
    // the call waits on the server too
    const pending = await api<Array<{ tool: string; arguments: unknown }>>("/v1/approvals")
    assert.deepStrictEqual(pending.map((p) => [p.tool, p.arguments]), [["text_transform", { text: "draft", operation: "upper" }]])
    await form.locator("[data-testid=edit-text]").fill("edited by a human")
    await browser.shot("04-approval-pending")
    await form.locator("[data-testid=approve]").click()
    await page.locator("[data-testid=run][data-status=completed]").waitFor()
    assert.include(await page.locator("[data-testid=decision]").textContent(), `approved with {"text":"edited by a human"}`)
    assert.strictEqual(await page.locator("[data-testid=tool-args]").textContent(), JSON.stringify({ text: "edited by a human", operation: "upper" }))
    assert.include(await page.locator("[data-testid=tool-result]").textContent(), "EDITED BY A HUMAN")
    assert.include(await page.locator("[data-testid=streamed-text]").textContent(), "Transformed.")
    assert.deepStrictEqual(await api("/v1/approvals"), [])
    await browser.shot("05-approval-approved")
  })

  it("gives feedback on a trace step, which becomes an experience", async () => {
    const { page } = browser
    // the trace of the run just approved, from its run panel
    await page.click("[data-testid=trace-link]")
    const toolStep = page.locator("[data-testid=step][data-type=tool_call]")
    await toolStep.waitFor()
    const before = await page.locator("[data-testid=step]").count()
    await toolStep.click()
    assert.include(await page.locator("[data-testid=step-data]").textContent(), "EDITED BY A HUMAN")
    await page.fill("[data-testid=feedback-content]", "Keep the words the user asked to shout")
    await page.click("[data-testid=feedback-positive]")
    await page.locator("[data-testid=feedback-result]", { hasText: "experience" }).waitFor()
    // the feedback and the memory write join the graph, under the step
    await page.locator("[data-testid=step][data-type=memory_write]").waitFor()
    assert.strictEqual(await page.locator("[data-testid=step]").count(), before + 2)
    await page.locator("[data-testid=experience]", { hasText: "Keep the words the user asked to shout" }).waitFor()
    const experiences = await api<Array<{ rule: string; condition: string }>>("/v1/experiences?agentId=writer")
    assert.deepStrictEqual(experiences.map((e) => e.rule), ["Keep the words the user asked to shout"])
    assert.include(experiences[0]!.condition, "Make it loud")
    await browser.shot("06-trace-feedback")
  })

  it("shows a run that fails, with its error", async () => {
    const { page } = browser
    await startRun("broken", "anything", "broken-session")
    await page.locator("[data-testid=run][data-status=failed]").waitFor()
    assert.include(await page.locator("[data-testid=run-error]").textContent(), "The prompt was refused by the provider")
    await browser.shot("07-run-failed")
  })

  it("shows a retry of an invalid output, then the structured output", async () => {
    const { page } = browser
    await startRun("extractor", "What is 6*7?", "extract-session")
    await page.locator("[data-testid=run][data-status=completed]").waitFor()
    assert.include(await page.locator("[data-testid=retry]").textContent(), "output retry 1")
    assert.include(await page.locator("[data-testid=retry]").textContent(), "not valid JSON")
    assert.deepStrictEqual(JSON.parse((await page.locator("[data-testid=final-output]").textContent())!), { answer: 42 })
    await browser.shot("08-output-retry")
  })

  it("cancels a run that is going on", async () => {
    const { page } = browser
    await startRun("slow", "take your time", "slow-session")
    await page.locator("[data-testid=streamed-text]", { hasText: "Starting." }).waitFor()
    await page.click("[data-testid=cancel]")
    await page.locator("[data-testid=run][data-status=cancelled]").waitFor()
    assert.isFalse(await page.locator("[data-testid=streamed-text]", { hasText: "Never." }).isVisible())
  })

  it("rejects a call from the approvals list, shows the session's transcript and deletes the session", async () => {
    const { page } = browser
    await startRun("writer", "Shout again", "reject-session")
    await page.locator("[data-testid=run] [data-testid=approval]").waitFor()
    await page.goto(`${server.url}/#/approvals`)
    const form = page.locator("[data-testid=approvals] [data-testid=approval]")
    await form.waitFor()
    await form.locator("[data-testid=edit-text]").fill("{not json either way: a string is taken as typed}")
    await form.locator("[data-testid=reject-reason]").fill("not today")
    await browser.shot("09-approvals-list")
    await form.locator("[data-testid=reject]").click()
    await page.locator("[data-testid=no-approvals]").waitFor()
    await page.goto(`${server.url}/#/sessions/reject-session`)
    await page.locator("[data-testid=message]").first().waitFor()
    const transcript = (await page.locator("[data-testid=transcript]").textContent())!
    assert.include(transcript, "Shout again")
    assert.include(transcript, "rejected by the approver: not today")
    await browser.shot("10-session-transcript")
    // deleting asks first, then the session is gone from the list and from the server
    page.once("dialog", (d) => void d.accept())
    await page.click("[data-testid=delete-session]")
    await page.locator("[data-testid=banner-text]", { hasText: "Session reject-session deleted" }).waitFor()
    await page.locator("[data-testid=sessions] a", { hasText: "approval-session" }).waitFor()
    assert.strictEqual(await page.locator("[data-testid=sessions] a", { hasText: "reject-session" }).count(), 0)
    assert.notInclude(await api<Array<string>>("/v1/sessions"), "reject-session")
  })

  it("left screenshots and no page errors", () => {
    for (const name of ["01-bad-token", "03-run-completed", "05-approval-approved", "06-trace-feedback", "07-run-failed"]) {
      assert.isTrue(fs.statSync(`.tmp/screenshots/${name}.png`).size > 5000, name)
    }
    assert.deepStrictEqual(browser.errors, [])
  })
})
