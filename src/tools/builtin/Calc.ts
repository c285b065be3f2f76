/**
 * The `calc` builtin: a safe arithmetic evaluator. The expression is tokenized and parsed by a small
 * recursive-descent parser over a fixed set of operators, constants and functions; nothing is ever
 * handed to `eval` or `Function`, and identifiers are looked up in a closed table (never on an object
 * prototype), so `constructor` or `process.exit()` are just unknown identifiers.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as Tool from "../Tool.js"

/**
 * The longest expression `calc` accepts.
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_EXPRESSION_LENGTH = 1000

// Parentheses, unary signs and powers each add a level of recursion; a limit keeps a hostile input
// from exhausting the stack.
const MAX_DEPTH = 200

/**
 * An expression could not be evaluated. `position` is the 1-based character where the problem is,
 * when there is one.
 *
 * @since 0.1.0
 * @category errors
 */
export class CalcError extends Schema.TaggedError<CalcError>()("CalcError", {
  expression: Schema.String,
  message: Schema.String,
  position: Schema.optional(Schema.Number)
}) {
  /** @since 0.1.0 */
  readonly retryable = false as const
}

// ---------------------------------------------------------------------------------------------------------
// tables
// ---------------------------------------------------------------------------------------------------------

const constants: ReadonlyMap<string, number> = new Map([
  ["pi", Math.PI],
  ["e", Math.E]
])

interface FunctionDef {
  readonly min: number
  readonly max: number
  readonly signature: string
  readonly apply: (args: ReadonlyArray<number>) => number
}

const unary = (signature: string, f: (x: number) => number): FunctionDef => ({
  min: 1,
  max: 1,
  signature,
  apply: (args) => f(args[0]!)
})

const functions: ReadonlyMap<string, FunctionDef> = new Map<string, FunctionDef>([
  ["sqrt", unary("sqrt(x)", Math.sqrt)],
  ["abs", unary("abs(x)", Math.abs)],
  ["round", {
    min: 1,
    max: 2,
    signature: "round(x) or round(x, digits)",
    apply: ([x, digits]) => {
      if (digits === undefined) return Math.round(x!)
      const factor = 10 ** Math.trunc(digits)
      return Math.round(x! * factor) / factor
    }
  }],
  ["floor", unary("floor(x)", Math.floor)],
  ["ceil", unary("ceil(x)", Math.ceil)],
  ["min", { min: 1, max: Infinity, signature: "min(a, b, ...)", apply: (args) => Math.min(...args) }],
  ["max", { min: 1, max: Infinity, signature: "max(a, b, ...)", apply: (args) => Math.max(...args) }],
  ["log", {
    min: 1,
    max: 2,
    signature: "log(x) (base 10) or log(x, base)",
    apply: ([x, base]) => base === undefined ? Math.log10(x!) : Math.log(x!) / Math.log(base)
  }],
  ["ln", unary("ln(x)", Math.log)],
  ["exp", unary("exp(x)", Math.exp)],
  ["sin", unary("sin(x) (radians)", Math.sin)],
  ["cos", unary("cos(x) (radians)", Math.cos)],
  ["tan", unary("tan(x) (radians)", Math.tan)]
])

// ---------------------------------------------------------------------------------------------------------
// tokenizer
// ---------------------------------------------------------------------------------------------------------

type Token =
  | { readonly kind: "number"; readonly value: number; readonly text: string; readonly pos: number }
  | { readonly kind: "constant"; readonly value: number; readonly text: string; readonly pos: number }
  | { readonly kind: "function"; readonly def: FunctionDef; readonly text: string; readonly pos: number }
  | { readonly kind: "op"; readonly text: string; readonly pos: number }
  | { readonly kind: "end"; readonly text: string; readonly pos: number }

/** Thrown inside the evaluator only, and turned into a `CalcError` at its boundary. */
class Failure {
  constructor(readonly message: string, readonly position?: number) {}
}

const NUMBER = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*/
const OPERATORS = ["**", "+", "-", "*", "/", "%", "^", "(", ")", ","]

const tokenize = (source: string): Array<Token> => {
  const tokens: Array<Token> = []
  let i = 0
  while (i < source.length) {
    const ch = source[i]!
    if (/\s/.test(ch)) {
      i++
      continue
    }
    const pos = i + 1
    const rest = source.slice(i)
    const number = NUMBER.exec(rest)
    if (number) {
      const text = number[0]
      // "1e" or "2e+" would otherwise read as the number followed by the constant e
      const dangling = /^[eE][+-]?(?![0-9])/.exec(source.slice(i + text.length))
      if (dangling) {
        const bad = dangling[0]
        throw new Failure(`Malformed number '${text}${bad}' at position ${pos}: the exponent has no digits`, pos)
      }
      const value = Number(text)
      if (!Number.isFinite(value)) {
        throw new Failure(`Number '${text}' at position ${pos} is too large`, pos)
      }
      tokens.push({ kind: "number", value, text, pos })
      i += text.length
      continue
    }
    const identifier = IDENTIFIER.exec(rest)
    if (identifier) {
      const text = identifier[0]
      const name = text.toLowerCase()
      const constant = constants.get(name)
      const def = functions.get(name)
      if (constant !== undefined) tokens.push({ kind: "constant", value: constant, text, pos })
      else if (def !== undefined) tokens.push({ kind: "function", def, text, pos })
      else {
        throw new Failure(
          `Unknown identifier '${text}' at position ${pos}. Known constants: ${[...constants.keys()].join(", ")}; ` +
            `functions: ${[...functions.keys()].join(", ")}`,
          pos
        )
      }
      i += text.length
      continue
    }
    const op = OPERATORS.find((candidate) => source.startsWith(candidate, i))
    if (op !== undefined) {
      tokens.push({ kind: "op", text: op, pos })
      i += op.length
      continue
    }
    throw new Failure(`Unexpected character '${ch}' at position ${pos}`, pos)
  }
  tokens.push({ kind: "end", text: "end of expression", pos: source.length + 1 })
  return tokens
}

// ---------------------------------------------------------------------------------------------------------
// parser and evaluator (one pass: each rule returns the value of what it parsed)
// ---------------------------------------------------------------------------------------------------------

const describe = (token: Token) => token.kind === "end" ? "end of expression" : `'${token.text}'`

const finite = (value: number, what: string, pos: number): number => {
  if (!Number.isFinite(value)) {
    throw new Failure(`Result is not a finite number (${value}): ${what} at position ${pos}`, pos)
  }
  return value
}

const parse = (tokens: ReadonlyArray<Token>): number => {
  let index = 0
  let depth = 0
  const openParens: Array<number> = []

  const peek = () => tokens[index]!
  const next = () => tokens[index++]!
  const isOp = (token: Token, ...ops: ReadonlyArray<string>) => token.kind === "op" && ops.includes(token.text)

  const unexpected = (token: Token): never => {
    if (token.kind === "end") {
      const open = openParens.at(-1)
      if (open !== undefined) {
        throw new Failure(`Unbalanced parentheses: '(' at position ${open} is never closed`, open)
      }
      throw new Failure(`Unexpected end of expression at position ${token.pos}`, token.pos)
    }
    if (isOp(token, ")") && openParens.length === 0) {
      throw new Failure(`Unbalanced parentheses: ')' at position ${token.pos} has no matching '('`, token.pos)
    }
    throw new Failure(`Unexpected token ${describe(token)} at position ${token.pos}`, token.pos)
  }

  const nested = <A>(pos: number, f: () => A): A => {
    if (++depth > MAX_DEPTH) {
      throw new Failure(`Expression is nested too deeply at position ${pos} (max ${MAX_DEPTH} levels)`, pos)
    }
    try {
      return f()
    } finally {
      depth--
    }
  }

  const expect = (op: string, open?: number) => {
    const token = peek()
    if (isOp(token, op)) return next()
    if (op === ")" && open !== undefined && token.kind === "end") {
      throw new Failure(`Unbalanced parentheses: '(' at position ${open} is never closed`, open)
    }
    return unexpected(token)
  }

  // additive := multiplicative (("+" | "-") multiplicative)*
  const additive = (): number => {
    let left = multiplicative()
    while (isOp(peek(), "+", "-")) {
      const op = next()
      const right = multiplicative()
      left = finite(op.text === "+" ? left + right : left - right, `'${op.text}' overflows`, op.pos)
    }
    return left
  }

  // multiplicative := unary (("*" | "/" | "%") unary)*
  const multiplicative = (): number => {
    let left = signed()
    while (isOp(peek(), "*", "/", "%")) {
      const op = next()
      const right = signed()
      if (op.text !== "*" && right === 0) {
        throw new Failure(
          `Division by zero at position ${op.pos}${op.text === "%" ? " (modulo by zero)" : ""}`,
          op.pos
        )
      }
      const value = op.text === "*" ? left * right : op.text === "/" ? left / right : left % right
      left = finite(value, `'${op.text}' overflows`, op.pos)
    }
    return left
  }

  // unary := ("-" | "+") unary | power        (so -2 ** 2 is -(2 ** 2), as in mathematics)
  const signed = (): number => {
    const token = peek()
    if (isOp(token, "-", "+")) {
      next()
      const value = nested(token.pos, signed)
      return token.text === "-" ? -value : value
    }
    return power()
  }

  // power := primary (("**" | "^") unary)?  -- right-associative: 2 ** 3 ** 2 is 2 ** 9
  const power = (): number => {
    const base = primary()
    const token = peek()
    if (isOp(token, "**", "^")) {
      next()
      const exponent = nested(token.pos, signed)
      return finite(base ** exponent, `'${token.text}' overflows or is undefined`, token.pos)
    }
    return base
  }

  // primary := number | constant | function "(" args ")" | "(" additive ")"
  const primary = (): number => {
    const token = next()
    switch (token.kind) {
      case "number":
      case "constant":
        return token.value
      case "function": {
        const open = peek()
        if (!isOp(open, "(")) {
          throw new Failure(
            `Expected '(' after function '${token.text}' at position ${open.pos}; usage: ${token.def.signature}`,
            open.pos
          )
        }
        next()
        openParens.push(open.pos)
        const args: Array<number> = []
        if (!isOp(peek(), ")")) {
          args.push(nested(open.pos, additive))
          while (isOp(peek(), ",")) {
            next()
            args.push(nested(open.pos, additive))
          }
        }
        expect(")", open.pos)
        openParens.pop()
        const { def } = token
        if (args.length < def.min || args.length > def.max) {
          const noun = (n: number) => `${n} argument${n === 1 ? "" : "s"}`
          const expected = def.min === def.max
            ? noun(def.min)
            : def.max === Infinity
            ? `at least ${noun(def.min)}`
            : `${def.min} to ${noun(def.max)}`
          throw new Failure(
            `Function '${token.text}' at position ${token.pos} expects ${expected}, got ${args.length}; ` +
              `usage: ${def.signature}`,
            token.pos
          )
        }
        return finite(def.apply(args), `${token.text}(${args.join(", ")}) is undefined`, token.pos)
      }
      case "op":
        if (token.text === "(") {
          openParens.push(token.pos)
          const value = nested(token.pos, additive)
          expect(")", token.pos)
          openParens.pop()
          return value
        }
        return unexpected(token)
      case "end":
        return unexpected(token)
    }
  }

  const value = additive()
  const last = peek()
  if (last.kind !== "end") unexpected(last)
  return finite(value, "the result overflows", 1)
}

/**
 * Evaluates an arithmetic expression: numbers (`42`, `3.5`, `1e3`), `+ - * / %`, `**` and `^` (power,
 * right-associative), unary `-`/`+`, parentheses, the constants `pi` and `e`, and the functions
 * `sqrt abs round floor ceil min max log ln exp sin cos tan`.
 *
 * @since 0.1.0
 * @category evaluation
 */
export const evaluate = (expression: string): Either.Either<number, CalcError> => {
  const fail = (message: string, position?: number) =>
    Either.left(new CalcError({ expression, message, ...(position !== undefined ? { position } : {}) }))
  if (expression.length > MAX_EXPRESSION_LENGTH) {
    return fail(`Expression is too long (${expression.length} characters, max ${MAX_EXPRESSION_LENGTH})`)
  }
  if (expression.trim() === "") return fail("Empty expression: nothing to evaluate")
  try {
    const value = parse(tokenize(expression))
    // -0 reads badly in a tool result
    return Either.right(Object.is(value, -0) ? 0 : value)
  } catch (error) {
    if (error instanceof Failure) return fail(error.message, error.position)
    throw error
  }
}

/**
 * Parameters of `calc`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Parameters = Schema.Struct({
  expression: Schema.String.annotations({
    description: "The arithmetic expression to evaluate, e.g. \"(2 + 3) * 4\", \"2 ** 10\", \"sqrt(2) * pi\" or " +
      "\"round(100 / 3, 2)\". Supports + - * / % ** ^, parentheses, pi, e and the functions sqrt, abs, round, " +
      "floor, ceil, min, max, log (base 10, or log(x, base)), ln, exp, sin, cos, tan (radians)."
  })
})

/**
 * What `calc` returns.
 *
 * @since 0.1.0
 * @category models
 */
export interface Result {
  readonly expression: string
  readonly result: number
}

/**
 * Options of {@link make}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The tool's name as the model sees it (default `calc`). */
  readonly name?: string
  readonly timeoutMs?: number
}

/**
 * The description the model sees.
 *
 * @since 0.1.0
 * @category constants
 */
export const description =
  "Evaluates an arithmetic expression exactly and safely and returns its numeric result. Use it for any " +
  "calculation instead of doing arithmetic in your head. Supports numbers (42, 3.5, 1e3), + - * / % , " +
  "** or ^ for powers, parentheses, the constants pi and e, and the functions sqrt, abs, round, floor, " +
  "ceil, min, max, log, ln, exp, sin, cos, tan. Variables and other code are rejected."

/**
 * Makes the `calc` tool.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: Options): Tool.Tool<typeof Parameters.Type> =>
  Tool.make(options?.name ?? "calc", {
    description,
    parameters: Parameters,
    // pure: no state, no I/O
    concurrencySafe: true,
    ...(options?.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    handler: ({ expression }): Effect.Effect<Result, CalcError> =>
      Either.match(evaluate(expression), {
        onLeft: Effect.fail,
        onRight: (result) => Effect.succeed({ expression, result })
      })
  })
