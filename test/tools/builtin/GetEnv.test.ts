import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as GetEnv from "../../../src/tools/builtin/GetEnv.js"
import { call, refusal, success } from "./support.js"

describe("get_env", () => {
  const env = { HOME: "/home/me", LANG: "fr_FR.UTF-8", OPENAI_API_KEY: "sk-secret" }
  const tool = GetEnv.make({ allowedKeys: ["HOME", "LANG", "TZ"], env })

  it.effect("reads an allowed variable, with a default when it is not set", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(success(yield* call(tool, { key: "HOME" })), { key: "HOME", value: "/home/me", found: true })
      assert.deepStrictEqual(success(yield* call(tool, { key: "TZ", default: "UTC" })), { key: "TZ", value: "UTC", found: false })
      assert.deepStrictEqual(success(yield* call(tool, { key: "TZ" })), { key: "TZ", value: null, found: false })
      assert.isTrue(tool.durableIdempotent)
    }))

  it.effect("refuses any other name, whatever its spelling", () =>
    Effect.gen(function*() {
      for (const key of ["OPENAI_API_KEY", "home", "HOME ", "PATH", "__proto__", "constructor", ""]) {
        assert.match(refusal(yield* call(tool, { key })), /^get_env: argument 'key': .* is not an allowed variable \(allowed: HOME, LANG, TZ\)$/, key)
      }
      assert.match(refusal(yield* call(tool, { key: 1 })), /Expected string/)
    }))

  it("needs at least one allowed key", () => {
    assert.throws(() => GetEnv.make({ allowedKeys: [] }), /at least one allowed key/)
  })
})
