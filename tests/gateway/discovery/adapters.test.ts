import { describe, expect, it } from 'vitest';
import { readAdapters, type AdapterReading } from '../../../gateway/discovery/adapters.js';

const model = (spec: unknown) => ({ metadata: { namespace: 'a', name: 'chat' }, spec });
const source = { pvc: { claimName: 'loras', path: 'fr.gguf' } };
const NAME_RULE = 'must be 1 to 63 letters, digits, ".", "_" or "-", starting with a letter or digit';

describe('readAdapters: spec.adapters[].name, read defensively', () => {
  const table: Array<[string, unknown, AdapterReading]> = [
    ['no spec', undefined, { names: [], skipped: [] }],
    ['no adapters', { replicas: 1 }, { names: [], skipped: [] }],
    ['null adapters', { adapters: null }, { names: [], skipped: [] }],
    [
      'names in the spec order; source and scale are the operator’s',
      {
        adapters: [
          { name: 'fr', source, scale: 0.5 },
          { name: 'De.v2_x-1', source },
        ],
      },
      { names: ['fr', 'De.v2_x-1'], skipped: [] },
    ],
    [
      'adapters that are no list',
      { adapters: { name: 'fr' } },
      { names: [], skipped: [{ field: 'spec.adapters', reason: 'must be a list' }] },
    ],
    [
      'an entry that is no object',
      { adapters: ['fr', { name: 'de' }] },
      { names: ['de'], skipped: [{ field: 'spec.adapters[0]', reason: 'must be an object' }] },
    ],
    [
      'a name that is no string, or missing',
      { adapters: [{ name: 7 }, { source }, { name: 'de' }] },
      {
        names: ['de'],
        skipped: [
          { field: 'spec.adapters[0].name', reason: 'must be a string' },
          { field: 'spec.adapters[1].name', reason: 'must be a string' },
        ],
      },
    ],
    [
      'names that are no adapter names: empty, a first character not a letter or digit, a colon, too long',
      {
        adapters: [{ name: '' }, { name: '-fr' }, { name: 'f:r' }, { name: 'x'.repeat(64) }, { name: 'y'.repeat(63) }],
      },
      {
        names: ['y'.repeat(63)],
        skipped: [0, 1, 2, 3].map((i) => ({ field: `spec.adapters[${i}].name`, reason: NAME_RULE })),
      },
    ],
    [
      'a name given twice: the first is served',
      { adapters: [{ name: 'fr' }, { name: 'fr' }] },
      { names: ['fr'], skipped: [{ field: 'spec.adapters[1].name', reason: 'repeats the adapter "fr"' }] },
    ],
    [
      'past 16 (what bounds the metrics’ model label)',
      { adapters: Array.from({ length: 17 }, (_, i) => ({ name: `a${i}` })) },
      {
        names: Array.from({ length: 16 }, (_, i) => `a${i}`),
        skipped: [{ field: 'spec.adapters[16]', reason: 'is past the 16 adapters a model may have' }],
      },
    ],
  ];
  for (const [title, spec, reading] of table) it(title, () => expect(readAdapters(model(spec))).toEqual(reading));
});
