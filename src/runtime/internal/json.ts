/** JSON helpers of the run loop. Private to the runtime. */

/** A value as JSON text (undefined → null; a value JSON cannot hold → its String()). */
export const jsonText = (value: unknown): string => {
  if (value === undefined) return "null"
  try {
    return JSON.stringify(value) ?? "null"
  } catch {
    return JSON.stringify(String(value))
  }
}

/** A value as JSON would keep it (undefined → null, class instances → plain data). */
export const jsonSafe = (value: unknown): unknown => {
  // plain scalars are kept as they are: no round trip on the hot path
  if (value === null || typeof value === "string" || typeof value === "boolean") return value
  if (typeof value === "number") return Number.isFinite(value) ? value : null
  return JSON.parse(jsonText(value))
}

/** A tool's result as the JSON text the model reads, or why it cannot be (cyclic, too deep, a BigInt). */
export const resultText = (value: unknown): { readonly text: string } | { readonly error: string } => {
  if (value === undefined) return { text: "null" }
  try {
    return { text: JSON.stringify(value) ?? "null" }
  } catch (e) {
    return { error: `the result cannot be sent to the model as JSON: ${(e as Error).message}` }
  }
}
