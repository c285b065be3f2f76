/**
 * The few assertions the test kit makes, on `node:assert`: the kit must load outside a test runner (a
 * wire server in a script) and under any runner, so it cannot take vitest's `assert` at module level.
 * A failure is a `node:assert` AssertionError, which vitest and other runners report with its diff.
 */
import * as nodeAssert from "node:assert/strict"

const fail = (message: string, extra?: string): never => {
  throw new nodeAssert.AssertionError({ message: extra ? `${extra}: ${message}` : message })
}

export const strictEqual = <A>(actual: unknown, expected: A, message?: string): void =>
  nodeAssert.strictEqual(actual, expected, message)

export const deepStrictEqual = <A>(actual: unknown, expected: A, message?: string): void =>
  nodeAssert.deepStrictEqual(actual, expected, message)

export const isTrue = (value: unknown, message?: string): void => {
  if (value !== true) fail(`expected true, got ${String(value)}`, message)
}

export const isFalse = (value: unknown, message?: string): void => {
  if (value !== false) fail(`expected false, got ${String(value)}`, message)
}

export const isUndefined = (value: unknown, message?: string): void => {
  if (value !== undefined) fail(`expected undefined, got ${JSON.stringify(value)}`, message)
}

export const isDefined = (value: unknown, message?: string): void => {
  if (value === undefined) fail("expected a value, got undefined", message)
}

export const include = (haystack: string, needle: string, message?: string): void => {
  if (!haystack.includes(needle)) fail(`expected ${JSON.stringify(haystack)} to include ${JSON.stringify(needle)}`, message)
}

export const match = (value: string, re: RegExp, message?: string): void => {
  if (!re.test(value)) fail(`expected ${JSON.stringify(value)} to match ${String(re)}`, message)
}

export const isAtLeast = (value: number, min: number, message?: string): void => {
  if (!(value >= min)) fail(`expected ${value} to be at least ${min}`, message)
}

export const closeTo = (value: number, expected: number, delta: number, message?: string): void => {
  if (!(Math.abs(value - expected) <= delta)) fail(`expected ${value} to be within ${delta} of ${expected}`, message)
}
