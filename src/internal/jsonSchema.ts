/**
 * JSON Schema validation with Ajv: draft-07 by default, 2019-09 or 2020-12 when the schema's `$schema`
 * says so. One place for the runtime's output schemas, tools declared by JSON Schema, and config checks.
 */
import Ajv from "ajv"
import Ajv2019 from "ajv/dist/2019.js"
import Ajv2020 from "ajv/dist/2020.js"
import * as Either from "effect/Either"

const options = { allErrors: true, strict: false, logger: false } as const
const instances = {
  draft7: new Ajv.default(options),
  "2019-09": new Ajv2019.default(options),
  "2020-12": new Ajv2020.default(options)
}

const ajvFor = (schema: Record<string, unknown>) => {
  const dialect = typeof schema["$schema"] === "string" ? schema["$schema"] : ""
  if (dialect.includes("2020-12")) return instances["2020-12"]
  if (dialect.includes("2019-09")) return instances["2019-09"]
  return instances.draft7
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
