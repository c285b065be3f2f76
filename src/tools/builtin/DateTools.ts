/**
 * The date builtins `date_parse` (a date in ISO 8601, RFC 2822 or a Unix timestamp, described) and
 * `date_diff` (the time between two dates in a unit). Pure: they read no clock.
 *
 * @since 0.2.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Tool from "../Tool.js"
import { type BuiltinToolError, quote, refuse } from "./BuiltinToolError.js"

const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

/**
 * Reads a date: an ISO 8601 date or date-time (a date-time without offset is UTC), an RFC 2822 date, or
 * a Unix timestamp in seconds (or milliseconds, when 13 digits or more). Undefined when it is none.
 *
 * @since 0.2.0
 * @category parsing
 */
export const parseDate = (text: string): Date | undefined => {
  const s = text.trim()
  if (s === "" || s.length > 100) return undefined
  if (/^-?\d+(\.\d+)?$/.test(s)) {
    const n = Number(s)
    const ms = s.replace(/^-/, "").split(".")[0]!.length >= 13 ? n : n * 1000
    const d = new Date(ms)
    return Number.isNaN(d.getTime()) ? undefined : d
  }
  const iso = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i
  if (iso.test(s)) {
    const normalized = s.replace(" ", "T")
    const withZone = /T/.test(normalized) && !/(Z|[+-]\d{2}:?\d{2})$/i.test(normalized) ? `${normalized}Z` : normalized
    const d = new Date(withZone)
    return Number.isNaN(d.getTime()) ? undefined : d
  }
  // RFC 2822 ("Tue, 1 Jul 2025 10:00:00 +0200") and the like, with an explicit zone only
  if (/[A-Za-z]{3}/.test(s) && /(GMT|UTC|Z|[+-]\d{4})\s*$/.test(s)) {
    const d = new Date(s)
    return Number.isNaN(d.getTime()) ? undefined : d
  }
  return undefined
}

const invalid = (toolName: string, argument: string, text: string): BuiltinToolError =>
  refuse(
    toolName,
    argument,
    `${quote(text)} is not a date: use ISO 8601 ("2026-03-01", "2026-03-01T12:00:00+01:00"), RFC 2822 or a Unix timestamp`
  )

/**
 * Parameters of `date_parse`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const ParseParameters = Schema.Struct({
  date: Schema.String.annotations({ description: "The date: ISO 8601, RFC 2822, or a Unix timestamp." })
})

/**
 * Makes the `date_parse` tool.
 *
 * @since 0.2.0
 * @category constructors
 */
export const makeParse = (options?: { readonly name?: string; readonly timeoutMs?: number }) => {
  const name = options?.name ?? "date_parse"
  return Tool.make(name, {
    // pure
    concurrencySafe: true,
    description: "Parses a date (ISO 8601, RFC 2822 or a Unix timestamp) and gives its UTC ISO form, epoch " +
      "milliseconds, year, month, day, weekday, day of the year and ISO week.",
    parameters: ParseParameters,
    ...(options?.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    handler: ({ date }) => {
      const d = parseDate(date)
      if (!d) return Effect.fail(invalid(name, "date", date))
      const start = Date.UTC(d.getUTCFullYear(), 0, 1)
      const dayOfYear = Math.floor((d.getTime() - start) / 86_400_000) + 1
      // ISO week: the week holding the year's first Thursday is week 1
      const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()))
      t.setUTCDate(t.getUTCDate() - ((t.getUTCDay() + 6) % 7) + 3)
      const thursday = t.getTime()
      t.setUTCMonth(0, 1)
      if (t.getUTCDay() !== 4) t.setUTCMonth(0, 1 + ((4 - t.getUTCDay() + 7) % 7))
      const isoWeek = 1 + Math.round((thursday - t.getTime()) / 604_800_000)
      return Effect.succeed({
        iso: d.toISOString(),
        epochMs: d.getTime(),
        year: d.getUTCFullYear(),
        month: d.getUTCMonth() + 1,
        day: d.getUTCDate(),
        weekday: WEEKDAYS[d.getUTCDay()]!,
        dayOfYear,
        isoWeek
      })
    }
  })
}

/**
 * The units of `date_diff`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const Unit = Schema.Literal("milliseconds", "seconds", "minutes", "hours", "days", "weeks")

const UNIT_MS: Record<typeof Unit.Type, number> = {
  milliseconds: 1,
  seconds: 1000,
  minutes: 60_000,
  hours: 3_600_000,
  days: 86_400_000,
  weeks: 604_800_000
}

/**
 * Parameters of `date_diff`.
 *
 * @since 0.2.0
 * @category schemas
 */
export const DiffParameters = Schema.Struct({
  date1: Schema.String.annotations({ description: "The first date (ISO 8601, RFC 2822 or a Unix timestamp)." }),
  date2: Schema.String.annotations({ description: "The second date." }),
  unit: Schema.optional(Unit.annotations({ description: "The unit of the difference (default \"days\")." }))
})

/**
 * Makes the `date_diff` tool: `date2 - date1` in the unit (negative when date2 is earlier).
 *
 * @since 0.2.0
 * @category constructors
 */
export const makeDiff = (options?: { readonly name?: string; readonly timeoutMs?: number }) => {
  const name = options?.name ?? "date_diff"
  return Tool.make(name, {
    // pure
    concurrencySafe: true,
    description: "Computes date2 minus date1 in a unit (milliseconds, seconds, minutes, hours, days or weeks; " +
      "fractional), negative when date2 is earlier.",
    parameters: DiffParameters,
    ...(options?.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    handler: ({ date1, date2, unit = "days" }) => {
      const a = parseDate(date1)
      if (!a) return Effect.fail(invalid(name, "date1", date1))
      const b = parseDate(date2)
      if (!b) return Effect.fail(invalid(name, "date2", date2))
      const ms = b.getTime() - a.getTime()
      return Effect.succeed({ date1: a.toISOString(), date2: b.toISOString(), unit, difference: ms / UNIT_MS[unit] })
    }
  })
}
