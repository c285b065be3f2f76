/**
 * The live status line of a run on a terminal: on stderr, what the run is doing now (a model call with
 * its elapsed time, a tool running, a retry and its delay), and in text format one line per finished
 * tool call. Only when stdout and stderr are both terminals and NO_COLOR is not set: in a pipe, a log
 * file or CI it would be noise between the lines a program reads.
 *
 * @since 0.2.0
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import * as Schedule from "effect/Schedule"
import type { EventBus } from "../../events/EventBus.js"
import type { RuntimeEvent } from "../../kernel/EventTaxonomy.js"
import { colorAllowed } from "./terminal.js"

const CLEAR = "\r\u001b[2K"
const DIM = "\u001b[2m"
const RED = "\u001b[31m"
const GREEN = "\u001b[32m"
const RESET = "\u001b[0m"
const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]

/**
 * What the run's printer tells the status line, so that the line never lands inside the answer.
 *
 * @since 0.2.0
 * @category models
 */
export interface StatusLine {
  /** The answer's text is being written on the current line: hide the status until it ends. */
  readonly textStarted: Effect.Effect<void>
  /** The answer's line has ended. */
  readonly textEnded: Effect.Effect<void>
}

const none: StatusLine = { textStarted: Effect.void, textEnded: Effect.void }

let held = false

/**
 * Hides every status line of the process while a question is asked on the terminal (an approval): the
 * line is cleared and not drawn again until `hold(false)`. Synchronous, so nothing is drawn between the
 * clearing and the question.
 *
 * @since 0.3.0
 * @category terminal
 */
export const hold = (on: boolean): void => {
  held = on
  if (on && statusEnabled()) process.stderr.write(CLEAR)
}

/**
 * Whether a status line is shown: stdout and stderr are terminals and colours are allowed.
 *
 * @since 0.2.0
 * @category terminal
 */
export const statusEnabled = (): boolean => colorAllowed(process.stdout) && colorAllowed(process.stderr)

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`

const brief = (value: unknown, max = 60): string => {
  const text = typeof value === "string" ? value : JSON.stringify(value) ?? ""
  const flat = text.replace(/\s+/g, " ")
  return flat.length > max ? flat.slice(0, max - 1) + "…" : flat
}

/**
 * Shows the status line of the run `runId` for the rest of the scope (and clears it when the scope
 * closes); a no-op StatusLine when `statusEnabled()` is false.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (
  bus: EventBus["Type"],
  runId: string,
  format: "text" | "json" | "events"
) =>
  Effect.gen(function*() {
    if (!statusEnabled()) return none
    const events = yield* bus.subscribe
    let label = "starting"
    let since = yield* Clock.currentTimeMillis
    let shown = false
    let textOpen = false
    let frame = 0
    const tools = new Map<string, number>()

    const clear = () => {
      if (shown) process.stderr.write(CLEAR)
      shown = false
    }
    const draw = (now: number) => {
      if (textOpen || held) return
      frame = (frame + 1) % FRAMES.length
      process.stderr.write(`${CLEAR}${DIM}${FRAMES[frame]} ${label} ${seconds(now - since)}${RESET}`)
      shown = true
    }
    const set = (text: string, now: number) => {
      label = text
      since = now
      draw(now)
    }
    const handle = (event: RuntimeEvent, now: number) => {
      if (event.runId !== runId) return
      switch (event.name) {
        case "run.started":
          return set("running", now)
        case "session.waiting":
          return set(`waiting for ${event.payload.ahead} run${event.payload.ahead === 1 ? "" : "s"} on the session`, now)
        case "llm.called":
          return set(`model ${event.payload.model} (step ${event.payload.step})`, now)
        case "llm.retry":
          return set(`retry ${event.payload.attempt} in ${seconds(event.payload.delayMs)} after ${brief(event.payload.error, 50)}`, now)
        case "tool.started":
          tools.set(event.payload.callId, now)
          return set(`tool ${event.payload.toolId} ${brief(event.payload.params, 40)}`, now)
        case "tool.finished": {
          const started = tools.get(event.payload.callId) ?? now
          tools.delete(event.payload.callId)
          if (format === "text") {
            clear()
            const mark = event.payload.error === undefined ? `${GREEN}✓${RESET}` : `${RED}✗${RESET}`
            const detail = event.payload.error === undefined ? brief(event.payload.result) : brief(event.payload.error)
            process.stderr.write(`${mark} ${event.payload.toolId} ${DIM}${detail} (${now - started} ms)${RESET}\n`)
          }
          return set("running", now)
        }
        case "run.finished":
          label = "done"
          return clear()
        default:
          return
      }
    }
    yield* Queue.take(events).pipe(
      Effect.flatMap((event) => Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sync(() => handle(event, now)))),
      Effect.forever,
      Effect.forkScoped
    )
    // The elapsed time moves on between events: redraw a few times a second
    yield* Clock.currentTimeMillis.pipe(
      Effect.flatMap((now) => Effect.sync(() => label !== "done" && draw(now))),
      Effect.repeat(Schedule.spaced("120 millis")),
      Effect.forkScoped
    )
    yield* Effect.addFinalizer(() => Effect.sync(clear))
    const line: StatusLine = {
      textStarted: Effect.sync(() => {
        clear()
        textOpen = true
      }),
      textEnded: Effect.sync(() => {
        textOpen = false
      })
    }
    return line
  })
