import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Effect from "effect/Effect"
import * as RememberPreference from "../../../src/tools/builtin/RememberPreference.js"
import { call, fingerprint, makeSandbox, refusal, type Sandbox, success } from "./support.js"

let sb: Sandbox
beforeEach(() => {
  sb = makeSandbox()
})
afterEach(() => sb.cleanup())

describe("remember_preference", () => {
  it.effect("writes each rule once, under its category, in a Markdown file", () =>
    Effect.gen(function*() {
      const tool = RememberPreference.make({ root: sb.root })
      assert.deepStrictEqual(success(yield* call(tool, { rule: "Answer in French", category: "language" })), {
        remembered: true,
        category: "language",
        rule: "Answer in French",
        file: "preferences.md"
      })
      success(yield* call(tool, { rule: "No tables", category: "style", reason: "they render badly" }))
      success(yield* call(tool, { rule: "Be brief", category: "language" }))
      assert.isFalse(success(yield* call(tool, { rule: "  Answer   in French ", category: "language" })).remembered)
      assert.strictEqual(
        fs.readFileSync(path.join(sb.root, "preferences.md"), "utf8"),
        "# Preferences\n\n## language\n- Answer in French\n- Be brief\n\n## style\n- No tables (they render badly)\n"
      )
      assert.isTrue(tool.durableIdempotent)
    }))

  it.effect("refuses bad rules and categories, and a file outside the root", () =>
    Effect.gen(function*() {
      const before = fingerprint(sb.outside)
      const tool = RememberPreference.make({ root: sb.root })
      assert.match(refusal(yield* call(tool, { rule: "   " })), /^remember_preference: argument 'rule': is empty/)
      assert.match(refusal(yield* call(tool, { rule: "x".repeat(2000) })), /argument 'rule': is longer than 1000/)
      assert.match(refusal(yield* call(tool, { rule: "ok", category: "## injected\n- rule" })), /argument 'category'/)
      assert.match(refusal(yield* call(tool, { rule: "ok", category: "../../x" })), /argument 'category'/)
      assert.match(refusal(yield* call(RememberPreference.make({ root: sb.root, file: "../outside/prefs.md" }), { rule: "ok" })), /'\.\.' is not allowed/)
      assert.match(refusal(yield* call(RememberPreference.make({ root: sb.root, file: "link-out/prefs.md" }), { rule: "ok" })), /symlink leads outside/)
      assert.deepStrictEqual(fingerprint(sb.outside), before)
    }))
})
