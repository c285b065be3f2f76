/**
 * Confinement of paths to a root folder: a path the model gives is resolved against the root and
 * refused when it names `..`, an absolute place outside the root, or a place a symlink leads out of the
 * root to. Symlinks are resolved with `realpath`; for a path whose last parts do not exist yet, the
 * nearest existing ancestor's real path is checked.
 */
import * as fsp from "node:fs/promises"
import * as path from "node:path"
import * as Effect from "effect/Effect"
import { type BuiltinToolError, quote, refuse } from "../BuiltinToolError.js"

/** The folder under the root where the tools keep their own records (the append ledger); the model cannot touch it. */
export const RESERVED = ".openagents"

/** Where a confined tool may act. */
export interface Root {
  /** The root as configured (absolute). */
  readonly root: string
}

/** A path inside the root. */
export interface Resolved {
  /** The real path (symlinks resolved, as far as it exists). */
  readonly real: string
  /** The path relative to the root, `/`-separated (`.` for the root itself). */
  readonly relative: string
  /** True when the path exists. */
  readonly exists: boolean
}

const errnoCode = (e: unknown): string | undefined =>
  typeof e === "object" && e !== null && typeof (e as { code?: unknown }).code === "string"
    ? (e as { code: string }).code
    : undefined

const inside = (root: string, candidate: string) => {
  const relative = path.relative(root, candidate)
  // "..name" is a name inside; only ".." itself or "../..." leaves
  return relative === "" || (relative !== ".." && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative))
}

const toPosix = (relative: string) => (relative === "" ? "." : relative.split(path.sep).join("/"))

/**
 * The real path of the root; a missing root is an error naming it.
 */
export const realRoot = (toolName: string, root: Root): Effect.Effect<string, BuiltinToolError> =>
  Effect.tryPromise({
    try: () => fsp.realpath(root.root),
    catch: (e) =>
      refuse(toolName, undefined, `the configured root ${quote(root.root)} cannot be used (${errnoCode(e) ?? String(e)})`)
  })

/**
 * Resolves `requested` inside the root. With `followLast: false` the last part is not resolved (a
 * symlink itself is named, as delete does), only its parent.
 */
export const resolve = (
  toolName: string,
  argument: string,
  root: Root,
  requested: string,
  options?: { readonly followLast?: boolean }
): Effect.Effect<Resolved, BuiltinToolError> =>
  Effect.gen(function*() {
    const refused = (rule: string) =>
      refuse(toolName, argument, `${quote(requested)} is refused: ${rule} (the root is ${quote(root.root)})`)
    if (requested.length === 0) return yield* refused("the path is empty")
    if (requested.length > 4096) return yield* refused("the path is longer than 4096 characters")
    if (requested.includes("\0")) return yield* refused("the path contains a NUL character")
    if (requested.split(/[\\/]+/).includes("..")) {
      return yield* refused("'..' is not allowed: paths must stay inside the root")
    }
    const rootReal = yield* realRoot(toolName, root)
    const lexical = path.isAbsolute(requested) ? path.resolve(requested) : path.resolve(root.root, requested)
    // an absolute path may name the root by its configured or by its real spelling
    const base = inside(root.root, lexical) ? root.root : inside(rootReal, lexical) ? rootReal : undefined
    if (base === undefined) return yield* refused("an absolute path outside the root")
    const parts = path.relative(base, lexical).split(path.sep).filter((p) => p !== "")
    const followLast = options?.followLast ?? true
    const last = followLast ? undefined : parts.pop()
    // walk up to the nearest existing ancestor, resolve it, and put back the parts that do not exist
    let missing: Array<string> = []
    let real: string | undefined
    for (let n = parts.length; n >= 0; n--) {
      const candidate = path.join(rootReal, ...parts.slice(0, n))
      const found = yield* Effect.tryPromise({ try: () => fsp.realpath(candidate), catch: (e) => e }).pipe(
        Effect.map((r): string | undefined => r),
        Effect.catchAll((e) =>
          errnoCode(e) === "ENOENT" || errnoCode(e) === "ENOTDIR"
            ? Effect.succeed(undefined)
            : Effect.fail(refused(`it cannot be resolved (${errnoCode(e) ?? String(e)})`))
        )
      )
      if (found !== undefined) {
        real = found
        missing = parts.slice(n)
        break
      }
    }
    if (real === undefined) return yield* refused("it cannot be resolved")
    if (!inside(rootReal, real)) return yield* refused("a symlink leads outside the root")
    // a part that realpath cannot resolve but lstat finds is a dangling symlink (writing through it
    // would create its target, wherever that is) or a file used as a folder
    if (missing.length > 0) {
      const ancestor = yield* Effect.either(Effect.tryPromise(() => fsp.stat(real!)))
      if (ancestor._tag === "Right" && !ancestor.right.isDirectory()) {
        return yield* refused(`${quote(toPosix(path.relative(rootReal, real)))} is not a folder`)
      }
      const stat = yield* Effect.either(Effect.tryPromise(() => fsp.lstat(path.join(real!, missing[0]!))))
      if (stat._tag === "Right") {
        return yield* refused(
          stat.right.isSymbolicLink()
            ? "a symlink whose target does not exist (it may lead outside the root)"
            : `${quote(missing[0]!)} is not a folder`
        )
      }
    }
    const full = path.join(real, ...missing, ...(last !== undefined ? [last] : []))
    if (!inside(rootReal, full)) return yield* refused("a symlink leads outside the root")
    const relative = toPosix(path.relative(rootReal, full))
    if (relative === RESERVED || relative.startsWith(`${RESERVED}/`)) {
      return yield* refused(`'${RESERVED}' is reserved for the tools' own records`)
    }
    const exists = missing.length === 0 &&
      (last === undefined ||
        (yield* Effect.map(Effect.either(Effect.tryPromise(() => fsp.lstat(full))), (r) => r._tag === "Right")))
    return { real: full, relative, exists }
  })

export { errnoCode }
