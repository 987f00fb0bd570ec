import { describe, expect, it } from 'vitest';
import { keysTable, policyFromFlags } from '../../cli/keys.js';
import { ConfigError } from '../../contract/errors.js';
import type { StoredKey } from '../../contract/keys.js';

describe('gptoss keys create: flags', () => {
  it('gives the policy, unset flags meaning no restriction', () => {
    expect(
      policyFromFlags({
        team: 'search',
        models: 'prod/chat,prod/code',
        requestsPerMinute: '60',
        tokensPerMinute: '40000',
        maxConcurrent: '4',
        maxReasoningEffort: 'low',
        namespace: 'keys',
      }),
    ).toEqual({
      team: 'search',
      models: ['prod/chat', 'prod/code'],
      requestsPerMinute: 60,
      tokensPerMinute: 40_000,
      maxConcurrent: 4,
      maxReasoningEffort: 'low',
    });
    expect(policyFromFlags({ team: 'search' })).toEqual({
      team: 'search',
      models: null,
      requestsPerMinute: null,
      tokensPerMinute: null,
      maxConcurrent: null,
      maxReasoningEffort: null,
    });
  });

  it.each<[Record<string, unknown>, string]>([
    [{}, '--team is required'],
    [
      { team: 'a team' },
      '--team must be 1 to 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
    ],
    [{ team: 't', requestsPerMinute: '0' }, '--requests-per-minute must be between 1 and 1000000000'],
    [{ team: 't', tokensPerMinute: 'lots' }, '--tokens-per-minute must be a number'],
    [{ team: 't', maxConcurrent: '2.5' }, '--max-concurrent must be a whole number'],
    [{ team: 't', maxReasoningEffort: 'extreme' }, '--max-reasoning-effort must be low, medium or high'],
    [
      { team: 't', models: 'chat' },
      '--models must list models as <namespace>/<name>[:<adapter>|:*],...: "chat" is not one',
    ],
    [
      { team: 't', models: 'prod/chat,' },
      '--models must list models as <namespace>/<name>[:<adapter>|:*],... ' +
        'with no empty entry (leave it out for every model)',
    ],
  ])('refuses %j: %s', (flags, message) => {
    expect(() => policyFromFlags(flags)).toThrow(new ConfigError(message));
  });
});

describe('gptoss keys list: the table', () => {
  const key = (id: string, policy: Partial<StoredKey['policy']>, created: Date | null): StoredKey => ({
    id,
    secretName: `gptoss-key-${id}`,
    sha256: 'f'.repeat(64),
    policy: {
      team: 'search',
      models: null,
      requestsPerMinute: null,
      tokensPerMinute: null,
      maxConcurrent: null,
      maxReasoningEffort: null,
      ...policy,
    },
    created,
  });

  it('shows ids, teams, policies and creation times, never digests', () => {
    const table = keysTable([
      key(
        '0a1b2c3d4e5f',
        { models: ['prod/chat', 'dev/chat'], requestsPerMinute: 60, maxReasoningEffort: 'low' },
        new Date('2025-01-02T03:04:05.678Z'),
      ),
      key('ci', { team: 'platform', tokensPerMinute: 100_000, maxConcurrent: 2 }, null),
    ]);
    expect(table).toBe(
      [
        'ID             TEAM       MODELS               REQUESTS/MIN   TOKENS/MIN   CONCURRENT   ' +
          'MAX-EFFORT   CREATED',
        '0a1b2c3d4e5f   search     prod/chat,dev/chat   60             -            -            ' +
          'low          2025-01-02T03:04:05Z',
        'ci             platform   *                    -              100000       2            -            -',
        '',
      ].join('\n'),
    );
    expect(table).not.toContain('f'.repeat(64));
  });
});
