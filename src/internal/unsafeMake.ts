/**
 * Builds an instance of a `Schema.Class` from fields already known to be valid, without its constructor.
 * A Schema.Class constructor costs about 1.2 µs even with validation off; the run loop builds several
 * records a step from data it made itself, so it uses this instead. The instance is what the constructor
 * would make: `instanceof` holds and encoding works.
 */
export const unsafeMake = <C extends abstract new(...args: any) => any>(
  klass: C,
  fields: ConstructorParameters<C>[0]
): InstanceType<C> => Object.assign(Object.create(klass.prototype), fields)
