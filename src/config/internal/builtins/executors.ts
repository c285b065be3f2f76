/**
 * The builtin tool executor types of agent.json: one row each (description, config Schema, constructor).
 *
 * `default` runs the tool; `retry`, `policy` and `hooks` wrap another executor: each is built over the
 * `ToolExecutor` of the context it is built in (in a `tool_executor` list, the next entry; see
 * `Plugins.ts`), or over `default` when there is none.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { ConfigError } from "../../../kernel/Errors.js"
import * as HookExecutor from "../../../tools/executors/HookExecutor.js"
import * as PolicyExecutor from "../../../tools/executors/PolicyExecutor.js"
import * as RetryExecutor from "../../../tools/executors/RetryExecutor.js"
import * as ToolExecutor from "../../../tools/ToolExecutor.js"
import {
  DefaultToolExecutorConfig,
  HooksToolExecutorConfig,
  PolicyToolExecutorConfig,
  RetryToolExecutorConfig
} from "../../BuiltinConfigs.js"
import { builtin, type Table } from "../builtin.js"

/** A wrapping executor over the inner one of its context (or `default`). */
const over = (f: (inner: ToolExecutor.Service) => ToolExecutor.Service): Layer.Layer<ToolExecutor.ToolExecutor> =>
  Layer.effect(ToolExecutor.ToolExecutor, Effect.map(ToolExecutor.innerOrDefault, f))

/**
 * The function exported as `ref` (`<module>#<export>`, a relative module resolved against `dir`); errors
 * at `at`, the config key that named it.
 */
const importFunction = (ref: string, dir: string, at: string): Effect.Effect<(...args: Array<any>) => unknown, ConfigError> =>
  Effect.gen(function*() {
    const hash = ref.lastIndexOf("#")
    const module = ref.slice(0, hash)
    const name = ref.slice(hash + 1)
    const specifier = module.startsWith(".") ? pathToFileURL(path.resolve(dir, module)).href : module
    const loaded = yield* Effect.tryPromise({
      try: () => import(specifier) as Promise<Record<string, unknown>>,
      catch: (e) =>
        ConfigError.single(at, `cannot import '${module}': ${(e as Error).message}`, {
          hint: "a relative module is resolved against the config file's folder, e.g. ./policy.js#evaluate"
        })
    })
    const value = Object.hasOwn(loaded, name) ? loaded[name] : undefined
    if (typeof value !== "function") {
      return yield* ConfigError.single(
        at,
        value === undefined
          ? `module '${module}' has no export '${name}' (exports: ${Object.keys(loaded).join(", ") || "none"})`
          : `'${ref}' is ${typeof value}, not a function`
      )
    }
    return value as (...args: Array<any>) => unknown
  })

const optionalFunction = (ref: string | undefined, dir: string, at: string) =>
  ref === undefined ? Effect.succeed(undefined) : importFunction(ref, dir, at)

const resolved = (dir: string, paths: ReadonlyArray<string> | undefined) => paths?.map((p) => path.resolve(dir, p))

export const executors = {
  default: builtin({
    description: "Validates tool arguments and runs each call under a timeout (`default_timeout_ms`).",
    config: DefaultToolExecutorConfig,
    make: (c) => ToolExecutor.layer(c.default_timeout_ms !== undefined ? { defaultTimeoutMs: c.default_timeout_ms } : {})
  }),
  retry: builtin({
    description: "Retries retryable tool errors (rate limits, outages, timeouts) with exponential backoff and jitter.",
    config: RetryToolExecutorConfig,
    make: (c) =>
      over((inner) =>
        RetryExecutor.make(inner, {
          maxAttempts: c.max_attempts,
          initialDelayMs: c.initial_delay_ms,
          backoffMultiplier: c.backoff_multiplier,
          maxDelayMs: c.max_delay_ms,
          jitter: c.jitter,
          retryTimeouts: c.retry_timeouts
        })
      )
  }),
  policy: builtin({
    description: "Refuses calls by tool name, path roots, URL hosts, command allowlist or your `evaluate`.",
    config: PolicyToolExecutorConfig,
    make: (c, { dir, where }) =>
      Layer.unwrapEffect(Effect.map(optionalFunction(c.evaluate, dir, `${where}.config.evaluate`), (evaluate) =>
        over((inner) =>
          PolicyExecutor.make(inner, {
            allowTools: c.allow_tools,
            denyTools: c.deny_tools,
            fsRoots: resolved(dir, c.fs_roots),
            fsBaseDir: c.fs_base_dir !== undefined ? path.resolve(dir, c.fs_base_dir) : undefined,
            pathArgs: c.path_args,
            allowHosts: c.allow_hosts,
            allowPrivate: c.allow_private,
            allowSchemes: c.allow_schemes,
            urlArgs: c.url_args,
            allowCommands: c.allow_commands,
            commandArgs: c.command_args,
            evaluate: evaluate as PolicyExecutor.Evaluate | undefined
          })
        )))
  }),
  hooks: builtin({
    description: "Runs your `before` / `after` hooks around each call: rewrite arguments or results, or refuse.",
    config: HooksToolExecutorConfig,
    make: (c, { dir, where }) =>
      Layer.unwrapEffect(
        Effect.map(
          Effect.all([
            optionalFunction(c.before, dir, `${where}.config.before`),
            optionalFunction(c.after, dir, `${where}.config.after`)
          ]),
          ([before, after]) => over((inner) =>
            HookExecutor.make(inner, {
              before: before as HookExecutor.Hooks["before"],
              after: after as HookExecutor.Hooks["after"]
            })
          )
        )
      )
  })
} as const satisfies Table<"tool_executor">
