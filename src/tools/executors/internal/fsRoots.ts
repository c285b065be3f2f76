/**
 * The filesystem rule of the policy executor: a path argument must resolve, symlinks followed, inside
 * one of the allowed roots.
 *
 * A path is refused when it is empty, holds a NUL byte, starts with `~` (a shell would expand it), or has
 * a `..` segment (split on `/` and `\`, whatever the platform). Otherwise it is resolved against the base
 * directory, and the longest part of it that exists is resolved through its symlinks (so a new file in a
 * symlinked folder is judged by where the folder really is); a dangling symlink is refused, since
 * writing through it would create its target wherever that is. The result must be a root or under one,
 * the roots themselves resolved through their symlinks too.
 */
import * as Effect from "effect/Effect"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { quote } from "./args.js"

const code = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null ? (error as { code?: string }).code : undefined

const realpath = (p: string): Effect.Effect<string, unknown> =>
  Effect.tryPromise({ try: () => fs.realpath(p), catch: (e) => e })

const exists = (p: string): Effect.Effect<boolean> =>
  Effect.tryPromise(() => fs.lstat(p)).pipe(Effect.as(true), Effect.orElseSucceed(() => false))

/** Where `p` really is: its longest existing part through its symlinks, and the rest as written. */
const resolveReal = (p: string): Effect.Effect<{ readonly real: string } | { readonly problem: string }> =>
  Effect.gen(function*() {
    let current = p
    const rest: Array<string> = []
    for (;;) {
      const real = yield* Effect.either(realpath(current))
      if (real._tag === "Right") return { real: path.join(real.right, ...rest.reverse()) }
      const why = code(real.left)
      if (why !== "ENOENT" && why !== "ENOTDIR") return { problem: `cannot be resolved (${why ?? "error"})` }
      // realpath says it does not exist, yet lstat sees it: a symlink to nowhere
      if (yield* exists(current)) return { problem: `is a dangling symlink (at '${current}')` }
      const parent = path.dirname(current)
      if (parent === current) return { real: p }
      rest.push(path.basename(current))
      current = parent
    }
  })

const inside = (child: string, root: string): boolean =>
  child === root || child.startsWith(root.endsWith(path.sep) ? root : root + path.sep)

/**
 * Why `value` (the argument `key`) is refused by the roots, or `undefined` when it is inside one.
 * `roots` and `baseDir` are absolute.
 */
export const check = (
  key: string,
  value: string,
  roots: ReadonlyArray<string>,
  baseDir: string
): Effect.Effect<string | undefined> =>
  Effect.gen(function*() {
    const shown = `${key} ${quote(value)}`
    const allowed = `the allowed roots [${roots.join(", ")}]`
    if (value === "") return `${key} is empty`
    if (value.includes("\0")) return `${shown} holds a NUL byte`
    if (value.startsWith("~")) return `${shown} is outside ${allowed} ('~' paths are refused)`
    if (value.split(/[\\/]/).includes("..")) return `${shown} is outside ${allowed} ('..' segments are refused)`
    const resolved = path.resolve(baseDir, value)
    const target = yield* resolveReal(resolved)
    if ("problem" in target) return `${shown} ${target.problem}`
    for (const root of roots) {
      const realRoot = yield* resolveReal(root)
      if ("real" in realRoot && inside(target.real, realRoot.real)) return undefined
    }
    const through = target.real !== resolved ? ` (it resolves to '${target.real}' through a symlink)` : ""
    return `${shown} is outside ${allowed}${through}`
  })
