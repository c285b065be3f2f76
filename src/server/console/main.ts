/**
 * The console's entry point: the token field, the navigation and the hash routes
 * (`#/` agents and runs, `#/approvals`, `#/sessions[/id]`, `#/traces[/id]`).
 */
import { makeApi } from "./api.js"
import { h, mount } from "./dom.js"
import { approvalsPage, sessionsPage } from "./listPages.js"
import { runPage } from "./runPage.js"
import { makeShell } from "./shell.js"
import { tracePage, tracesPage } from "./tracesPage.js"

const api = makeApi(sessionStorage)
const banner = h("div", { class: "banner", "data-testid": "banner", role: "status" })
const token = h("input", { type: "password", placeholder: "API token", "data-testid": "token", "aria-label": "API token", autocomplete: "off" })
token.value = api.token() ?? ""
const view = h("main", { "data-testid": "view" })
const links = [["#/", "Agents & runs"], ["#/approvals", "Approvals"], ["#/sessions", "Sessions"], ["#/traces", "Traces"]] as const
const nav = h("nav", {}, links.map(([href, text]) => h("a", { href, "data-nav": href }, text)))
const shell = makeShell(api, banner, token)

const route = (): void => {
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent)
  const [page = "", id] = parts
  nav.querySelectorAll("a").forEach((a) => a.classList.toggle("active", a.getAttribute("data-nav") === `#/${page}`))
  shell.pageChanged()
  if (page === "approvals") approvalsPage(shell, view)
  else if (page === "sessions") sessionsPage(shell, view, id)
  else if (page === "traces" && id) tracePage(shell, view, id)
  else if (page === "traces") tracesPage(shell, view)
  else runPage(shell, view, page === "agents" ? id : undefined)
}

const tokenForm = h("form", { class: "token" }, token, h("button", { type: "submit", "data-testid": "save-token" }, "Use token"))
tokenForm.addEventListener("submit", (e) => {
  e.preventDefault()
  api.setToken(token.value.trim())
  route()
})

mount(document.body, h("header", {}, h("h1", {}, "openagents"), nav, tokenForm), banner, view)
window.addEventListener("hashchange", route)
route()
