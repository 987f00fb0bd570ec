import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Token } from 'node-llama-cpp';
import { compileJsonSchema, JSON_OBJECT_GRAMMAR } from '../../../../runtime/engine/grammar/compile.js';
import { loadRandomModel, sample, validatorOf, type RandomModel } from './randomModel.js';

/**
 * The grammar alone makes a model that writes random tokens write JSON valid for the schema: each
 * schema below is sampled on random weights with several seeds, and every value is parsed with
 * JSON.parse and checked with ajv.
 */

let m: RandomModel;
beforeAll(async () => {
  m = await loadRandomModel();
});
afterAll(() => m?.dispose());

const SEEDS = [1, 2, 3, 4, 5, 6];

const PERSON = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 12 },
    age: { type: 'integer' },
    email: { type: 'string', format: 'email' },
    role: { enum: ['admin', 'user', 'guest'] },
    tags: { type: 'array', items: { type: 'string', maxLength: 6 }, maxItems: 3 },
  },
  required: ['name', 'role'],
  additionalProperties: false,
};

const SCHEMAS: [string, Record<string, unknown>][] = [
  ['a flat object, required and optional properties', PERSON],
  [
    'nested objects',
    {
      type: 'object',
      properties: {
        address: {
          type: 'object',
          properties: {
            street: { type: 'string', maxLength: 10 },
            zip: { type: 'string', minLength: 5, maxLength: 5 },
            geo: { type: 'object', properties: { lat: { type: 'number' }, lon: { type: 'number' } } },
          },
          required: ['street', 'zip', 'geo'],
        },
        active: { type: 'boolean' },
      },
      required: ['address'],
    },
  ],
  [
    'arrays: counted, of objects, and tuples',
    {
      type: 'object',
      properties: {
        people: { type: 'array', items: PERSON, minItems: 1, maxItems: 2 },
        pair: { type: 'array', prefixItems: [{ type: 'integer' }, { type: 'boolean' }], items: false },
        grid: { type: 'array', items: { type: 'array', items: { type: 'integer' }, maxItems: 3 }, maxItems: 3 },
      },
      required: ['people', 'pair', 'grid'],
    },
  ],
  [
    'enums and consts of every type',
    {
      type: 'object',
      properties: {
        status: { enum: ['on', 'off', 'x<|end|>y', 'naïve ☃ 😀'] },
        version: { const: 2 },
        mixed: { enum: [null, 1.5, false, { k: [1, 'two'] }, 'text'] },
        typed: { type: 'string', enum: ['a', 1, 'b'] },
      },
      required: ['status', 'version', 'mixed', 'typed'],
    },
  ],
  [
    'anyOf, type lists and nullable properties',
    {
      type: 'object',
      properties: {
        value: {
          anyOf: [
            { type: 'string', maxLength: 5 },
            { type: 'number' },
            { type: 'object', properties: { x: { type: 'integer' } }, required: ['x'], additionalProperties: false },
          ],
        },
        maybe: { type: ['integer', 'null'] },
        either: { type: ['string', 'boolean'], maxLength: 4 },
      },
      required: ['value', 'maybe', 'either'],
    },
  ],
  [
    'oneOf, told apart by a const property (a discriminator)',
    {
      oneOf: [
        {
          type: 'object',
          properties: { kind: { const: 'circle' }, radius: { type: 'number' } },
          required: ['kind', 'radius'],
        },
        {
          type: 'object',
          properties: { kind: { const: 'square' }, side: { type: 'number' } },
          required: ['kind', 'side'],
        },
      ],
      discriminator: { propertyName: 'kind' },
    },
  ],
  [
    'recursion through $ref: a list and a tree',
    {
      $defs: {
        node: {
          type: 'object',
          properties: { value: { type: 'integer' }, next: { anyOf: [{ $ref: '#/$defs/node' }, { type: 'null' }] } },
          required: ['value', 'next'],
        },
        tree: {
          type: 'object',
          properties: {
            label: { type: 'string', maxLength: 4 },
            children: { type: 'array', items: { $ref: '#/$defs/tree' }, maxItems: 2 },
          },
          required: ['label', 'children'],
        },
      },
      type: 'object',
      properties: { list: { $ref: '#/$defs/node' }, tree: { $ref: '#/$defs/tree' } },
      required: ['list', 'tree'],
    },
  ],
  [
    'strings with escapes, unicode and any length',
    {
      type: 'object',
      properties: {
        text: { type: 'string' },
        short: { type: 'string', maxLength: 3 },
        long: { type: 'string', minLength: 8 },
      },
      required: ['text', 'short', 'long'],
    },
  ],
  [
    'formats',
    {
      type: 'object',
      properties: Object.fromEntries(
        ['date', 'time', 'date-time', 'uuid', 'ipv4', 'email'].map((format) => [format, { type: 'string', format }]),
      ),
      required: ['date', 'time', 'date-time', 'uuid', 'ipv4', 'email'],
    },
  ],
  [
    'allOf extending an object, and required names without a declared schema',
    {
      allOf: [
        { type: 'object', properties: { id: { type: 'integer' } }, required: ['id'] },
        { properties: { note: { type: 'string', maxLength: 5 } }, required: ['extra'] },
      ],
    },
  ],
  [
    'draft-07: definitions and items as a list',
    {
      $schema: 'http://json-schema.org/draft-07/schema#',
      definitions: { flag: { type: 'boolean' } },
      type: 'array',
      items: [{ $ref: '#/definitions/flag' }, { type: 'string', maxLength: 2 }],
      additionalItems: { type: 'null' },
      maxItems: 4,
    },
  ],
  ['any value ({})', {}],
];

describe('random weights write JSON valid for the schema', () => {
  it.each(SCHEMAS)('%s', async (_name, schema) => {
    const compiled = compileJsonSchema(schema, 'response_format.json_schema.schema');
    const validate = validatorOf(schema);
    for (const seed of SEEDS) {
      const { text } = await sample(m, compiled, seed);
      const value: unknown = JSON.parse(text);
      const valid = validate(value);
      expect(valid ? null : { text, errors: validate.errors }).toBeNull();
    }
  });

  /** Tokens a model that writes many members prefers: quotes (keys, and strings that end) and commas. */
  const members = () => new Map(['"', ','].map((text) => [m.model.tokenize(text, false)[0]!, 4]));

  it('extra keys, never a declared name again (a model that prefers writing members)', async () => {
    const schema = {
      type: 'object',
      properties: { a: { type: 'integer' }, ab: { type: 'boolean' }, b: { type: 'null' } },
      additionalProperties: { type: 'string', maxLength: 3 },
    };
    const compiled = compileJsonSchema(schema, 'response_format.json_schema.schema');
    const validate = validatorOf(schema);
    const extras: string[] = [];
    for (const seed of SEEDS) {
      const { text } = await sample(m, compiled, seed, { logits: members() });
      const value = JSON.parse(text) as Record<string, unknown>;
      expect(validate(value) ? null : { text, errors: validate.errors }).toBeNull();
      // a declared name written twice would parse as one key: count them in the text
      for (const name of ['a', 'ab', 'b']) expect(text.split(`"${name}"`).length).toBeLessThanOrEqual(2);
      extras.push(...Object.keys(value).filter((key) => !['a', 'ab', 'b'].includes(key)));
    }
    expect(extras.length).toBeGreaterThan(0);
  });

  it('a map of any values, and json_object (a model that prefers writing members)', async () => {
    const map = { type: 'object', additionalProperties: true };
    const validate = validatorOf(map);
    let keys = 0;
    for (const seed of SEEDS) {
      for (const compiled of [compileJsonSchema(map, 'response_format.json_schema.schema'), JSON_OBJECT_GRAMMAR]) {
        const { text } = await sample(m, compiled, seed, { logits: members() });
        const value = JSON.parse(text) as Record<string, unknown>;
        expect(validate(value) ? null : { text, errors: validate.errors }).toBeNull();
        keys += Object.keys(value).length;
      }
    }
    expect(keys).toBeGreaterThan(0);
  });
});

describe('control tokens', () => {
  /** The vocabulary's tokens whose text is a harmony control token's: `<|...|>`. */
  function controlTokens(): Token[] {
    const vocabulary = m.model.fileInfo.metadata.tokenizer.ggml.tokens;
    const ids = vocabulary.flatMap((text, id) => (/^<\|[a-z_0-9]+\|>$/.test(text) ? [id as Token] : []));
    expect(ids.length).toBeGreaterThanOrEqual(9);
    return ids;
  }

  it('a model that prefers them by 30 logits still writes none inside a value', async () => {
    const control = controlTokens();
    const tempting = new Map(control.map((token) => [token, 30]));
    const schema = {
      type: 'object',
      properties: { a: { type: 'string' }, b: { type: 'string', maxLength: 4 } },
      required: ['a', 'b'],
    };
    const compiled = compileJsonSchema(schema, 'tools[0].function.parameters');
    for (const seed of SEEDS) {
      const { text, tokens } = await sample(m, compiled, seed, { logits: tempting });
      expect(tokens.filter((token) => control.includes(token))).toEqual([]);
      expect(validatorOf(schema)(JSON.parse(text))).toBe(true);
    }
  });

  it('(why the `<|` rule: a plain JSON string grammar lets llama.cpp match them as text)', async () => {
    const control = controlTokens();
    const tempting = new Map(control.map((token) => [token, 30]));
    const plain = { gbnf: 'root ::= "\\"" [^"\\\\\\x00-\\x1F]* "\\""\n' };
    const { tokens } = await sample(m, plain, 1, { logits: tempting, upTo: 10 });
    expect(tokens.some((token) => control.includes(token))).toBe(true);
  });
});

describe('the UTF-8 guard', () => {
  it('counted strings stay within their length: no ill-formed bytes the grammar counted as one character', async () => {
    const schema = { type: 'array', items: { type: 'string', minLength: 3, maxLength: 6 }, minItems: 3, maxItems: 3 };
    const compiled = compileJsonSchema(schema, 'response_format.json_schema.schema');
    const validate = validatorOf(schema);
    for (let seed = 1; seed <= 60; seed++) {
      const { text } = await sample(m, compiled, seed);
      expect(text).not.toContain('\uFFFD');
      expect(validate(JSON.parse(text)) ? null : text).toBeNull();
    }
  });
});

/** Schemas of the supported keywords, nested a few levels; strings counted, so values stay short. */
const schemas = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, tie('leaf'), tie('object'), tie('array'), tie('anyOf')),
  leaf: fc.oneof(
    fc.record({
      type: fc.constant('string'),
      minLength: fc.integer({ min: 0, max: 2 }),
      maxLength: fc.integer({ min: 2, max: 6 }),
    }),
    fc.constantFrom('integer', 'number', 'boolean', 'null').map((type) => ({ type })),
    fc.constantFrom('date', 'time', 'uuid', 'ipv4').map((format) => ({ type: 'string', format })),
    fc
      .uniqueArray(fc.jsonValue({ maxDepth: 1 }), { minLength: 1, maxLength: 4, selector: (v) => JSON.stringify(v) })
      .map((values) => ({ enum: values })),
    fc.jsonValue({ maxDepth: 1 }).map((value) => ({ const: value })),
    fc.constant({ type: ['integer', 'null'] }),
  ),
  object: fc
    .record({
      properties: fc.dictionary(fc.string({ minLength: 1, maxLength: 4 }), tie('node'), { maxKeys: 3 }),
      required: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
      additionalProperties: fc.oneof(fc.constant(undefined), fc.constant(false), tie('leaf')),
    })
    .map(({ properties, required, additionalProperties }) => ({
      type: 'object',
      properties,
      required: Object.keys(properties).filter((_, i) => required[i]),
      ...(additionalProperties === undefined ? {} : { additionalProperties }),
    })),
  array: fc
    .record({ items: tie('node'), minItems: fc.integer({ min: 0, max: 1 }), maxItems: fc.integer({ min: 1, max: 3 }) })
    .map((array) => ({ type: 'array', ...array })),
  anyOf: fc.array(tie('node'), { minLength: 1, maxLength: 3 }).map((options) => ({ anyOf: options })),
})).node;

describe('generated schemas (fast-check)', () => {
  it('any schema of the supported keywords compiles, and random weights write values valid for it', async () => {
    await fc.assert(
      fc.asyncProperty(schemas, fc.integer({ min: 1, max: 1_000_000 }), async (schema, seed) => {
        const root = schema as Record<string, unknown>;
        const { text } = await sample(m, compileJsonSchema(root, 'response_format.json_schema.schema'), seed);
        const validate = validatorOf(root);
        expect(validate(JSON.parse(text)) ? null : { text, errors: validate.errors }).toBeNull();
      }),
      { numRuns: 40, seed: 12 },
    );
  });
});
