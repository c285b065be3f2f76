/**
 * Text that arrives in many small fragments (streamed deltas), assembled without keeping the fragments
 * alive: they are joined into one flat string every {@link FLUSH_EVERY} fragments. Appending each
 * fragment to a string builds a chain of thousands of cons strings, and keeping them in an array keeps
 * thousands of small strings; either way every young-generation GC during a long response walks and
 * copies them (scavenges were several times slower than the raw SDK's).
 */

/** Fragments kept before they are joined: short enough to stay cheap to scan, long enough to be rare. */
const FLUSH_EVERY = 128

/**
 * A string built from fragments.
 *
 * @since 0.5.0
 * @category models
 */
export class TextBuilder {
  private text: string
  private pending: Array<string> = []

  constructor(initial?: string | null) {
    this.text = initial ?? ""
  }

  /** Appends a fragment. */
  push(fragment: string): void {
    if (this.pending.push(fragment) === FLUSH_EVERY) this.flush()
  }

  /** The text so far. */
  toString(): string {
    if (this.pending.length > 0) this.flush()
    return this.text
  }

  private flush(): void {
    this.text += this.pending.join("")
    this.pending = []
  }
}
