/**
 * How the console's files are served: from source (bundled in memory on the first request), from a
 * built package (dist/console, written by scripts/bundle-console.mjs), and, when neither can be had,
 * a 500 that says how to build it. The bundle loads nothing from elsewhere.
 */
import { assert, describe, it } from "@effect/vitest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as esbuild from "esbuild"
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { promisify } from "node:util"
import { pathToFileURL } from "node:url"
import * as Console from "../../src/server/Console.js"

const exec = promisify(execFile)
const REPO = path.resolve(".")

const get = async (serve: typeof Console.serve, p: string) => {
  const answer = await Effect.runPromise(serve(p))
  if (Option.isNone(answer)) return undefined
  const web = HttpServerResponse.toWeb(answer.value)
  return { status: web.status, headers: web.headers, text: await web.text() }
}

/** A package folder holding Console.ts compiled to dist/server/Console.js, and what `files` adds. */
const fakePackage = async (files: Record<string, string>) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "oa-console-pkg-"))
  fs.writeFileSync(path.join(root, "package.json"), JSON.stringify({ name: "openagents", type: "module" }))
  fs.symlinkSync(path.join(REPO, "node_modules"), path.join(root, "node_modules"), "dir")
  await esbuild.build({
    entryPoints: [path.join(REPO, "src/server/Console.ts")],
    outfile: path.join(root, "dist/server/Console.js"),
    bundle: true,
    format: "esm",
    platform: "node",
    packages: "external",
    logLevel: "silent"
  })
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true })
    fs.writeFileSync(path.join(root, name), text)
  }
  const mod = (await import(pathToFileURL(path.join(root, "dist/server/Console.js")).href)) as typeof Console
  return { root, serve: mod.serve }
}

describe("Console.serve", () => {
  it("from source: the page with a strict CSP, the bundled script and the stylesheet; nothing else", async () => {
    const page = await get(Console.serve, "/")
    assert.strictEqual(page?.status, 200)
    assert.include(page!.headers.get("content-type"), "text/html")
    assert.include(page!.text, `<script type="module" src="/console/app.js">`)
    assert.include(page!.headers.get("content-security-policy"), "script-src 'self'")
    assert.deepStrictEqual((await get(Console.serve, "/index.html"))?.text, page!.text)
    const js = await get(Console.serve, "/console/app.js")
    assert.include(js!.headers.get("content-type"), "text/javascript")
    assert.include(js!.text, "/v1/runs")
    // no CDN, no other origin: the only URL in the bundle is the SVG namespace
    assert.deepStrictEqual([...new Set(js!.text.match(/https?:\/\/[^"'`\s)]+/g) ?? [])], ["http://www.w3.org/2000/svg"])
    assert.include((await get(Console.serve, "/console/app.css"))!.headers.get("content-type"), "text/css")
    for (const p of ["/console/nope.js", "/console/", "/v1/agents", "/hasOwnProperty", "/console/../package.json"]) {
      assert.isUndefined(await get(Console.serve, p), p)
    }
  })

  it("from a built package: the files of dist/console, written by scripts/bundle-console.mjs", async () => {
    // the build script runs on the compiled consoleBundle.js, as `npm run build` does after tsc
    const build = fs.mkdtempSync(path.join(os.tmpdir(), "oa-console-build-"))
    try {
      fs.cpSync(path.join(REPO, "src/server/console"), path.join(build, "src/server/console"), { recursive: true })
      fs.cpSync(path.join(REPO, "scripts/bundle-console.mjs"), path.join(build, "scripts/bundle-console.mjs"))
      fs.symlinkSync(path.join(REPO, "node_modules"), path.join(build, "node_modules"), "dir")
      await esbuild.build({
        entryPoints: [path.join(REPO, "src/server/internal/consoleBundle.ts")],
        outfile: path.join(build, "dist/server/internal/consoleBundle.js"),
        format: "esm",
        platform: "node",
        logLevel: "silent"
      })
      await exec(process.execPath, ["scripts/bundle-console.mjs"], { cwd: build })
      const built = Object.fromEntries(["index.html", "app.js", "app.css"].map((f) => [f, fs.readFileSync(path.join(build, "dist/console", f), "utf8")]))
      assert.include(built["app.js"], "/v1/runs")

      const pkg = await fakePackage({
        "dist/console/index.html": built["index.html"]!,
        "dist/console/app.js": built["app.js"] + "\n//built",
        "dist/console/app.css": built["app.css"]!
      })
      try {
        assert.isTrue((await get(pkg.serve, "/console/app.js"))!.text.endsWith("//built"))
        assert.strictEqual((await get(pkg.serve, "/"))!.text, built["index.html"])
      } finally {
        fs.rmSync(pkg.root, { recursive: true, force: true })
      }
    } finally {
      fs.rmSync(build, { recursive: true, force: true })
    }
  })

  it("neither built nor buildable: a 500 that says to build it", async () => {
    const pkg = await fakePackage({})
    try {
      const answer = await get(pkg.serve, "/")
      assert.strictEqual(answer?.status, 500)
      assert.include(answer!.text, "npm run build")
    } finally {
      fs.rmSync(pkg.root, { recursive: true, force: true })
    }
  })
})
