import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Calc from "../../src/tools/builtin/Calc.js"
import { context } from "./fixtures.js"

const tool = Calc.make()

/** Runs the expression through the tool's handler, as the executor would. */
const run = (expression: string) =>
  tool.handler({ expression }, context) as Effect.Effect<Calc.Result, Calc.CalcError>

const value = (expression: string): number => {
  const result = Calc.evaluate(expression)
  if (Either.isLeft(result)) throw new Error(`'${expression}' failed: ${result.left.message}`)
  return result.right
}

const error = (expression: string): Calc.CalcError => {
  const result = Calc.evaluate(expression)
  if (Either.isRight(result)) throw new Error(`'${expression}' evaluated to ${result.right}, expected an error`)
  return result.left
}

describe("calc", () => {
  describe("evaluates", () => {
    const cases: ReadonlyArray<readonly [string, number]> = [
      ["42", 42],
      ["3.5", 3.5],
      [".5", 0.5],
      ["1e3", 1000],
      ["2.5E-2", 0.025],
      ["1e+2", 100],
      ["1 + 2 * 3", 7],
      ["(1 + 2) * 3", 9],
      ["10 - 4 - 3", 3],
      ["100 / 10 / 5", 2],
      ["7 % 3", 1],
      ["-7 % 3", -1],
      ["2 + 3 * 4 ** 2", 50],
      ["2 ** 3 ** 2", 512],
      ["2 ^ 3 ^ 2", 512],
      ["(2 ** 3) ** 2", 64],
      ["2 ** -1", 0.5],
      ["-2 ** 2", -4],
      ["(-2) ** 2", 4],
      ["-3 + 5", 2],
      ["--3", 3],
      ["+-+3", -3],
      ["2 * -3", -6],
      ["-(2 + 3) * 2", -10],
      ["sqrt(16)", 4],
      ["abs(-5.5)", 5.5],
      ["round(2.5)", 3],
      ["round(3.14159, 2)", 3.14],
      ["floor(-1.5)", -2],
      ["ceil(1.2)", 2],
      ["min(3, 1, 2)", 1],
      ["max(3, 1, 2) * 2", 6],
      ["log(1000)", 3],
      ["log(8, 2)", 3],
      ["ln(e)", 1],
      ["exp(0)", 1],
      ["cos(0)", 1],
      ["sin(0) + tan(0)", 0],
      ["pi", Math.PI],
      ["2 * pi", 2 * Math.PI],
      ["e ** 2", Math.E ** 2],
      ["SQRT(4) + PI - pi", 2],
      ["sqrt(3 ** 2 + 4 ** 2)", 5],
      ["max(min(5, 9), abs(-7))", 7],
      ["  ( ( 1 ) )  ", 1],
      ["-0", 0]
    ]
    for (const [expression, expected] of cases) {
      it.effect(`${expression} = ${expected}`, () =>
        Effect.gen(function*() {
          const result = yield* Effect.either(run(expression))
          assert.isTrue(Either.isRight(result), `${expression}: ${Either.isLeft(result) ? result.left.message : ""}`)
          if (Either.isRight(result)) {
            assert.strictEqual(result.right.expression, expression)
            assert.closeTo(result.right.result, expected, 1e-12)
          }
        }))
    }

    it("keeps float results as they are", () => {
      assert.closeTo(value("0.1 + 0.2"), 0.3, 1e-15)
      assert.strictEqual(value("sin(pi / 2)"), 1)
    })
  })

  describe("rejects", () => {
    const cases: ReadonlyArray<readonly [string, string, number | undefined]> = [
      ["", "Empty expression: nothing to evaluate", undefined],
      ["   ", "Empty expression: nothing to evaluate", undefined],
      ["1 / 0", "Division by zero at position 3", 3],
      ["5 % (2 - 2)", "Division by zero at position 3 (modulo by zero)", 3],
      ["(1 + 2", "Unbalanced parentheses: '(' at position 1 is never closed", 1],
      ["1 + 2)", "Unbalanced parentheses: ')' at position 6 has no matching '('", 6],
      ["sqrt(4", "Unbalanced parentheses: '(' at position 5 is never closed", 5],
      ["1 +", "Unexpected end of expression at position 4", 4],
      ["2 3", "Unexpected token '3' at position 3", 3],
      ["1 * * 2", "Unexpected token '*' at position 5", 5],
      ["()", "Unexpected token ')' at position 2", 2],
      ["1, 2", "Unexpected token ',' at position 2", 2],
      ["pi(2)", "Unexpected token '(' at position 3", 3],
      ["2 # 3", "Unexpected character '#' at position 3", 3],
      ["1e", "Malformed number '1e' at position 1: the exponent has no digits", 1],
      ["1e999", "Number '1e999' at position 1 is too large", 1],
      ["10 ** 400", "Result is not a finite number (Infinity): '**' overflows or is undefined at position 4", 4],
      ["sqrt(-1)", "Result is not a finite number (NaN): sqrt(-1) is undefined at position 1", 1],
      ["log(0)", "Result is not a finite number (-Infinity): log(0) is undefined at position 1", 1],
      ["sqrt 4", "Expected '(' after function 'sqrt' at position 6; usage: sqrt(x)", 6],
      ["sqrt(1, 2)", "Function 'sqrt' at position 1 expects 1 argument, got 2; usage: sqrt(x)", 1],
      ["min()", "Function 'min' at position 1 expects at least 1 argument, got 0; usage: min(a, b, ...)", 1],
      ["round(1, 2, 3)", "Function 'round' at position 1 expects 1 to 2 arguments, got 3; usage: round(x) or round(x, digits)", 1]
    ]
    for (const [expression, message, position] of cases) {
      it.effect(`${JSON.stringify(expression)}: ${message}`, () =>
        Effect.gen(function*() {
          const e = yield* Effect.flip(run(expression))
          assert.strictEqual(e._tag, "CalcError")
          assert.strictEqual(e.message, message)
          assert.strictEqual(e.position, position)
          assert.strictEqual(e.expression, expression)
          assert.strictEqual(e.retryable, false)
        }))
    }

    it("an expression longer than 1000 characters", () => {
      const expression = "1+".repeat(500) + "1"
      assert.strictEqual(expression.length, 1001)
      assert.strictEqual(error(expression).message, "Expression is too long (1001 characters, max 1000)")
      assert.strictEqual(value("1+".repeat(499) + "1"), 500)
    })

    it("nesting deep enough to threaten the stack", () => {
      const expression = "(".repeat(400) + "1" + ")".repeat(400)
      assert.match(error(expression).message, /^Expression is nested too deeply at position \d+ \(max 200 levels\)$/)
      assert.match(error("-".repeat(999) + "1").message, /nested too deeply/)
      assert.strictEqual(value("(".repeat(100) + "1" + ")".repeat(100)), 1)
    })

    const code = [
      ["process.exit()", "process"],
      ["process.exit(1)", "process"],
      ["constructor", "constructor"],
      ["constructor.constructor('return process')()", "constructor"],
      ["__proto__", "__proto__"],
      ["toString()", "toString"],
      ["this", "this"],
      ["globalThis", "globalThis"],
      ["require('fs')", "require"],
      ["1 + x", "x"],
      ["Math.PI", "Math"]
    ] as const
    for (const [expression, identifier] of code) {
      it(`code as an unknown identifier: ${expression}`, () => {
        const e = error(expression)
        assert.isTrue(
          e.message.startsWith(`Unknown identifier '${identifier}' at position ${expression.indexOf(identifier) + 1}.`),
          e.message
        )
        assert.include(e.message, "functions: sqrt, abs")
      })
    }
  })

  describe("tool", () => {
    it.effect("returns the expression and its result", () =>
      Effect.gen(function*() {
        assert.strictEqual(tool.name, "calc")
        const result = yield* tool.handler({ expression: "6 * 7" }, context)
        assert.deepStrictEqual(result, { expression: "6 * 7", result: 42 })
      }))

    it.effect("fails with a CalcError, it does not throw", () =>
      Effect.gen(function*() {
        const e = yield* Effect.flip(tool.handler({ expression: "1/0" }, context))
        assert.instanceOf(e, Calc.CalcError)
        assert.strictEqual((e as Calc.CalcError).message, "Division by zero at position 2")
      }))

    it("takes a name and a timeout", () => {
      const named = Calc.make({ name: "math", timeoutMs: 500 })
      assert.strictEqual(named.name, "math")
      assert.strictEqual(named.timeoutMs, 500)
      assert.isTrue(named.durableIdempotent)
    })
  })
})
