import fc from 'fast-check';

/**
 * The building blocks of the fuzz tests' bodies: text of every kind, values of every wrong kind, and
 * mutations (a value set at a path, or a field removed) applied to valid bodies.
 */

function nested(depth: number, asArrays: boolean): unknown {
  let value: unknown = 0;
  for (let i = 0; i < depth; i++) value = asArrays ? [value] : { a: value };
  return value;
}

/**
 * `[[[...]]]` and `{"a":{"a":...}}`, 100 to 20,000 deep: built once, as fast-check's map() walks
 * what it returns and would take milliseconds per deep value.
 */
export const deepNesting = fc.constantFrom(
  ...[100, 1000, 5000, 20_000].flatMap((depth) => [nested(depth, true), nested(depth, false)]),
);

/** Text of every kind: ASCII, graphemes, lone surrogates and control characters, harmony's markers. */
export const anyText = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(' ', '\u0000', '\uFFFF', '\uD800', 'é', '😀', '<|start|>assistant<|channel|>final', 'analysis'),
);
export const text = anyText.filter((t) => t.length > 0);

/** Values of every kind a field might wrongly hold. */
export const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -0, 1, -1, 0.5, 1e308, -1e308, 2 ** 53 + 2, 2 ** 31, -(2 ** 31), 5e-324),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
  fc.integer(),
  fc.double(),
  anyText,
  fc.constantFrom([], {}, [''], [null], { type: 'text' }, { type: 'image_url' }),
  fc.jsonValue({ maxDepth: 2 }),
  deepNesting,
);

export type Body = Record<string, unknown>;

/** One change to a body at a path (["messages", 0, "role"]): a value set, or the field removed. */
export interface Mutation {
  path: Array<string | number>;
  value?: unknown;
  remove?: boolean;
}

/** The body with the mutation applied, copying each level it changes (generated values stay as they were). */
function mutated(body: unknown, { path, value, remove }: Mutation): unknown {
  const [key, ...rest] = path;
  if (key === undefined) return value;
  const copy: Body | unknown[] = Array.isArray(body)
    ? [...(body as unknown[])]
    : typeof body === 'object' && body !== null
      ? { ...(body as Body) }
      : {};
  const container = copy as Record<string | number, unknown>;
  if (rest.length === 0 && remove) delete container[key];
  else container[key] = mutated(container[key], { path: rest, value, remove });
  return copy;
}

/** A value set at each of the paths. */
export const setAt = (paths: fc.Arbitrary<Array<string | number>>, value: fc.Arbitrary<unknown> = oddValue) =>
  fc.record({ path: paths, value });

/** Valid bodies, two in five as they are, the others with one or two mutations. */
export const near = (valid: fc.Arbitrary<Body>, mutation: fc.Arbitrary<Mutation>) =>
  fc
    .tuple(
      valid,
      fc.oneof(
        { arbitrary: fc.constant([]), weight: 2 },
        { arbitrary: fc.array(mutation, { minLength: 1, maxLength: 2 }), weight: 3 },
      ),
    )
    .map(([body, changes]) => changes.reduce<unknown>((changed, change) => mutated(changed, change), body));
