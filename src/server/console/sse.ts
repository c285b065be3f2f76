/**
 * Server-Sent Events read with `fetch` and a ReadableStream, since `EventSource` cannot send the
 * `Authorization` header the API needs. The parser follows the WHATWG rules that matter here: `\n`,
 * `\r\n` and `\r` line ends, `data:` lines joined with `\n`, comments (`:`) ignored, one optional space
 * after the colon, an event dispatched at a blank line and only when it has data.
 */

/** One event of a stream. */
export interface SseEvent {
  readonly id: string | undefined
  readonly event: string
  readonly data: string
}

/** An incremental parser: feed it text as it arrives, it returns the events completed so far. */
export interface SseParser {
  readonly push: (text: string) => ReadonlyArray<SseEvent>
  /** The id of the last event seen, for `Last-Event-ID` on a reconnect. */
  readonly lastEventId: () => string | undefined
}

/** A new parser with no pending input. */
export const makeParser = (): SseParser => {
  let buffer = ""
  let data: Array<string> = []
  let event = ""
  let id: string | undefined
  let lastId: string | undefined
  // a "\r" at the end of a chunk may be the first half of "\r\n": wait for the next chunk to know
  let pendingCr = false

  const line = (text: string, out: Array<SseEvent>): void => {
    if (text === "") {
      if (data.length > 0) out.push({ id, event: event === "" ? "message" : event, data: data.join("\n") })
      if (id !== undefined) lastId = id
      data = []
      event = ""
      return
    }
    if (text.startsWith(":")) return
    const colon = text.indexOf(":")
    const field = colon === -1 ? text : text.slice(0, colon)
    let value = colon === -1 ? "" : text.slice(colon + 1)
    if (value.startsWith(" ")) value = value.slice(1)
    if (field === "data") data.push(value)
    else if (field === "event") event = value
    else if (field === "id" && !value.includes("\0")) id = value
  }

  return {
    push: (text) => {
      const out: Array<SseEvent> = []
      if (pendingCr && text.startsWith("\n")) text = text.slice(1)
      pendingCr = false
      buffer += text
      let start = 0
      for (let i = 0; i < buffer.length; i++) {
        const c = buffer[i]
        if (c !== "\n" && c !== "\r") continue
        line(buffer.slice(start, i), out)
        if (c === "\r") {
          if (i + 1 === buffer.length) pendingCr = true
          else if (buffer[i + 1] === "\n") i++
        }
        start = i + 1
      }
      buffer = buffer.slice(start)
      return out
    },
    lastEventId: () => lastId
  }
}

/**
 * The events of a response body, as they arrive; ends with the body (an event cut off by the end is
 * dropped, as the standard says). Leaving the loop early cancels the body, which closes the connection.
 */
export async function* readEvents(
  body: ReadableStream<Uint8Array>,
  parser: SseParser = makeParser()
): AsyncGenerator<SseEvent> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let ended = false
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      for (const e of parser.push(decoder.decode(value, { stream: true }))) yield e
    }
    ended = true
    for (const e of parser.push(decoder.decode())) yield e
  } finally {
    if (!ended) await reader.cancel().catch(() => undefined)
    reader.releaseLock()
  }
}
