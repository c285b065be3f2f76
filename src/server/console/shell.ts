/**
 * What every view shares: the API client, the banner that reports errors (a refused token says so and
 * points at the token field), and navigation.
 */
import { ApiError, type Api } from "./api.js"
import { h, mount } from "./dom.js"

/** The services a view gets. */
export interface Shell {
  readonly api: Api
  /** Shows an error (or clears the banner with `undefined`). */
  readonly report: (error: unknown) => void
  /** Shows a short success message. */
  readonly notice: (text: string) => void
  readonly navigate: (hash: string) => void
  /** Clears the banner on a change of page, except a notice given just before it (as after a delete). */
  readonly pageChanged: () => void
}

/** The shell over the page's banner element. */
export const makeShell = (api: Api, banner: HTMLElement, tokenInput: HTMLInputElement): Shell => {
  let keepNotice = false
  return {
    api,
    report: (error) => {
      keepNotice = false
      if (error === undefined) return mount(banner)
      if (error instanceof DOMException && error.name === "AbortError") return
      const message = error instanceof Error ? error.message : String(error)
      const unauthorized = error instanceof ApiError && error.unauthorized
      banner.className = unauthorized ? "banner error auth" : "banner error"
      mount(banner, h("span", { "data-testid": "banner-text" }, message))
      if (unauthorized) tokenInput.focus()
    },
    notice: (text) => {
      keepNotice = true
      banner.className = "banner ok"
      mount(banner, h("span", { "data-testid": "banner-text" }, text))
    },
    navigate: (hash) => {
      location.hash = hash
    },
    pageChanged: () => {
      if (!keepNotice) mount(banner)
      keepNotice = false
    }
  }
}

/** Runs an async action, reporting its failure in the banner. */
export const guard = (shell: Shell, action: () => Promise<void>): Promise<void> =>
  action().then(() => undefined, (e: unknown) => shell.report(e))
