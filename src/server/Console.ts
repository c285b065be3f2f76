/**
 * The web console's static files, served by `openagents serve` at `/` (see docs/console.md): the page
 * at `/` and `/index.html`, its script and stylesheet at `/console/app.js` and `/console/app.css`.
 * A built package serves the files `npm run build` wrote to dist/console; run from source (tsx,
 * vitest), the console is bundled from src/server/console with esbuild on the first request, in
 * memory, so what is served is never a stale build. Nothing is fetched from elsewhere: the page's
 * Content-Security-Policy allows only its own origin.
 *
 * @since 0.4.0
 */
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { packageRoot } from "../internal/packageRoot.js"
import { bundle, type ConsoleFiles, readBuilt, sourceDir } from "./internal/consoleBundle.js"

/** Whether this module runs from its TypeScript source (tsx, vitest) rather than from dist/. */
const fromSource = (): boolean => fileURLToPath(import.meta.url).endsWith(".ts")

const load: Effect.Effect<ConsoleFiles, Error> = Effect.suspend(() => {
  const root = packageRoot()
  if (!fromSource() || !existsSync(sourceDir(root))) {
    const built = readBuilt(root)
    if (built) return Effect.succeed(built)
  }
  return Effect.tryPromise({
    try: () => bundle(root),
    catch: (e) => new Error(`The console is not built and cannot be bundled (${e instanceof Error ? e.message : String(e)}): run \`npm run build\``)
  })
})

// built once per process, on the first request; a failed build is tried again on the next one
const [cachedFiles, invalidate] = Effect.runSync(Effect.cachedInvalidateWithTTL(load, Infinity))
const files = cachedFiles.pipe(Effect.tapError(() => invalidate))

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

const ASSETS: Readonly<Record<string, readonly [keyof ConsoleFiles, string]>> = {
  "/": ["index.html", "text/html; charset=utf-8"],
  "/index.html": ["index.html", "text/html; charset=utf-8"],
  "/console/app.js": ["app.js", "text/javascript; charset=utf-8"],
  "/console/app.css": ["app.css", "text/css; charset=utf-8"]
}

/**
 * The response for a GET of `path` when it is one of the console's files (`/`, `/index.html` and
 * `/console/...`), else none (the server answers 404). When the console can be neither read nor
 * built, the answer is a 500 that says how to build it.
 *
 * @since 0.4.0
 * @category handlers
 */
export const serve = (path: string): Effect.Effect<Option.Option<HttpServerResponse.HttpServerResponse>> => {
  const asset = Object.hasOwn(ASSETS, path) ? ASSETS[path] : undefined
  if (asset === undefined) return Effect.succeed(Option.none())
  const [name, contentType] = asset
  return files.pipe(
    Effect.map((f) =>
      Option.some(HttpServerResponse.text(f[name], {
        contentType,
        headers: {
          "cache-control": "no-cache",
          "x-content-type-options": "nosniff",
          ...(name === "index.html" ? { "content-security-policy": CSP, "referrer-policy": "no-referrer" } : {})
        }
      }))
    ),
    Effect.catchAll((e) => Effect.succeed(Option.some(HttpServerResponse.text(e.message, { status: 500 }))))
  )
}
