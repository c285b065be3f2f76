/**
 * Hostile arguments a model may send to the builtin tools, each with what its refusal must say. Shared by
 * the per-tool tests (each call straight through the executor) and the agent-run test (the same calls
 * made by a scripted model in a real run).
 */
import * as path from "node:path"
import type { Hostile, Sandbox } from "./support.js"

const OUTSIDE = /outside the root|symlink|'\.\.' is not allowed/
const TRAVERSAL = /'\.\.' is not allowed/

/** Hostile calls of the file tools (tools named read_file, write_file, list_files, delete_file, grep_files). */
export const fileHostile = (sb: Sandbox): ReadonlyArray<Hostile> => {
  const h = (tool: string, label: string, args: unknown, expect: RegExp): Hostile => ({ tool, label, args, expect })
  const absOutside = path.join(sb.outside, "secret.txt")
  return [
    // read_file
    h("read_file", "parent traversal", { path: "../outside/secret.txt" }, TRAVERSAL),
    h("read_file", "deep traversal", { path: "../../../../etc/passwd" }, TRAVERSAL),
    h("read_file", "traversal inside a path", { path: "dir/../../outside/secret.txt" }, TRAVERSAL),
    h("read_file", "harmless-looking traversal", { path: "dir/sub/../../notes.txt" }, TRAVERSAL),
    h("read_file", "bare ..", { path: ".." }, TRAVERSAL),
    h("read_file", "./..", { path: "./../x" }, TRAVERSAL),
    h("read_file", "backslash traversal", { path: "dir\\..\\..\\outside\\secret.txt" }, TRAVERSAL),
    h("read_file", "absolute /etc/passwd", { path: "/etc/passwd" }, /an absolute path outside the root/),
    h("read_file", "absolute path of the secret", { path: absOutside }, /an absolute path outside the root/),
    h("read_file", "absolute /proc/self/environ", { path: "/proc/self/environ" }, /outside the root/),
    h("read_file", "absolute /dev/zero", { path: "/dev/zero" }, /outside the root/),
    h("read_file", "through a folder symlink", { path: "link-out/secret.txt" }, /a symlink leads outside the root/),
    h("read_file", "a file symlink", { path: "file-link" }, /a symlink leads outside the root/),
    h("read_file", "a dangling symlink", { path: "dangling" }, /symlink/),
    h("read_file", "the folder symlink itself", { path: "link-out" }, /a symlink leads outside the root/),
    h("read_file", "NUL byte", { path: "notes.txt\u0000.png" }, /NUL/),
    h("read_file", "empty path", { path: "" }, /empty/),
    h("read_file", "very long path", { path: "a/".repeat(3000) }, /longer than 4096/),
    h("read_file", "a folder", { path: "dir" }, /is a directory/),
    h("read_file", "a missing file", { path: "nope.txt" }, /does not exist/),
    h("read_file", "the ledger folder", { path: ".openagents/append-ledger.jsonl" }, /reserved/),
    h("read_file", "path is a number", { path: 42 }, /Expected string/),
    h("read_file", "path is null", { path: null }, /Expected string/),
    h("read_file", "path missing", {}, /path.*is missing|is missing/),
    h("read_file", "path is an array", { path: ["notes.txt"] }, /Expected string/),
    h("read_file", "an extra key", { path: "notes.txt", follow: true }, /follow.*is unexpected|is unexpected/),
    h("read_file", "arguments are a string", "notes.txt", /Expected/),
    // write_file
    h("write_file", "parent traversal", { path: "../escape.txt", content: "x" }, TRAVERSAL),
    h("write_file", "traversal via new folder", { path: "newdir/../../escape.txt", content: "x" }, TRAVERSAL),
    h("write_file", "absolute /tmp", { path: path.join(sb.base, "escape.txt"), content: "x" }, /outside the root/),
    h("write_file", "absolute outside file", { path: absOutside, content: "pwned" }, /outside the root/),
    h("write_file", "into a folder symlink", { path: "link-out/new.txt", content: "x" }, /symlink leads outside/),
    h("write_file", "into a deep folder symlink", { path: "link-out/a/b/c.txt", content: "x" }, /symlink leads outside/),
    h("write_file", "over a file symlink", { path: "file-link", content: "pwned" }, /symlink leads outside/),
    h("write_file", "append through a file symlink", { path: "file-link", content: "pwned", mode: "a" }, /symlink leads outside/),
    h("write_file", "through a dangling symlink", { path: "dangling", content: "x" }, /symlink whose target does not exist/),
    h("write_file", "into the ledger", { path: ".openagents/append-ledger.jsonl", content: "{}", mode: "a" }, /reserved/),
    h("write_file", "over a folder", { path: "dir", content: "x" }, /is a directory/),
    h("write_file", "oversized content", { path: "big.txt", content: "x".repeat(70_000) }, /more than the 65536 bytes/),
    h("write_file", "oversized multibyte content", { path: "big.txt", content: "€".repeat(30_000) }, /90000 bytes/),
    h("write_file", "unknown mode", { path: "a.txt", content: "x", mode: "x" }, /mode/),
    h("write_file", "content is a number", { path: "a.txt", content: 5 }, /Expected string/),
    h("write_file", "content missing", { path: "a.txt" }, /content/),
    h("write_file", "NUL in the path", { path: "a\u0000b", content: "x" }, /NUL/),
    // list_files
    h("list_files", "parent", { path: ".." }, TRAVERSAL),
    h("list_files", "root of the disk", { path: "/" }, /outside the root/),
    h("list_files", "the outside folder", { path: sb.outside }, /outside the root/),
    h("list_files", "a folder symlink", { path: "link-out" }, /symlink leads outside/),
    h("list_files", "an unclosed glob", { path: ".", pattern: "[abc" }, /not a valid glob/),
    h("list_files", "a huge glob", { pattern: "*".repeat(600) }, /longer than 500/),
    h("list_files", "recursive is a string", { recursive: "yes" }, /Expected boolean/),
    // delete_file
    h("delete_file", "the root", { path: "." }, /the root itself/),
    h("delete_file", "the root by its absolute path", { path: sb.root }, /the root itself/),
    h("delete_file", "parent", { path: ".." }, TRAVERSAL),
    h("delete_file", "absolute outside", { path: absOutside }, /outside the root/),
    h("delete_file", "through a folder symlink", { path: "link-out/secret.txt" }, /symlink leads outside/),
    h("delete_file", "a non-empty folder without recursive", { path: "dir" }, /pass recursive: true/),
    h("delete_file", "the ledger folder", { path: ".openagents" }, /reserved/),
    h("delete_file", "a missing file", { path: "ghost.txt" }, /does not exist/),
    // grep_files
    h("grep_files", "an invalid regex", { pattern: "(" }, /not a valid regular expression/),
    h("grep_files", "a huge regex", { pattern: "a".repeat(2000) }, /longer than 1000/),
    h("grep_files", "parent", { pattern: "SECRET", path: "../outside" }, TRAVERSAL),
    h("grep_files", "absolute outside", { pattern: "SECRET", path: sb.outside }, /outside the root/),
    h("grep_files", "through a folder symlink", { pattern: "SECRET", path: "link-out" }, OUTSIDE),
    h("grep_files", "pattern is a number", { pattern: 1 }, /Expected string/),
    h("grep_files", "catastrophic backtracking (a+)+", { pattern: "(a+)+$" }, /quantifies a group that holds a quantifier/),
    h("grep_files", "catastrophic backtracking (\\w*)*", { pattern: "^(\\w*)*!" }, /quantifies a group/),
    h("grep_files", "catastrophic backtracking nested groups", { pattern: "((ab)+c)*d" }, /quantifies a group/),
    h("grep_files", "catastrophic backtracking with a range", { pattern: "(x+){2,}y" }, /quantifies a group/)
  ]
}

/** Hostile calls of `shell_exec` (allowed: echo, cat, sh in the tests). */
export const shellHostile = (sb: Sandbox): ReadonlyArray<Hostile> => {
  const h = (label: string, args: unknown, expect: RegExp): Hostile => ({ tool: "shell_exec", label, args, expect })
  return [
    h("a command not allowed", { command: "rm", args: ["-rf", "/"] }, /"rm" is not an allowed command/),
    h("a shell line as the command", { command: "echo hi; rm -rf /" }, /not an allowed command/),
    h("an allowed name with a path", { command: "/bin/echo" }, /not an allowed command/),
    h("a relative path to an allowed name", { command: "./echo" }, /not an allowed command/),
    h("bash", { command: "bash", args: ["-c", "id"] }, /not an allowed command/),
    h("env", { command: "env" }, /not an allowed command/),
    h("command with a NUL", { command: "echo\u0000" }, /not an allowed command/),
    h("an empty command", { command: "" }, /not an allowed command/),
    h("cwd outside", { command: "echo", cwd: "../outside" }, TRAVERSAL),
    h("cwd absolute outside", { command: "echo", cwd: sb.outside }, /outside the root/),
    h("cwd through a symlink", { command: "echo", cwd: "link-out" }, /symlink leads outside/),
    h("a NUL in an argument", { command: "echo", args: ["a\u0000b"] }, /args\[0\].*NUL/),
    h("a huge argument", { command: "echo", args: ["x".repeat(70_000)] }, /longer than 65536 bytes/),
    h("too many arguments", { command: "echo", args: Array.from({ length: 1001 }, () => "x") }, /more than 1000/),
    h("args is a string", { command: "echo", args: "hello; id" }, /Expected (ReadonlyArray|array)/i),
    h("an argument that is a number", { command: "echo", args: [1] }, /Expected string/),
    h("a negative timeout", { command: "echo", timeout_ms: -1 }, /positive number/),
    h("an env the model sets", { command: "echo", env: { LD_PRELOAD: "/tmp/x.so" } }, /is unexpected/)
  ]
}

/** Hostile calls of `http_request` (no allowlist, private addresses refused); `port` is the test server's. */
export const httpHostile = (port: number): ReadonlyArray<Hostile> => {
  const h = (label: string, args: unknown, expect: RegExp): Hostile => ({ tool: "http_request", label, args, expect })
  const PRIVATE = /address: private, loopback and link-local addresses are refused/
  return [
    h("127.0.0.1", { url: `http://127.0.0.1:${port}/` }, /loopback address/),
    h("localhost", { url: `http://localhost:${port}/` }, /resolves to .*loopback/),
    h("127.1.2.3", { url: `http://127.1.2.3:${port}/` }, PRIVATE),
    h("0.0.0.0", { url: `http://0.0.0.0:${port}/` }, PRIVATE),
    h("10.0.0.1", { url: "http://10.0.0.1/" }, /private address/),
    h("172.16.5.4", { url: "http://172.16.5.4/" }, /private address/),
    h("192.168.1.1", { url: "http://192.168.1.1/admin" }, /private address/),
    h("169.254.169.254 (cloud metadata)", { url: "http://169.254.169.254/latest/meta-data/" }, /link-local address/),
    h("100.64.0.1 (CGNAT)", { url: "http://100.64.0.1/" }, PRIVATE),
    h("[::1]", { url: `http://[::1]:${port}/` }, /loopback address/),
    h("[::]", { url: `http://[::]:${port}/` }, PRIVATE),
    h("[fe80::1]", { url: "http://[fe80::1]/" }, /link-local/),
    h("[fd00::1]", { url: "http://[fd00::1]/" }, /unique local/),
    h("IPv4-mapped [::ffff:127.0.0.1]", { url: `http://[::ffff:127.0.0.1]:${port}/` }, /loopback/),
    h("IPv4-mapped hex [::ffff:7f00:1]", { url: `http://[::ffff:7f00:1]:${port}/` }, /loopback/),
    h("IPv4-mapped 169.254", { url: "http://[::ffff:169.254.169.254]/" }, /link-local/),
    h("NAT64 of 10.0.0.1", { url: "http://[64:ff9b::a00:1]/" }, /private address/),
    h("decimal 2130706433", { url: `http://2130706433:${port}/` }, /127\.0\.0\.1.*loopback/),
    h("hex 0x7f000001", { url: `http://0x7f000001:${port}/` }, /loopback/),
    h("octal 0177.0.0.1", { url: `http://0177.0.0.1:${port}/` }, /loopback/),
    h("short 127.1", { url: `http://127.1:${port}/` }, /loopback/),
    h("decimal 167772161 (10.0.0.1)", { url: "http://167772161/" }, /private address/),
    h("file://", { url: "file:///etc/passwd" }, /only http and https/),
    h("ftp://", { url: "ftp://example.com/" }, /only http and https/),
    h("javascript:", { url: "javascript:alert(1)" }, /only http and https/),
    h("gopher:", { url: "gopher://127.0.0.1:6379/_FLUSHALL" }, /only http and https/),
    h("not a URL", { url: "not a url" }, /not a valid URL/),
    h("credentials in the URL", { url: `http://admin:pw@127.0.0.1:${port}/` }, /credentials/),
    h("a method not allowed", { url: "http://example.com/", method: "DELETE" }, /DELETE is not allowed/),
    h("an unknown method", { url: "http://example.com/", method: "TRACE" }, /method/),
    h("a Host header", { url: "http://example.com/", headers: { Host: "127.0.0.1" } }, /"Host" is set by the tool/),
    h("header injection", { url: "http://example.com/", headers: { "X-A": "1\r\nX-B: 2" } }, /not a valid header/),
    h("a body on GET", { url: "http://example.com/", body: "x" }, /a GET request has no body/),
    h("a url that is a number", { url: 127001 }, /Expected string/),
    h("a huge url", { url: `http://example.com/${"a".repeat(9000)}` }, /longer than 8192/)
  ]
}
