import { describe, expect, it } from 'vitest';
import type { ReasoningEffort } from '../../../contract/models.js';
import { capEffort } from '../../../gateway/relay/effort.js';
import { resolveModel } from '../../../gateway/relay/models.js';
import { goDuration, rateLimitHeaders } from '../../../gateway/relay/rateLimits.js';
import type { KeyPolicy } from '../../../gateway/types.js';
import { FixedModelDirectory, OPEN_POLICY } from './fakes.js';

describe('goDuration: seconds as OpenAI writes x-ratelimit-reset-*', () => {
  const table: Array<[number, string]> = [
    [0, '0s'],
    [0.0004, '0s'],
    [0.017, '17ms'],
    [1, '1s'],
    [2.256, '2.256s'],
    [59.9994, '59.999s'],
    [60, '1m0s'],
    [360, '6m0s'],
    [61.5, '1m1.5s'],
    [3600, '1h0m0s'],
    [3723, '1h2m3s'],
    [-3, '0s'],
  ];
  for (const [seconds, text] of table) it(`${seconds} s is ${text}`, () => expect(goDuration(seconds)).toBe(text));
});

describe('rateLimitHeaders', () => {
  it('sends the limits a key has, in the order OpenAI sends them', () => {
    expect(
      rateLimitHeaders({
        requests: { limit: 60, remaining: 0, resetSeconds: 0.5 },
        tokens: { limit: 1000, remaining: 10, resetSeconds: 30 },
      }),
    ).toEqual([
      ['x-ratelimit-limit-requests', '60'],
      ['x-ratelimit-limit-tokens', '1000'],
      ['x-ratelimit-remaining-requests', '0'],
      ['x-ratelimit-remaining-tokens', '10'],
      ['x-ratelimit-reset-requests', '500ms'],
      ['x-ratelimit-reset-tokens', '30s'],
    ]);
    expect(rateLimitHeaders({ requests: null, tokens: { limit: 5, remaining: 5, resetSeconds: 0 } })).toEqual([
      ['x-ratelimit-limit-tokens', '5'],
      ['x-ratelimit-remaining-tokens', '5'],
      ['x-ratelimit-reset-tokens', '0s'],
    ]);
    expect(rateLimitHeaders({ requests: null, tokens: null })).toEqual([]);
  });
});

describe("capEffort: at most the key's cap; none asked counts as medium", () => {
  const table: Array<[unknown, ReasoningEffort | null, string | null]> = [
    ['high', null, null],
    ['high', 'low', 'high->low'],
    ['high', 'medium', 'high->medium'],
    ['medium', 'low', 'medium->low'],
    ['low', 'low', null],
    ['medium', 'high', null],
    [undefined, 'low', 'medium->low'],
    [null, 'low', 'medium->low'],
    [undefined, 'medium', null],
    // not an effort: the runtime refuses it in its own words
    ['extreme', 'low', null],
    [3, 'low', null],
  ];
  for (const [asked, cap, header] of table) {
    it(`${String(asked)} under ${String(cap)}: ${String(header)}`, () => {
      const capped = capEffort(asked, cap);
      expect(capped && capped.header).toBe(header);
      if (capped) expect(capped.served).toBe(cap);
    });
  }
});

const OFF = { replicas: 0, mode: 'off' } as const;

describe('resolveModel: ids and bare names, for a key', () => {
  const directory = new FixedModelDirectory([
    { namespace: 'a', name: 'chat', replicas: [], scaling: OFF, adapters: ['fr', 'de'] },
    { namespace: 'b', name: 'chat', replicas: [], scaling: OFF, adapters: ['fr'] },
    { namespace: 'b', name: 'code', replicas: [], scaling: OFF },
  ]);
  const only = (models: string[]): KeyPolicy => ({ ...OPEN_POLICY, models });
  const resolved = (policy: KeyPolicy, asked: string) => {
    try {
      const target = resolveModel(directory, policy, asked);
      return target.id;
    } catch (error) {
      return `${(error as { code: string }).code}: ${(error as Error).message}`;
    }
  };
  const table: Array<[string, KeyPolicy, string, string]> = [
    ['an id', OPEN_POLICY, 'b/chat', 'b/chat'],
    ['a bare name one model has', OPEN_POLICY, 'code', 'b/code'],
    [
      'a bare name two models have',
      OPEN_POLICY,
      'chat',
      'invalid_argument: model "chat" names 2 models this API key may use; give one of a/chat, b/chat',
    ],
    ['a bare name one of them the key may use', only(['b/chat']), 'chat', 'b/chat'],
    [
      'no such model',
      OPEN_POLICY,
      'c/chat',
      'model_not_found: model "c/chat" is not served here; GET /v1/models lists the models this API key may use',
    ],
    [
      'a model the key may not use',
      only(['b/chat']),
      'a/chat',
      'permission_denied: model "a/chat" is not allowed for this API key',
    ],
    [
      'no such model, for a key with a list',
      only(['b/chat']),
      'z/z',
      'permission_denied: model "z/z" is not allowed for this API key',
    ],
    [
      'a bare name outside the list',
      only(['b/chat']),
      'code',
      'permission_denied: model "code" is not allowed for this API key',
    ],
    [
      'allowed but not served',
      only(['c/gone']),
      'gone',
      'model_not_found: model "gone" is not served here; GET /v1/models lists the models this API key may use',
    ],
    // adapters: `<model>:<adapter>`, served by the model's replicas
    ['an adapter id', OPEN_POLICY, 'a/chat:fr', 'a/chat:fr'],
    ['a bare adapter id one model serves', OPEN_POLICY, 'chat:de', 'a/chat:de'],
    [
      'a bare adapter id two models serve',
      OPEN_POLICY,
      'chat:fr',
      'invalid_argument: model "chat:fr" names 2 models this API key may use; give one of a/chat:fr, b/chat:fr',
    ],
    [
      'an adapter the model does not have',
      OPEN_POLICY,
      'a/chat:es',
      'model_not_found: model "a/chat:es" is not served here; GET /v1/models lists the models this API key may use',
    ],
    [
      'an adapter no model of that name has, bare',
      OPEN_POLICY,
      'code:fr',
      'model_not_found: model "code:fr" is not served here; GET /v1/models lists the models this API key may use',
    ],
    [
      'an empty adapter name',
      OPEN_POLICY,
      'a/chat:',
      'model_not_found: model "a/chat:" is not served here; GET /v1/models lists the models this API key may use',
    ],
    [
      'the base listed: not its adapters',
      only(['a/chat']),
      'a/chat:fr',
      'permission_denied: model "a/chat:fr" is not allowed for this API key',
    ],
    [
      'an adapter listed: not its base',
      only(['a/chat:fr']),
      'a/chat',
      'permission_denied: model "a/chat" is not allowed for this API key',
    ],
    [
      'an adapter listed: not its sibling',
      only(['a/chat:fr']),
      'a/chat:de',
      'permission_denied: model "a/chat:de" is not allowed for this API key',
    ],
    ['an adapter listed', only(['a/chat:fr']), 'a/chat:fr', 'a/chat:fr'],
    [
      'an adapter listed, bare: the one the key may use, though another model serves it',
      only(['a/chat:fr']),
      'chat:fr',
      'a/chat:fr',
    ],
    ['every adapter of a model (<model>:*)', only(['a/chat:*']), 'a/chat:de', 'a/chat:de'],
    [
      '<model>:* is not the base',
      only(['a/chat:*']),
      'a/chat',
      'permission_denied: model "a/chat" is not allowed for this API key',
    ],
    [
      '<model>:* is not another model',
      only(['a/chat:*']),
      'b/chat:fr',
      'permission_denied: model "b/chat:fr" is not allowed for this API key',
    ],
    [
      '<model>:* and an adapter it does not have: allowed but not served',
      only(['a/chat:*']),
      'chat:es',
      'model_not_found: model "chat:es" is not served here; GET /v1/models lists the models this API key may use',
    ],
    [
      'a bare adapter id two listed models grant',
      only(['a/chat:*', 'b/chat:fr']),
      'chat:fr',
      'invalid_argument: model "chat:fr" names 2 models this API key may use; give one of a/chat:fr, b/chat:fr',
    ],
  ];
  for (const [title, policy, asked, expected] of table) {
    it(title, () => expect(resolved(policy, asked)).toBe(expected));
  }

  it('an adapter resolves to its model, with the id the runtime serves it under', () => {
    const target = resolveModel(directory, OPEN_POLICY, 'chat:de');
    expect(target).toMatchObject({ adapter: 'de', id: 'a/chat:de', servedName: 'chat:de' });
    expect(target.model).toBe(directory.get('a', 'chat'));
    expect(resolveModel(directory, OPEN_POLICY, 'b/code')).toMatchObject({ adapter: null, servedName: 'code' });
  });
});
