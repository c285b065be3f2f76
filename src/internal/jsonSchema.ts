/**
 * JSON Schema validation with Ajv: draft-07 by default, 2019-09 or 2020-12 when the schema's `$schema`
 * says so. One place for the runtime's output schemas, tools declared by JSON Schema, and config checks.
 */
import type AjvType from "ajv"
import * as Either from "effect/Either"
import { createRequire } from "node:module"

const options = { allErrors: true, strict: false, logger: false } as const

// Ajv (about a hundred modules) is loaded, and each dialect's instance made, on the first schema that
// needs it: a CLI command or a run without JSON Schemas never pays for it
const require = createRequire(import.meta.url)
const instances = new Map<string, AjvType.default>()

const ajvFor = (schema: Record<string, unknown>): AjvType.default => {
  const declared = typeof schema["$schema"] === "string" ? schema["$schema"] : ""
  const dialect = declared.includes("2020-12") ? "2020-12" : declared.includes("2019-09") ? "2019-09" : "draft7"
  let ajv = instances.get(dialect)
  if (ajv === undefined) {
    const module = require(dialect === "2020-12" ? "ajv/dist/2020.js" : dialect === "2019-09" ? "ajv/dist/2019.js" : "ajv") as {
      readonly default: new(o: typeof options) => AjvType.default
    }
    ajv = new module.default(options)
    instances.set(dialect, ajv)
  }
  return ajv
}

/** A compiled schema: `Right(value)` when valid, `Left(readable problems)` when not. */
export type Validate = (value: unknown) => Either.Either<unknown, string>

/** Compiles `schema`; `Left` holds the compile error. */
export const compile = (schema: Record<string, unknown>): Either.Either<Validate, string> => {
  try {
    const check = ajvFor(schema).compile(schema)
    return Either.right((value) =>
      check(value)
        ? Either.right(value)
        : Either.left((check.errors ?? []).map((e) => `${e.instancePath || "(root)"} ${e.message ?? "is invalid"}`).join("; "))
    )
  } catch (error) {
    return Either.left(error instanceof Error ? error.message : String(error))
  }
}
