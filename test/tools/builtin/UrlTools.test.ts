import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as UrlTools from "../../../src/tools/builtin/UrlTools.js"
import { call, refusal, success } from "./support.js"

describe("url tools", () => {
  it.effect("url_parse splits a URL and decodes its query", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(success(yield* call(UrlTools.makeParse(), { url: "https://ex.com:8443/a%20b?q=caf%C3%A9&t=1&t=2#top" })), {
        url: "https://ex.com:8443/a%20b?q=caf%C3%A9&t=1&t=2#top",
        scheme: "https",
        host: "ex.com",
        port: 8443,
        path: "/a%20b",
        query: { q: "café", t: ["1", "2"] },
        fragment: "top"
      })
    }))

  it.effect("url_build encodes each part", () =>
    Effect.gen(function*() {
      const result = success(yield* call(UrlTools.makeBuild(), {
        host: "ex.com",
        path: "search results/é",
        query: { q: "a&b=c", n: 2, exact: true },
        fragment: "x y"
      }))
      assert.strictEqual(result.url, "https://ex.com/search%20results/%C3%A9?q=a%26b%3Dc&n=2&exact=true#x%20y")
      assert.match(refusal(yield* call(UrlTools.makeBuild(), { host: "evil.com/@good.com" })), /^url_build: argument 'host'/)
      assert.match(refusal(yield* call(UrlTools.makeBuild(), { host: "ex.com", scheme: "java script" })), /^url_build: argument 'scheme'/)
    }))

  it.effect("query_param gets, sets and deletes", () =>
    Effect.gen(function*() {
      const tool = UrlTools.makeQueryParam()
      const url = "https://ex.com/?a=1&b=2"
      assert.deepStrictEqual(success(yield* call(tool, { url, key: "a" })), { key: "a", value: "1", found: true })
      assert.deepStrictEqual(success(yield* call(tool, { url, key: "z" })), { key: "z", value: null, found: false })
      assert.strictEqual(success(yield* call(tool, { url, key: "a", action: "set", value: "x y" })).url, "https://ex.com/?a=x+y&b=2")
      assert.strictEqual(success(yield* call(tool, { url, key: "a", action: "delete" })).url, "https://ex.com/?b=2")
      assert.match(refusal(yield* call(tool, { url, key: "a", action: "set" })), /^query_param: argument 'value': is required/)
    }))

  it.effect("host_lookup parses the host without DNS", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(success(yield* call(UrlTools.makeHostLookup(), { url: "https://api.example.co.uk/x" })), {
        host: "api.example.co.uk",
        port: 443,
        https: true,
        tld: "uk"
      })
      assert.strictEqual(success(yield* call(UrlTools.makeHostLookup(), { url: "http://h:8080" })).port, 8080)
    }))

  it.effect("refuses what is not an absolute URL", () =>
    Effect.gen(function*() {
      for (const url of ["example.com", "/relative/path", "", "http://", `https://ex.com/${"a".repeat(9000)}`]) {
        assert.match(refusal(yield* call(UrlTools.makeParse(), { url })), /^url_parse: argument 'url': /, url.slice(0, 20))
      }
    }))
})
