/**
 * The Schemas of the `config` objects of the tool executors that wrap another (`retry`, `policy`,
 * `hooks`), re-exported by `BuiltinConfigs.ts`.
 *
 * @since 0.2.0
 */
import * as Schema from "effect/Schema"
import { NonEmptyString, NonNegativeInt, PositiveInt } from "./primitives.js"

// Kept local: AppConfig.ts imports the registry, which imports this (so its ImplRef cannot be used here).
const Names = Schema.Array(NonEmptyString).annotations({ description: "an array of non-empty strings" })
const IMPL = /^(?:\.{1,2}\/[^#\s]+|(?:@[A-Za-z0-9][\w.-]*\/)?[A-Za-z0-9][\w.-]*(?:\/[\w.@-]+)*)#[A-Za-z_$][\w$]*$/
const FunctionRef = Schema.String.pipe(Schema.pattern(IMPL)).annotations({
  description: "a module reference '<module>#<export>' such as './policy.js#evaluate' (relative to the config file)"
})

/**
 * Config of the `retry` tool executor.
 *
 * @since 0.2.0
 * @category schemas
 */
export const RetryToolExecutorConfig = Schema.Struct({
  max_attempts: Schema.optionalWith(PositiveInt, { default: () => 3 }).annotations({
    description: "Calls in all, the first included (default 3; 1 disables retries)."
  }),
  initial_delay_ms: Schema.optionalWith(NonNegativeInt, { default: () => 200 }).annotations({
    description: "Backoff before the first retry, in milliseconds (default 200)."
  }),
  backoff_multiplier: Schema.optionalWith(
    Schema.Number.pipe(Schema.greaterThanOrEqualTo(1)).annotations({ description: "a number >= 1" }),
    { default: () => 2 }
  ).annotations({ description: "Growth of the backoff per retry (default 2)." }),
  max_delay_ms: Schema.optionalWith(NonNegativeInt, { default: () => 5000 }).annotations({
    description: "Longest wait between calls, in milliseconds (default 5000); a retry-after above it is not waited for."
  }),
  jitter: Schema.optionalWith(Schema.Literal("none", "full", "equal"), { default: () => "equal" as const }).annotations({
    description: "Randomisation of the backoff d: 'none', 'full' (0..d) or 'equal' (d/2..d, default)."
  }),
  retry_timeouts: Schema.optionalWith(Schema.Boolean, { default: () => true }).annotations({
    description: "Retry calls that timed out too (default true)."
  })
})

/**
 * Config of the `policy` tool executor. Each rule is off while its key is absent.
 *
 * @since 0.2.0
 * @category schemas
 */
export const PolicyToolExecutorConfig = Schema.Struct({
  allow_tools: Schema.optional(Names).annotations({
    description: "Tool names (globs: '*', '?') that may be called; absent: every tool."
  }),
  deny_tools: Schema.optional(Names).annotations({
    description: "Tool names (globs) that may not be called; wins over allow_tools."
  }),
  fs_roots: Schema.optional(Names).annotations({
    description: "Folders that path arguments must resolve inside ('..', '~' and symlink escapes refused); " +
      "relative ones are resolved against the config file."
  }),
  fs_base_dir: Schema.optional(NonEmptyString).annotations({
    description: "What relative path arguments are resolved against (default: the process's working directory)."
  }),
  path_args: Schema.optional(Names).annotations({
    description: "Argument keys (at any depth) holding paths (default path, paths, file, files, file_path, dir, directory, cwd, root, ...)."
  }),
  allow_hosts: Schema.optional(Names).annotations({
    description: "Hosts (globs, e.g. '*.example.com') that URL arguments may name (absent: any public host). " +
      "This key, allow_private, allow_schemes or url_args turns the network rule on."
  }),
  allow_private: Schema.optional(Schema.Boolean).annotations({
    description: "Allow private, loopback and link-local addresses in URLs (default false)."
  }),
  allow_schemes: Schema.optional(Names).annotations({
    description: "URL schemes allowed (default http, https)."
  }),
  url_args: Schema.optional(Names).annotations({
    description: "Argument keys holding URLs (default url, urls, uri, endpoint, base_url, href); any other string that is a whole URL is checked too."
  }),
  allow_commands: Schema.optional(Names).annotations({
    description: "Programs (bare names) that command arguments may run; shell metacharacters are refused."
  }),
  command_args: Schema.optional(Names).annotations({
    description: "Argument keys holding a command line or argv (default command, cmd, argv, shell_command, program, executable)."
  }),
  evaluate: Schema.optional(FunctionRef).annotations({
    description: "Your own rule, '<module>#<export>': a function of the call returning {allowed, reason, rule}, checked last."
  })
})

/**
 * Config of the `hooks` tool executor.
 *
 * @since 0.2.0
 * @category schemas
 */
export const HooksToolExecutorConfig = Schema.Struct({
  before: Schema.optional(FunctionRef).annotations({
    description: "'<module>#<export>': a function of the call run before it; returns {arguments} to rewrite them, throws to refuse."
  }),
  after: Schema.optional(FunctionRef).annotations({
    description: "'<module>#<export>': a function of the call and its result; returns {result} to replace it, throws to withhold it."
  })
})
