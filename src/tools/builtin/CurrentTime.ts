/**
 * The `current_time` builtin: the current date and time in a given IANA timezone. The time comes from
 * Effect's `Clock`, so a `TestClock` controls it in tests and a durable replay can pin it.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as Tool from "../Tool.js"

/**
 * The timezone is not one the runtime knows.
 *
 * @since 0.1.0
 * @category errors
 */
export class CurrentTimeError extends Schema.TaggedError<CurrentTimeError>()("CurrentTimeError", {
  timezone: Schema.String,
  message: Schema.String
}) {
  /** @since 0.1.0 */
  readonly retryable = false as const
  /** @since 0.1.0 */
  get hint() {
    return "Use an IANA timezone name such as 'UTC', 'Europe/Paris', 'America/New_York' or 'Asia/Tokyo'."
  }
}

/**
 * Parameters of `current_time`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Parameters = Schema.Struct({
  timezone: Schema.optional(Schema.String.annotations({
    description: "IANA timezone name such as \"UTC\", \"Europe/Paris\", \"America/New_York\" or \"Asia/Tokyo\". " +
      "Defaults to \"UTC\"."
  }))
})

/**
 * What `current_time` returns.
 *
 * @since 0.1.0
 * @category models
 */
export interface Result {
  /** The timezone the local time is given in. */
  readonly timezone: string
  /** The instant as an ISO 8601 string in UTC, e.g. `2026-11-21T13:03:05.000Z`. */
  readonly iso: string
  /** The wall-clock time in the timezone, `YYYY-MM-DD HH:mm:ss`. */
  readonly local: string
  /** The weekday in the timezone, e.g. `Saturday`. */
  readonly weekday: string
  /** The timezone's offset from UTC at that instant, e.g. `+01:00`. */
  readonly utcOffset: string
  readonly epochMs: number
}

interface Formatter {
  readonly timezone: string
  readonly format: (epochMs: number) => Omit<Result, "timezone" | "iso" | "epochMs">
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0")

/**
 * Checks a timezone name and returns a formatter for it; `Left` holds the reason it was rejected.
 */
const formatter = (timezone: string): Either.Either<Formatter, CurrentTimeError> => {
  const requested = timezone.trim()
  let dtf: Intl.DateTimeFormat
  try {
    if (requested === "") throw new RangeError("empty")
    dtf = new Intl.DateTimeFormat("en-US", {
      timeZone: requested,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      weekday: "long"
    })
  } catch {
    return Either.left(
      new CurrentTimeError({
        timezone,
        message: `Unknown timezone '${timezone}': use an IANA timezone name such as 'UTC', 'Europe/Paris' ` +
          `or 'America/New_York'`
      })
    )
  }
  // Report the canonical spelling ("europe/paris" -> "Europe/Paris") without ICU's legacy renames
  // (ICU resolves "Asia/Kolkata" to "Asia/Calcutta").
  const lower = requested.toLowerCase()
  const resolved = dtf.resolvedOptions().timeZone
  const canonical = Intl.supportedValuesOf("timeZone").find((tz) => tz.toLowerCase() === lower) ??
    (resolved.toLowerCase() === lower ? resolved : requested)
  return Either.right({
    timezone: canonical,
    format: (epochMs) => {
      const parts: Record<string, string> = {}
      for (const part of dtf.formatToParts(epochMs)) parts[part.type] = part.value
      const [year, month, day, hour, minute, second] = ["year", "month", "day", "hour", "minute", "second"].map(
        (type) => Number(parts[type])
      ) as [number, number, number, number, number, number]
      // The offset is the wall-clock time read as if it were UTC, minus the instant (whole seconds).
      const wallAsUtc = Date.UTC(year, month - 1, day, hour, minute, second)
      const offsetMinutes = Math.round((wallAsUtc - Math.floor(epochMs / 1000) * 1000) / 60_000)
      const sign = offsetMinutes < 0 ? "-" : "+"
      const abs = Math.abs(offsetMinutes)
      return {
        local: `${pad(year, 4)}-${pad(month)}-${pad(day)} ${pad(hour)}:${pad(minute)}:${pad(second)}`,
        weekday: parts["weekday"] ?? "",
        utcOffset: `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
      }
    }
  })
}

/**
 * Reads the current time from the `Clock` and describes it in `timezone`.
 *
 * @since 0.1.0
 * @category evaluation
 */
export const now = (timezone: string): Effect.Effect<Result, CurrentTimeError> =>
  Effect.flatMap(Either.match(formatter(timezone), { onLeft: Effect.fail, onRight: Effect.succeed }), (f) =>
    Effect.map(Clock.currentTimeMillis, (epochMs) => ({
      timezone: f.timezone,
      iso: new Date(epochMs).toISOString(),
      ...f.format(epochMs),
      epochMs
    })))

/**
 * Checks that a timezone name is valid (used to validate configuration).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isValidTimezone = (timezone: string): boolean => Either.isRight(formatter(timezone))

/**
 * Options of {@link make}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The tool's name as the model sees it (default `current_time`). */
  readonly name?: string
  /** The timezone used when the model gives none (default `UTC`). */
  readonly defaultTimezone?: string
  readonly timeoutMs?: number
}

/**
 * The description the model sees.
 *
 * @since 0.1.0
 * @category constants
 */
export const description =
  "Returns the current date and time. Use it whenever you need to know today's date, the day of the week or " +
  "the time somewhere: you cannot know them otherwise. Gives the UTC ISO timestamp, the local wall-clock time " +
  "and weekday in the requested IANA timezone, its UTC offset and the Unix epoch in milliseconds."

/**
 * Makes the `current_time` tool. Throws when `defaultTimezone` is not a valid timezone.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: Options): Tool.Tool<typeof Parameters.Type> => {
  const defaultTimezone = options?.defaultTimezone ?? "UTC"
  if (!isValidTimezone(defaultTimezone)) {
    throw new Error(`Invalid default timezone '${defaultTimezone}': use an IANA timezone name such as 'Europe/Paris'`)
  }
  return Tool.make(options?.name ?? "current_time", {
    description: defaultTimezone === "UTC"
      ? description
      : `${description} Without a timezone it answers for ${defaultTimezone}.`,
    parameters: Parameters,
    // reads the clock only
    concurrencySafe: true,
    ...(options?.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    handler: ({ timezone }) => now(timezone ?? defaultTimezone)
  })
}
