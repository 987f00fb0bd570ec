import { describe, expect, it } from 'vitest';
import {
  API_KEY_SELECTOR,
  keyDigest,
  keyIdOf,
  keySecretManifest,
  newApiKey,
  presentedKeyId,
  readKeySecret,
  type ApiKeyPolicy,
  type KeySecretObject,
} from '../../../contract/keys.js';

const POLICY: ApiKeyPolicy = {
  team: 'search',
  models: ['prod/chat', 'prod/code'],
  requestsPerMinute: 60,
  tokensPerMinute: 100_000,
  maxConcurrent: 4,
  maxReasoningEffort: 'medium',
};
const DIGEST = keyDigest('gptoss_0a1b2c3d4e5f_' + 'ab'.repeat(32));

/** A Secret as the API server returns it: stringData becomes base64 data. */
function stored(manifest: { metadata: object; stringData: Record<string, string> }): KeySecretObject {
  const data = Object.fromEntries(
    Object.entries(manifest.stringData).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
  );
  return { metadata: { ...manifest.metadata, creationTimestamp: new Date('2025-01-02T03:04:05Z') }, data };
}

/** A hand-written key Secret (kubectl, GitOps) with some fields. */
const secret = (fields: Record<string, string>, metadata: KeySecretObject['metadata'] = {}): KeySecretObject =>
  stored({
    metadata: { name: 'gptoss-key-ci', namespace: 'gptoss-system', ...metadata },
    stringData: { sha256: DIGEST, team: 'search', ...fields },
  });

describe('the key format', () => {
  it('is gptoss_<id>_<256 bits of hex>, its id visible and its digest the SHA-256 of the whole key', () => {
    const { id, key } = newApiKey();
    expect(id).toMatch(/^[0-9a-f]{12}$/);
    expect(key).toMatch(new RegExp(`^gptoss_${id}_[0-9a-f]{64}$`));
    expect(presentedKeyId(key)).toBe(id);
    expect(keyDigest('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(newApiKey().key).not.toBe(key);
  });

  it.each([
    '',
    'gptoss_',
    'gptoss_0a1b2c3d4e5f_',
    'gptoss_0a1b2c3d4e5f_' + 'ab'.repeat(31),
    'gptoss_0a1b2c3d4e5f_' + 'ab'.repeat(32) + 'a',
    'gptoss_0a1b2c3d4e5f_' + 'AB'.repeat(32),
    'Bearer gptoss_0a1b2c3d4e5f_' + 'ab'.repeat(32),
    'gptoss_0A1B_' + 'ab'.repeat(32),
    'sk-' + 'ab'.repeat(32),
  ])('has no id in a malformed key: %j', (presented) => {
    expect(presentedKeyId(presented)).toBeNull();
  });

  it.each([
    ['0a1b2c3d4e5f', '0a1b2c3d4e5f'],
    ['gptoss-key-0a1b2c3d4e5f', '0a1b2c3d4e5f'],
    ['ci-bot', 'ci-bot'],
    ['gptoss-key-', null],
    ['Bad_Id', null],
    ['-x', null],
  ])('reads the id a person names a key by: %j', (text, id) => {
    expect(keyIdOf(text)).toBe(id);
  });
});

const NAME_RULE =
  'metadata.name must be gptoss-key-<id> ' +
  '(<id>: 1 to 32 lowercase letters, digits and "-", starting and ending with a letter or digit)';

describe('the key Secret', () => {
  it('holds the digest and the policy in plain fields, labelled, and reads back the same', () => {
    const manifest = keySecretManifest('gptoss-system', '0a1b2c3d4e5f', DIGEST, POLICY);
    expect(manifest).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'gptoss-key-0a1b2c3d4e5f',
        namespace: 'gptoss-system',
        labels: { 'gptoss.io/api-key': 'true', 'gptoss.io/team': 'search' },
      },
      type: 'Opaque',
      stringData: {
        sha256: DIGEST,
        team: 'search',
        models: 'prod/chat,prod/code',
        requestsPerMinute: '60',
        tokensPerMinute: '100000',
        maxConcurrent: '4',
        maxReasoningEffort: 'medium',
      },
    });
    expect(API_KEY_SELECTOR).toBe('gptoss.io/api-key=true');
    expect(readKeySecret(stored(manifest))).toEqual({
      id: '0a1b2c3d4e5f',
      secretName: 'gptoss-key-0a1b2c3d4e5f',
      sha256: DIGEST,
      policy: POLICY,
      created: new Date('2025-01-02T03:04:05Z'),
    });
  });

  it('leaves unset limits out, and reads absent fields as no restriction', () => {
    const open: ApiKeyPolicy = {
      team: 'search',
      models: null,
      requestsPerMinute: null,
      tokensPerMinute: null,
      maxConcurrent: null,
      maxReasoningEffort: null,
    };
    const manifest = keySecretManifest('keys', 'ci', DIGEST, open);
    expect(manifest.stringData).toEqual({ sha256: DIGEST, team: 'search' });
    expect(readKeySecret(stored(manifest)).policy).toEqual(open);
  });

  it('reads what a person writes: spaces around values and models, a last newline, duplicates once', () => {
    const read = readKeySecret(
      secret({ sha256: `${DIGEST}\n`, models: ' prod/chat , dev/chat,prod/chat', requestsPerMinute: ' 5\n' }),
    );
    expect(read.sha256).toBe(DIGEST);
    expect(read.policy).toMatchObject({ models: ['prod/chat', 'dev/chat'], requestsPerMinute: 5 });
  });

  it('grants adapters by id: one adapter (<model>:<adapter>) or every adapter of a model (<model>:*)', () => {
    const read = readKeySecret(secret({ sha256: DIGEST, models: 'prod/chat:fr,prod/chat:*,prod/code:v2.1_x' }));
    expect(read.policy.models).toEqual(['prod/chat:fr', 'prod/chat:*', 'prod/code:v2.1_x']);
  });

  it.each<[string, KeySecretObject, string]>([
    ['a name not gptoss-key-<id>', secret({}, { name: 'api-key-ci' }), NAME_RULE],
    ['a name with a bad id', secret({}, { name: 'gptoss-key-CI' }), NAME_RULE],
    ['no digest', { metadata: { name: 'gptoss-key-ci' }, data: {} }, 'data.sha256 is required'],
    [
      'a digest that is not hex SHA-256',
      secret({ sha256: 'not-a-digest' }),
      'data.sha256 must be 64 lowercase hex digits (SHA-256)',
    ],
    [
      'no team',
      stored({ metadata: { name: 'gptoss-key-ci' }, stringData: { sha256: DIGEST } }),
      'data.team is required',
    ],
    [
      'a team that is no label value',
      secret({ team: 'search team' }),
      'data.team must be 1 to 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
    ],
    [
      'a misspelt field',
      secret({ requestPerMinute: '10' }),
      'data.requestPerMinute is not a key field (they are sha256, team, models, requestsPerMinute, ' +
        'tokensPerMinute, maxConcurrent or maxReasoningEffort)',
    ],
    ['a zero limit', secret({ requestsPerMinute: '0' }), 'data.requestsPerMinute must be between 1 and 1000000000'],
    ['a limit in words', secret({ tokensPerMinute: 'ten' }), 'data.tokensPerMinute must be a number'],
    ['a fractional limit', secret({ maxConcurrent: '1.5' }), 'data.maxConcurrent must be a whole number'],
    [
      'an empty model entry',
      secret({ models: 'prod/chat,,prod/code' }),
      'data.models must list models as <namespace>/<name>[:<adapter>|:*],... ' +
        'with no empty entry (leave it out for every model)',
    ],
    ['an empty model list', secret({ models: '' }), 'with no empty entry (leave it out for every model)'],
    [
      'an adapter id with nothing after the colon',
      secret({ models: 'prod/chat:' }),
      'data.models must list models as <namespace>/<name>[:<adapter>|:*],...: "prod/chat:" is not one',
    ],
    [
      'an adapter name that starts with a dot',
      secret({ models: 'prod/chat:.fr' }),
      'data.models must list models as <namespace>/<name>[:<adapter>|:*],...: "prod/chat:.fr" is not one',
    ],
    [
      'a model without its namespace',
      secret({ models: 'prod/chat,code' }),
      'data.models must list models as <namespace>/<name>[:<adapter>|:*],...: "code" is not one',
    ],
    [
      'an effort gpt-oss does not have',
      secret({ maxReasoningEffort: 'max' }),
      'data.maxReasoningEffort must be low, medium or high',
    ],
    [
      'a team label that disagrees with the team',
      secret({}, { name: 'gptoss-key-ci', labels: { 'gptoss.io/team': 'ads' } }),
      'metadata.labels.gptoss.io/team must equal data.team ("search") when set',
    ],
  ])('refuses %s, naming the field', (_what, bad, message) => {
    expect(() => readKeySecret(bad)).toThrow(message);
  });
});
