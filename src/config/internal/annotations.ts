/**
 * The annotations a config Schema carries for the loader's error formatter. They live apart from
 * AppConfig.ts so that the formatter (and the registry, which uses it) need not import AppConfig.
 *
 * @since 0.2.0
 */
/**
 * Annotation naming what a string literal union lists (e.g. `"memory type"`), so that a wrong value
 * reads `unknown memory type 'bufer' (did you mean 'buffer'?)`.
 *
 * @since 0.1.0
 * @category annotations
 */
export const NounAnnotationId: unique symbol = Symbol.for("openagents/config/Noun")

/**
 * Annotation on a refinement giving the message (and hint) shown when its predicate fails.
 *
 * @since 0.1.0
 * @category annotations
 */
export const MessageAnnotationId: unique symbol = Symbol.for("openagents/config/Message")

/**
 * The value of {@link MessageAnnotationId}.
 *
 * @since 0.1.0
 * @category annotations
 */
export interface ConfigMessage {
  readonly message: (actual: unknown) => string
  readonly hint?: (actual: unknown) => string | undefined
}
