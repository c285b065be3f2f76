/**
 * From Schema parse issues to config problems: each a JSON path (`agents[0].tools[1].type`), a message
 * that says what was expected and what was found, and a hint where one helps.
 *
 * @since 0.2.0
 */
import * as Option from "effect/Option"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"
import { closest } from "../../internal/suggest.js"
import { type ConfigMessage, MessageAnnotationId, NounAnnotationId } from "./annotations.js"

/** @internal */
export type Segment = string | number

/** @internal */
export interface Problem {
  readonly path: ReadonlyArray<Segment>
  readonly message: string
  readonly hint?: string | undefined
}

/** @internal */
export const isRecord = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u) && Object.prototype.toString.call(u) === "[object Object]"

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/

/**
 * Formats a path as `agents[0].llm.extra_headers["x-api-key"]`; the root is `""`.
 *
 * @since 0.1.0
 * @category formatting
 */
export const formatPath = (path: ReadonlyArray<PropertyKey>): string => {
  let out = ""
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`
    else if (typeof segment === "symbol") out += `[${String(segment)}]`
    else if (IDENTIFIER.test(segment)) out += out === "" ? segment : `.${segment}`
    else out += `[${JSON.stringify(segment)}]`
  }
  return out
}

/** @internal */
export const show = (u: unknown): string => {
  if (u === undefined) return "nothing"
  if (u === null) return "null"
  if (typeof u === "string") {
    const s = u.length > 60 ? `${u.slice(0, 57)}...` : u
    return JSON.stringify(s)
  }
  if (typeof u === "number" || typeof u === "boolean" || typeof u === "bigint") return String(u)
  if (Array.isArray(u)) return u.length === 0 ? "an empty array" : "an array"
  if (typeof u === "object") return "an object"
  return typeof u
}

/** @internal */
export const quoteList = (values: ReadonlyArray<string>): string => values.map((v) => `'${v}'`).join(", ")

interface WalkContext {
  readonly path: ReadonlyArray<Segment>
  /** The struct whose keys are being checked (for unknown-key suggestions). */
  readonly struct: AST.TypeLiteral | undefined
  /** Names the owner of a builtin plugin config, e.g. `memory type 'window_buffer'`. */
  readonly owner: string | undefined
}

const annotation = <A>(ast: AST.Annotated, id: symbol): A | undefined => {
  const option = AST.getAnnotation<A>(id)(ast)
  return Option.isSome(option) ? option.value : undefined
}

const literalsOf = (ast: AST.AST): ReadonlyArray<AST.LiteralValue> | undefined => {
  if (AST.isLiteral(ast)) return [ast.literal]
  if (AST.isUnion(ast) && ast.types.every(AST.isLiteral)) return ast.types.map((t) => (t as AST.Literal).literal)
  return undefined
}

/** `undefined` and `null`, which optional / nullable fields accept but messages need not mention. */
const isAbsent = (ast: AST.AST): boolean =>
  AST.isUndefinedKeyword(ast) || (AST.isLiteral(ast) && ast.literal === null)

const describe = (ast: AST.AST): string => {
  switch (ast._tag) {
    case "StringKeyword":
      return "a string"
    case "NumberKeyword":
      return "a number"
    case "BooleanKeyword":
      return "a boolean (true or false)"
    case "Literal":
      return ast.literal === null ? "null" : JSON.stringify(ast.literal)
    case "TypeLiteral":
      return "an object"
    case "TupleType":
      return "an array"
    case "UnknownKeyword":
    case "AnyKeyword":
      return "any value"
    case "Refinement":
    case "Transformation": {
      const description = AST.getDescriptionAnnotation(ast)
      if (Option.isSome(description)) return description.value
      return describe(ast.from)
    }
    case "Union": {
      const literals = literalsOf(ast)
      if (literals !== undefined) return `one of ${literals.map((l) => JSON.stringify(l)).join(", ")}`
      const present = ast.types.filter((t) => !AST.isUndefinedKeyword(t))
      return [...new Set(present.map(describe))].join(" or ")
    }
    default:
      return String(ast)
  }
}

/** An object Schema given an array, or an array Schema given an object (`one ref or a list of them`). */
const otherKind = (issue: ParseResult.ParseIssue): boolean => {
  if ((issue._tag === "Refinement" && issue.kind === "From") || issue._tag === "Transformation") return otherKind(issue.issue)
  if (issue._tag !== "Type" && issue._tag !== "Composite") return false
  return (AST.isTypeLiteral(issue.ast) && Array.isArray(issue.actual)) || (AST.isTupleType(issue.ast) && isRecord(issue.actual))
}

/** True when an issue is about the value itself, not about something nested in it. */
const isLocal = (issue: ParseResult.ParseIssue): boolean => {
  switch (issue._tag) {
    case "Type":
    case "Missing":
    case "Forbidden":
      return true
    case "Refinement":
    case "Transformation":
      return isLocal(issue.issue)
    case "Composite":
      return AST.isUnion(issue.ast) && toArray(issue.issues).every(isLocal)
    case "Pointer":
    case "Unexpected":
      return false
  }
}

const toArray = <A>(value: A | ReadonlyArray<A>): ReadonlyArray<A> =>
  Array.isArray(value) ? (value as ReadonlyArray<A>) : [value as A]

const typeProblem = (ast: AST.AST, actual: unknown, ctx: WalkContext): Problem => {
  const literals = literalsOf(ast)
  if (literals !== undefined) {
    const names = literals.filter((l): l is string => typeof l === "string")
    const noun = annotation<string>(ast, NounAnnotationId)
    if (typeof actual === "string") {
      const suggestion = closest(actual, names)
      const dym = suggestion !== undefined ? ` (did you mean '${suggestion}'?)` : ""
      return noun !== undefined
        ? { path: ctx.path, message: `unknown ${noun} '${actual}'${dym}`, hint: `available: ${names.join(", ")}` }
        : { path: ctx.path, message: `must be one of ${quoteList(names)} (got ${show(actual)})${dym}` }
    }
    return { path: ctx.path, message: `must be one of ${quoteList(names)} (got ${show(actual)})` }
  }
  return { path: ctx.path, message: `must be ${describe(ast)} (got ${show(actual)})` }
}

/** @internal */
export const unknownKeyProblem = (key: string, ctx: WalkContext): Problem => {
  const known = ctx.struct?.propertySignatures.map((ps) => String(ps.name)) ?? []
  const path = [...ctx.path, key]
  if (known.length === 0) {
    return {
      path,
      message: ctx.owner !== undefined ? `unknown key: ${ctx.owner} takes no config keys` : "unknown key",
      hint: "remove it"
    }
  }
  // "timezone" should lead to "default_timezone", which edit distance alone does not find
  const lower = key.toLowerCase()
  const suggestion = (lower.length >= 4 ? known.find((k) => k.includes(lower) || lower.includes(k)) : undefined) ??
    closest(key, known)
  if (suggestion !== undefined) return { path, message: `unknown key (did you mean '${suggestion}'?)` }
  return {
    path,
    message: "unknown key",
    hint: ctx.owner !== undefined ? `${ctx.owner} accepts: ${known.join(", ")}` : `allowed keys: ${known.join(", ")}`
  }
}

const walk = (issue: ParseResult.ParseIssue, ctx: WalkContext, out: Array<Problem>): void => {
  switch (issue._tag) {
    case "Pointer": {
      const segments = toArray(issue.path).map((s): Segment => (typeof s === "symbol" ? String(s) : s))
      if (issue.issue._tag === "Unexpected" && segments.length === 1) {
        out.push(unknownKeyProblem(String(segments[0]), ctx))
        return
      }
      walk(issue.issue, { ...ctx, path: [...ctx.path, ...segments] }, out)
      return
    }
    case "Composite": {
      if (AST.isUnion(issue.ast)) {
        // optional and `nullable` fields are unions with undefined / null: report against the member that
        // applies when it is the only one; nor does a member of the other kind (an object Schema for an
        // array, or the reverse) when one of the right kind is there
        const present = toArray(issue.issues).filter((i) => !(i._tag === "Type" && isAbsent(i.ast)))
        const sameKind = present.filter((i) => !otherKind(i))
        const relevant = sameKind.length > 0 ? sameKind : present
        if (relevant.length === 1) walk(relevant[0]!, ctx, out)
        else out.push(typeProblem(issue.ast, issue.actual, ctx))
        return
      }
      const struct = AST.isTypeLiteral(issue.ast) ? issue.ast : undefined
      for (const inner of toArray(issue.issues)) walk(inner, { ...ctx, struct }, out)
      return
    }
    case "Transformation":
      walk(issue.issue, ctx, out)
      return
    case "Refinement": {
      if (issue.kind === "From" && !isLocal(issue.issue)) {
        walk(issue.issue, ctx, out)
        return
      }
      const custom = issue.kind === "Predicate" ? annotation<ConfigMessage>(issue.ast, MessageAnnotationId) : undefined
      if (custom !== undefined) {
        out.push({ path: ctx.path, message: custom.message(issue.actual), hint: custom.hint?.(issue.actual) })
      } else {
        out.push({ path: ctx.path, message: `must be ${describe(issue.ast)} (got ${show(issue.actual)})` })
      }
      return
    }
    case "Type":
      out.push(typeProblem(issue.ast, issue.actual, ctx))
      return
    case "Missing":
      out.push({ path: ctx.path, message: "required key is missing" })
      return
    case "Unexpected":
      out.push({ path: ctx.path, message: "unexpected value" })
      return
    case "Forbidden":
      out.push({ path: ctx.path, message: issue.message ?? "cannot be checked" })
      return
  }
}

const parseOptions: AST.ParseOptions = { errors: "all", onExcessProperty: "error" }

/** @internal */
export const decodeWith = <A, I>(
  schema: Schema.Schema<A, I>,
  input: unknown,
  path: ReadonlyArray<Segment>,
  out: Array<Problem>,
  owner?: string
): Option.Option<A> => {
  const result = Schema.decodeUnknownEither(schema, parseOptions)(input)
  if (result._tag === "Right") return Option.some(result.right)
  walk(result.left.issue, { path, struct: undefined, owner }, out)
  return Option.none()
}

// Ranks paths in the order they appear in the document, so problems are listed top to bottom; a
// missing key ranks with its parent.
/** @internal */
export const documentOrder = (root: unknown): ((path: ReadonlyArray<Segment>) => number) => {
  const ranks = new Map<string, number>()
  const visit = (value: unknown, path: ReadonlyArray<Segment>): void => {
    ranks.set(formatPath(path), ranks.size)
    if (Array.isArray(value)) value.forEach((item: unknown, i) => visit(item, [...path, i]))
    else if (isRecord(value)) for (const [key, item] of Object.entries(value)) visit(item, [...path, key])
  }
  visit(root, [])
  return (path) => {
    for (let i = path.length; i >= 0; i--) {
      const rank = ranks.get(formatPath(path.slice(0, i)))
      if (rank !== undefined) return rank
    }
    return 0
  }
}

/** @internal */
export const isUnder = (path: string, prefix: string): boolean =>
  path === prefix || prefix === "" || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`)

/**
 * The path of the first array or object nested deeper than `max` (a cycle counts as too deep), found
 * without recursion so that the check itself cannot overflow the stack.
 *
 * @since 0.2.0
 * @category validation
 */
export const findTooDeep = (root: unknown, max: number): ReadonlyArray<Segment> | undefined => {
  const stack: Array<readonly [unknown, ReadonlyArray<Segment>]> = [[root, []]]
  while (stack.length > 0) {
    const [value, path] = stack.pop()!
    if (typeof value !== "object" || value === null) continue
    // the path to the value that opens level max + 1, cut so that the message stays readable
    if (path.length >= max) return path.slice(0, 8)
    if (Array.isArray(value)) value.forEach((item: unknown, i) => stack.push([item, [...path, i]]))
    else for (const [key, item] of Object.entries(value)) stack.push([item, [...path, key]])
  }
  return undefined
}
