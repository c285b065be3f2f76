/**
 * A bounded set of recent ids: the last `capacity` added are remembered, the oldest forgotten first, each
 * call O(1). (A `Set` trimmed with `delete(set.values().next().value)` is not: deleted entries stay in its
 * table until it is rehashed, and every trim walks past them, about 1.5 µs a run at 1,024 ids.) Forgetting
 * is best-effort: an id deleted and added again may be forgotten when its first slot comes round. Private
 * to the runtime.
 */
export class RecentIds {
  private readonly ring: Array<string | undefined>
  private readonly ids = new Set<string>()
  private next = 0

  constructor(private readonly capacity: number) {
    this.ring = new Array<string | undefined>(capacity).fill(undefined)
  }

  add(id: string): void {
    if (this.ids.has(id)) return
    const oldest = this.ring[this.next]
    if (oldest !== undefined) this.ids.delete(oldest)
    this.ring[this.next] = id
    this.next = (this.next + 1) % this.capacity
    this.ids.add(id)
  }

  has(id: string): boolean {
    return this.ids.has(id)
  }

  /** Forgets `id`; true when it was remembered. */
  delete(id: string): boolean {
    return this.ids.delete(id)
  }
}
