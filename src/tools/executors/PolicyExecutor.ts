/**
 * A tool executor that refuses calls before they run: tools allowed and denied by name, filesystem
 * roots for path arguments, a host allowlist for URL arguments, a program allowlist for command
 * arguments, and your own `evaluate`. A refused call fails with `ToolPolicyDenied` (not retryable),
 * which names the rule, and goes back to the model as a tool error; the run goes on.
 *
 * The rules, in the order they are checked (the first refusal wins):
 *
 * - `denyTools` / `allowTools`: globs (`*`, `?`) over the tool name the model called; deny wins, and with
 *   `allowTools` set a tool must match one of them.
 * - `fsRoots`: every argument whose key is one of `pathArgs` (at any depth; a string or an array of
 *   strings) must resolve inside a root (see `internal/fsRoots.ts`: `..`, `~` and symlink escapes are
 *   refused).
 * - `allowHosts`, `allowPrivate`, `allowSchemes` (any of them, or `urlArgs`, turns the rule on; without
 *   `allowHosts` any public host is allowed): every argument whose key is one of `urlArgs`, and
 *   every other string that is a whole `scheme://...` URL, must use an allowed scheme and host, and not
 *   point at a private, loopback or link-local address unless `allowPrivate`.
 * - `allowCommands`: every argument whose key is one of `commandArgs` (a command line or an argv array)
 *   must start with a listed program and hold no shell metacharacter.
 * - `evaluate`: your function, last; it sees the call and says yes or no (a failure of it refuses).
 *
 * A rule whose option is absent is off: `{}` allows every call.
 *
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Layer from "effect/Layer"
import * as path from "node:path"
import { type ToolError, ToolPolicyDenied } from "../../kernel/Errors.js"
import type { ToolCallPart } from "../../kernel/Transcript.js"
import type { Tool, ToolContext } from "../Tool.js"
import type * as Toolkit from "../Toolkit.js"
import * as ToolExecutor from "../ToolExecutor.js"
import * as Args from "./internal/args.js"
import * as Commands from "./internal/commands.js"
import * as Foreign from "./internal/foreign.js"
import * as FsRoots from "./internal/fsRoots.js"
import * as Glob from "./internal/glob.js"
import * as Network from "./internal/network.js"

/**
 * What `evaluate` sees of a call.
 *
 * @since 0.2.0
 * @category models
 */
export interface PolicyRequest {
  readonly toolName: string
  /** The arguments as the model sent them (after any rewriting by an outer hook executor). */
  readonly arguments: unknown
  readonly callId: string
  readonly runId: string
  readonly sessionId: string
  readonly agentId: string
}

/**
 * What `evaluate` answers: allowed, or refused with a reason (and the rule's name, default `evaluate`).
 * `true`, `undefined` (abstain) and `{ allowed: true }` allow; `false` refuses.
 *
 * @since 0.2.0
 * @category models
 */
export type PolicyDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly reason: string; readonly rule?: string | undefined }
  | boolean
  | undefined
  | void

/**
 * A custom rule. It may return a decision, a Promise of one or an Effect of one; throwing or failing
 * refuses the call (a broken policy fails closed).
 *
 * @since 0.2.0
 * @category models
 */
export type Evaluate = (
  request: PolicyRequest
) => PolicyDecision | PromiseLike<PolicyDecision> | Effect.Effect<PolicyDecision, unknown>

/**
 * The argument keys treated as paths when `pathArgs` is not given.
 *
 * @since 0.2.0
 * @category constants
 */
export const defaultPathArgs: ReadonlyArray<string> = [
  "path", "paths", "file", "files", "file_path", "filepath", "filename", "file_name",
  "dir", "directory", "dir_path", "folder", "cwd", "root", "working_dir", "workdir"
]

/**
 * The argument keys treated as URLs when `urlArgs` is not given.
 *
 * @since 0.2.0
 * @category constants
 */
export const defaultUrlArgs: ReadonlyArray<string> = ["url", "urls", "uri", "endpoint", "base_url", "href"]

/**
 * The argument keys treated as commands when `commandArgs` is not given.
 *
 * @since 0.2.0
 * @category constants
 */
export const defaultCommandArgs: ReadonlyArray<string> = ["command", "cmd", "argv", "shell_command", "program", "executable"]

/**
 * Options of the policy executor (each rule is off while its option is absent).
 *
 * @since 0.2.0
 * @category models
 */
export interface Options {
  readonly allowTools?: ReadonlyArray<string> | undefined
  readonly denyTools?: ReadonlyArray<string> | undefined
  /** Folders path arguments must stay in (relative ones resolved against `fsBaseDir`). */
  readonly fsRoots?: ReadonlyArray<string> | undefined
  /** What relative path arguments are resolved against (default: the process's working directory, as `node:fs` does). */
  readonly fsBaseDir?: string | undefined
  readonly pathArgs?: ReadonlyArray<string> | undefined
  /** Host globs (`api.example.com`, `*.wikipedia.org`); absent: any public host. Turns the network rule on. */
  readonly allowHosts?: ReadonlyArray<string> | undefined
  /** Allow private, loopback and link-local addresses (default false). Setting it turns the network rule on. */
  readonly allowPrivate?: boolean | undefined
  /** Default `["http", "https"]`. */
  readonly allowSchemes?: ReadonlyArray<string> | undefined
  readonly urlArgs?: ReadonlyArray<string> | undefined
  /** Programs a command argument may run, by bare name (`ls`, `git`). */
  readonly allowCommands?: ReadonlyArray<string> | undefined
  readonly commandArgs?: ReadonlyArray<string> | undefined
  readonly evaluate?: Evaluate | undefined
}

type Refusal = { readonly rule: string; readonly reason: string }

const checkName = (options: Options, name: string): Refusal | undefined => {
  const denied = options.denyTools && Glob.firstMatch(options.denyTools, name)
  if (denied !== undefined) return { rule: "deny_tools", reason: `tool '${name}' matches '${denied}' in deny_tools` }
  if (options.allowTools && Glob.firstMatch(options.allowTools, name) === undefined) {
    return { rule: "allow_tools", reason: `tool '${name}' is not in allow_tools [${options.allowTools.join(", ")}]` }
  }
  return undefined
}

const sameJson = (a: unknown, b: unknown): boolean => {
  try {
    return JSON.stringify(a) === JSON.stringify(b)
  } catch {
    return false // BigInt and the like: judge both
  }
}

/**
 * The arguments as sent and, when the tool's schema transforms them (trims, parses, defaults), as the
 * tool will get them: both are judged, so a transformation cannot turn an allowed value into a refused one.
 */
const walkBoth = (args: unknown, tool: Tool | undefined): Args.Walked => {
  const raw = Args.walk(args)
  if (tool === undefined) return raw
  const decoded = tool.decode(args)
  if (Either.isLeft(decoded) || sameJson(decoded.right, args)) return raw
  const typed = Args.walk(decoded.right)
  return { entries: [...raw.entries, ...typed.entries], strings: [...raw.strings, ...typed.strings] }
}

const decisionOf = (decision: PolicyDecision): Refusal | undefined => {
  if (decision === undefined || decision === true) return undefined
  if (decision === false) return { rule: "evaluate", reason: "refused by the custom policy" }
  if (typeof decision === "object" && decision !== null && decision.allowed === true) return undefined
  if (typeof decision === "object" && decision !== null && decision.allowed === false) {
    return { rule: decision.rule ?? "evaluate", reason: String(decision.reason) }
  }
  return { rule: "evaluate", reason: `the custom policy answered ${JSON.stringify(decision)}, not a decision` }
}

/**
 * Checks a call against `options`: `undefined` when it is allowed, the refusal otherwise.
 *
 * @since 0.2.0
 * @category policy
 */
export const evaluate = (
  options: Options,
  call: ToolCallPart,
  context: ToolContext,
  toolkit?: Toolkit.Service
): Effect.Effect<ToolPolicyDenied | undefined> =>
  Effect.gen(function*() {
    const deny = (r: Refusal) => new ToolPolicyDenied({ toolName: call.name, rule: r.rule, reason: r.reason })
    const named = checkName(options, call.name)
    if (named) return deny(named)
    const args = call.arguments ?? {}
    const networkOn = options.allowHosts !== undefined || options.allowPrivate !== undefined ||
      options.allowSchemes !== undefined || options.urlArgs !== undefined
    const needsWalk = options.fsRoots !== undefined || networkOn || options.allowCommands !== undefined
    const walked = needsWalk ? walkBoth(args, toolkit?.tools.get(call.name)) : { entries: [], strings: [] }
    if (options.fsRoots !== undefined) {
      const base = path.resolve(options.fsBaseDir ?? process.cwd())
      const roots = options.fsRoots.map((r) => path.resolve(base, r))
      const keys = new Set(options.pathArgs ?? defaultPathArgs)
      for (const entry of walked.entries) {
        if (!keys.has(entry.key)) continue
        for (const value of Args.stringsOf(entry.value)) {
          const reason = yield* FsRoots.check(entry.key, value, roots, base)
          if (reason !== undefined) return deny({ rule: "fs_roots", reason })
        }
      }
    }
    if (networkOn) {
      const network = {
        allowHosts: options.allowHosts?.map((h) => h.toLowerCase()),
        allowPrivate: options.allowPrivate ?? false,
        allowSchemes: (options.allowSchemes ?? ["http", "https"]).map((s) => s.toLowerCase())
      }
      const keys = new Set(options.urlArgs ?? defaultUrlArgs)
      const named = new Set<string>()
      for (const entry of walked.entries) {
        if (!keys.has(entry.key)) continue
        for (const value of Args.stringsOf(entry.value)) {
          named.add(value)
          const refused = Network.check(entry.key, value, network)
          if (refused) return deny(refused)
        }
      }
      for (const leaf of walked.strings) {
        if (named.has(leaf.value) || !Network.looksLikeUrl(leaf.value)) continue
        const refused = Network.check(leaf.at || "argument", leaf.value, network)
        if (refused) return deny(refused)
      }
    }
    if (options.allowCommands !== undefined) {
      const keys = new Set(options.commandArgs ?? defaultCommandArgs)
      for (const entry of walked.entries) {
        if (!keys.has(entry.key)) continue
        const reason = Commands.check(entry.key, entry.value, options.allowCommands)
        if (reason !== undefined) return deny({ rule: "allow_commands", reason })
      }
    }
    if (options.evaluate !== undefined) {
      const request: PolicyRequest = {
        toolName: call.name,
        arguments: args,
        callId: call.id,
        runId: context.runId,
        sessionId: context.sessionId,
        agentId: context.agentId
      }
      const decided = yield* Effect.either(Foreign.call<PolicyDecision>(() => options.evaluate!(request)))
      const refused = decided._tag === "Left"
        ? { rule: "evaluate", reason: `the custom policy failed: ${Foreign.messageOf(decided.left)}` }
        : decisionOf(decided.right)
      if (refused) return deny(refused)
    }
    return undefined
  })

/**
 * The policy executor over `inner`: a call it allows goes to `inner` unchanged.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (inner: ToolExecutor.Service, options: Options): ToolExecutor.Service =>
  ToolExecutor.ToolExecutor.of({
    execute: (call, toolkit, context) =>
      Effect.flatMap(
        evaluate(options, call, context, toolkit),
        (denied): Effect.Effect<unknown, ToolError> => denied ? Effect.fail(denied) : inner.execute(call, toolkit, context)
      )
  })

/**
 * The policy executor as a Layer over the `ToolExecutor` it is given (see `ToolExecutor.wrap`).
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<ToolExecutor.ToolExecutor, never, ToolExecutor.ToolExecutor> =>
  ToolExecutor.wrap((inner) => make(inner, options))
