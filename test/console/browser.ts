/**
 * Chromium for the console's tests: Debian's /usr/bin/chromium driven by playwright-core, headless,
 * with a fresh profile that is removed afterwards, and screenshots saved under .tmp/screenshots/.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { type BrowserContext, chromium, type Page } from "playwright-core"

export const SCREENSHOTS = path.resolve(".tmp", "screenshots")

export interface Browser {
  readonly context: BrowserContext
  readonly page: Page
  /** Errors the page threw or logged (a refused request's log line excepted). */
  readonly errors: Array<string>
  readonly shot: (name: string) => Promise<string>
  readonly close: () => Promise<void>
}

export const launch = async (): Promise<Browser> => {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "oa-console-chromium-"))
  fs.mkdirSync(SCREENSHOTS, { recursive: true })
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 1280, height: 860 }
  })
  const page = context.pages()[0] ?? (await context.newPage())
  page.setDefaultTimeout(30_000)
  const errors: Array<string> = []
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`))
  page.on("console", (m) => {
    if (m.type() === "error" && !/Failed to load resource: the server responded with a status of (401|404)/.test(m.text())) {
      errors.push(`console: ${m.text()}`)
    }
  })
  return {
    context,
    page,
    errors,
    shot: async (name) => {
      const file = path.join(SCREENSHOTS, `${name}.png`)
      await page.screenshot({ path: file, fullPage: true })
      return file
    },
    close: async () => {
      await context.close()
      fs.rmSync(profile, { recursive: true, force: true })
    }
  }
}
