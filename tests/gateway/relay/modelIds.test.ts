import { describe, expect, it } from 'vitest';
import { mayUse, parseModelId, servedIds, type AskedId } from '../../../gateway/relay/modelIds.js';
import { usableIds } from '../../../gateway/relay/models.js';
import type { KeyPolicy } from '../../../gateway/types.js';
import { FixedModelDirectory, OPEN_POLICY } from './fakes.js';

const OFF = { replicas: 1, mode: 'off' } as const;
const only = (models: string[]): KeyPolicy => ({ ...OPEN_POLICY, models });

describe('parseModelId: [<namespace>/]<name>[:<adapter>], split at the first slash and colon', () => {
  const table: Array<[string, AskedId]> = [
    ['team-a/chat', { namespace: 'team-a', name: 'chat', adapter: null }],
    ['chat', { namespace: null, name: 'chat', adapter: null }],
    ['team-a/chat:fr', { namespace: 'team-a', name: 'chat', adapter: 'fr' }],
    ['chat:fr.v2_b-1', { namespace: null, name: 'chat', adapter: 'fr.v2_b-1' }],
    // what no served id looks like still parses; resolving it is a 403 or 404
    ['chat:', { namespace: null, name: 'chat', adapter: '' }],
    ['chat:a:b', { namespace: null, name: 'chat', adapter: 'a:b' }],
    ['chat:x/y', { namespace: null, name: 'chat', adapter: 'x/y' }],
    ['a/b/c', { namespace: 'a', name: 'b/c', adapter: null }],
  ];
  for (const [text, parsed] of table) it(text, () => expect(parseModelId(text)).toEqual(parsed));
});

describe("mayUse: a key's entries grant exactly what they name", () => {
  const table: Array<[string, KeyPolicy, string | null, boolean]> = [
    ['no list: the base', OPEN_POLICY, null, true],
    ['no list: every adapter', OPEN_POLICY, 'fr', true],
    ['<model>: the base', only(['a/chat']), null, true],
    ['<model>: not its adapters', only(['a/chat']), 'fr', false],
    ['<model>:<adapter>: that adapter', only(['a/chat:fr']), 'fr', true],
    ['<model>:<adapter>: not another', only(['a/chat:fr']), 'de', false],
    ['<model>:<adapter>: not the base', only(['a/chat:fr']), null, false],
    ['<model>:*: every adapter', only(['a/chat:*']), 'de', true],
    ['<model>:*: not the base', only(['a/chat:*']), null, false],
    ["another model's entries grant nothing here", only(['b/chat', 'b/chat:*', 'b/chat:fr']), 'fr', false],
    ['an adapter literally named * does not exist: the entry is the wildcard only', only(['a/chat:fr']), '*', false],
  ];
  for (const [title, policy, adapter, allowed] of table)
    it(title, () => expect(mayUse(policy, 'a/chat', adapter)).toBe(allowed));
});

describe('servedIds and usableIds: each model, then its adapters, filtered by the key', () => {
  const directory = new FixedModelDirectory([
    { namespace: 'a', name: 'chat', replicas: [], scaling: OFF, adapters: ['fr', 'de'] },
    { namespace: 'b', name: 'code', replicas: [], scaling: OFF },
  ]);
  const ids = (policy: KeyPolicy) => usableIds(directory, policy).map((served) => served.id);

  it('a model without adapters answers to its own id only', () =>
    expect(servedIds(directory.get('b', 'code')!)).toEqual([{ id: 'b/code', adapter: null }]));
  it('no list: every id', () => expect(ids(OPEN_POLICY)).toEqual(['a/chat', 'a/chat:fr', 'a/chat:de', 'b/code']));
  it('the base only', () => expect(ids(only(['a/chat']))).toEqual(['a/chat']));
  it('one adapter only', () => expect(ids(only(['a/chat:de']))).toEqual(['a/chat:de']));
  it('every adapter, not the base', () =>
    expect(ids(only(['a/chat:*', 'b/code']))).toEqual(['a/chat:fr', 'a/chat:de', 'b/code']));
  it('an entry for an adapter not served lists nothing', () => expect(ids(only(['a/chat:es']))).toEqual([]));
});
