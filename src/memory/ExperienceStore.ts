/**
 * Experiences: rules learnt from feedback ("when doing X, do Y"), kept per scope (`agent:<agent id>`)
 * and found again by relevance to a task. The store's search ranks by relevance (BM25 over the condition
 * and the rule), weighted by confidence and recency. The in-memory store is here; the SQLite one (FTS5)
 * is `SqliteExperienceStore`.
 *
 * @since 0.3.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"

/**
 * One experience. `evidence` names the trace steps it was learnt from; `source` says how (`feedback`).
 *
 * @since 0.3.0
 * @category models
 */
export class Experience extends Schema.Class<Experience>("Experience")({
  experienceId: Schema.String,
  scope: Schema.String,
  condition: Schema.String,
  rule: Schema.String,
  evidence: Schema.Array(Schema.String),
  source: Schema.String,
  confidence: Schema.Number,
  createdAtMs: Schema.Number,
  updatedAtMs: Schema.Number
}) {}

/**
 * What an edit may change.
 *
 * @since 0.3.0
 * @category models
 */
export interface ExperiencePatch {
  readonly condition?: string | undefined
  readonly rule?: string | undefined
  readonly confidence?: number | undefined
  readonly scope?: string | undefined
}

/**
 * A search: the experiences of `scope` most relevant to `query`, at most `limit`.
 *
 * @since 0.3.0
 * @category models
 */
export interface SearchQuery {
  readonly scope: string
  readonly query: string
  readonly limit: number
  /** The time recency is measured from. */
  readonly nowMs: number
}

/**
 * An experience store failed.
 *
 * @since 0.3.0
 * @category errors
 */
export class ExperienceStoreError extends Schema.TaggedError<ExperienceStoreError>()("ExperienceStoreError", {
  operation: Schema.String,
  message: Schema.String
}) {
  /** @since 0.3.0 */
  readonly retryable = false as const
}

/**
 * No experience has this id.
 *
 * @since 0.3.0
 * @category errors
 */
export class ExperienceNotFound extends Schema.TaggedError<ExperienceNotFound>()("ExperienceNotFound", {
  experienceId: Schema.String
}) {
  /** @since 0.3.0 */
  readonly retryable = false as const
  override get message() {
    return `no experience '${this.experienceId}'`
  }
}

/**
 * What an experience store implements.
 *
 * @since 0.3.0
 * @category models
 */
export interface Service {
  readonly add: (experience: Experience) => Effect.Effect<void, ExperienceStoreError>
  readonly get: (experienceId: string) => Effect.Effect<Option.Option<Experience>, ExperienceStoreError>
  /** Every experience (of `scope` when given), newest first. */
  readonly list: (filter?: { readonly scope?: string | undefined }) => Effect.Effect<ReadonlyArray<Experience>, ExperienceStoreError>
  /** The most relevant experiences first; none that shares no word with the query. */
  readonly search: (query: SearchQuery) => Effect.Effect<ReadonlyArray<Experience>, ExperienceStoreError>
  readonly update: (
    experienceId: string,
    patch: ExperiencePatch,
    nowMs: number
  ) => Effect.Effect<Experience, ExperienceStoreError | ExperienceNotFound>
  /** False when there was no such experience. */
  readonly remove: (experienceId: string) => Effect.Effect<boolean, ExperienceStoreError>
}

/**
 * The experience store.
 *
 * @since 0.3.0
 * @category tags
 */
export class ExperienceStore extends Context.Tag("openagents/ExperienceStore")<ExperienceStore, Service>() {}

/**
 * The words of a text, lowercased (letters and digits of any script).
 *
 * @since 0.3.0
 * @category utils
 */
export const words = (text: string): Array<string> => text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []

const DAY = 86_400_000

/**
 * The weight of an experience beside its relevance: confidence (0 to 1) counts half, and an experience
 * loses half of its recency weight after 90 days without an edit.
 *
 * @since 0.3.0
 * @category utils
 */
export const weight = (e: Pick<Experience, "confidence" | "updatedAtMs">, nowMs: number): number => {
  const ageDays = Math.max(0, nowMs - e.updatedAtMs) / DAY
  return (0.5 + 0.5 * Math.min(1, Math.max(0, e.confidence))) * (0.75 + 0.25 / (1 + ageDays / 90))
}

/**
 * A document as BM25 reads it: its length in words and how often each word occurs.
 *
 * @since 0.3.0
 * @category models
 */
export interface Indexed {
  readonly length: number
  readonly counts: ReadonlyMap<string, number>
}

/**
 * The BM25 view of a text.
 *
 * @since 0.3.0
 * @category utils
 */
export const indexed = (text: string): Indexed => {
  const ws = words(text)
  const counts = new Map<string, number>()
  for (const w of ws) counts.set(w, (counts.get(w) ?? 0) + 1)
  return { length: ws.length, counts }
}

/**
 * BM25 scores of `docs` for `query` (k1 = 1.2, b = 0.75); 0 for a document that shares no word with it.
 *
 * @since 0.3.0
 * @category utils
 */
export const bm25 = (query: string, docs: ReadonlyArray<Indexed>): Array<number> => {
  const terms = [...new Set(words(query))]
  const n = docs.length
  if (n === 0 || terms.length === 0) return docs.map(() => 0)
  const avg = docs.reduce((s, d) => s + d.length, 0) / n || 1
  const idf = terms.map((t) => {
    let df = 0
    for (const d of docs) if (d.counts.has(t)) df++
    return Math.log(1 + (n - df + 0.5) / (df + 0.5))
  })
  return docs.map((d) => {
    let score = 0
    for (let k = 0; k < terms.length; k++) {
      const f = d.counts.get(terms[k]!)
      if (f) score += idf[k]! * (f * 2.2) / (f + 1.2 * (0.25 + 0.75 * d.length / avg))
    }
    return score
  })
}

/**
 * Builds an in-memory experience store.
 *
 * @since 0.3.0
 * @category constructors
 */
export const makeInMemory: Effect.Effect<Service> = Effect.sync(() => {
  const items = new Map<string, { experience: Experience; doc: Indexed }>()
  const index = (e: Experience) => ({ experience: e, doc: indexed(`${e.condition} ${e.rule}`) })
  return ExperienceStore.of({
    add: (e) => Effect.sync(() => void items.set(e.experienceId, index(e))),
    get: (id) => Effect.sync(() => Option.fromNullable(items.get(id)?.experience)),
    list: (filter) =>
      Effect.sync(() =>
        [...items.values()].map((i) => i.experience).filter((e) => filter?.scope === undefined || e.scope === filter.scope)
          .reverse().sort((a, b) => b.createdAtMs - a.createdAtMs)
      ),
    search: (q) =>
      Effect.sync(() => {
        const scoped = [...items.values()].filter((i) => i.experience.scope === q.scope)
        const scores = bm25(q.query, scoped.map((i) => i.doc))
        return scoped
          .map((i, k) => ({ e: i.experience, s: scores[k]! * weight(i.experience, q.nowMs) }))
          .filter((r) => r.s > 0)
          .sort((a, b) => b.s - a.s)
          .slice(0, q.limit)
          .map((r) => r.e)
      }),
    update: (id, patch, nowMs) =>
      Effect.suspend(() => {
        const found = items.get(id)
        if (!found) return Effect.fail(new ExperienceNotFound({ experienceId: id }))
        const next = new Experience({ ...found.experience, ...definedOf(patch), updatedAtMs: nowMs })
        items.set(id, index(next))
        return Effect.succeed(next)
      }),
    remove: (id) => Effect.sync(() => items.delete(id))
  })
})

/**
 * The fields of a patch that are set.
 *
 * @since 0.3.0
 * @category utils
 */
export const definedOf = (patch: ExperiencePatch): { -readonly [K in keyof ExperiencePatch]?: Exclude<ExperiencePatch[K], undefined> } =>
  Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined))

/**
 * The in-memory experience store as a Layer.
 *
 * @since 0.3.0
 * @category layers
 */
export const layerInMemory: Layer.Layer<ExperienceStore> = Layer.effect(ExperienceStore, makeInMemory)
