import { Writable } from 'node:stream';
import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  keyDigest,
  keySecretManifest,
  newApiKey,
  type ApiKeyPolicy,
  type KeySecretObject,
} from '../../../contract/keys.js';
import { KeyIndex } from '../../../gateway/keys/keyIndex.js';
import { SecretKeyDirectory } from '../../../gateway/keys/secretKeys.js';

const POLICY: ApiKeyPolicy = {
  team: 'search',
  models: ['prod/chat'],
  requestsPerMinute: 10,
  tokensPerMinute: null,
  maxConcurrent: 2,
  maxReasoningEffort: 'low',
};

/** A key Secret as the API server returns it (stringData as base64 data). */
function keySecret(id: string, key: string, policy: ApiKeyPolicy = POLICY, fields: Record<string, string> = {}) {
  const manifest = keySecretManifest('gptoss-system', id, keyDigest(key), policy);
  const text = { ...manifest.stringData, ...fields };
  const data = Object.fromEntries(Object.entries(text).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
  return { metadata: manifest.metadata, data } satisfies KeySecretObject;
}

describe('authenticate', () => {
  const alice = newApiKey();
  const bob = newApiKey();
  let index: KeyIndex;
  beforeEach(() => {
    index = new KeyIndex();
    for (const { id, key } of [alice, bob]) index.put({ ...readable(id, key), created: null });
  });
  const readable = (id: string, key: string) => ({
    id,
    secretName: `gptoss-key-${id}`,
    sha256: keyDigest(key),
    policy: POLICY,
  });

  it('knows a good key: its Secret names the caller, with its policy', () => {
    expect(index.authenticate(alice.key)).toEqual({ keyId: `gptoss-key-${alice.id}`, policy: POLICY });
    expect(index.authenticate(bob.key)?.keyId).toBe(`gptoss-key-${bob.id}`);
  });

  it('refuses a revoked key', () => {
    expect(index.remove(alice.id)).toBe(true);
    expect(index.authenticate(alice.key)).toBeNull();
    expect(index.authenticate(bob.key)).not.toBeNull();
    expect(index.remove(alice.id)).toBe(false);
  });

  it("refuses one key's id with another key's secret", () => {
    const bobSecret = bob.key.split('_')[2]!;
    expect(index.authenticate(`gptoss_${alice.id}_${bobSecret}`)).toBeNull();
  });

  it('refuses a key one character off', () => {
    const last = alice.key.at(-1) === '0' ? '1' : '0';
    expect(index.authenticate(alice.key.slice(0, -1) + last)).toBeNull();
  });

  it('refuses a well-formed key whose id it does not know', () => {
    expect(index.authenticate(newApiKey().key)).toBeNull();
  });

  it.each(['', 'gptoss', 'Bearer x', 'gptoss_abc_def', 'x'.repeat(10_000)])('refuses a malformed key %#', (key) => {
    expect(index.authenticate(key)).toBeNull();
  });

  it('refuses the stored digest presented as a key', () => {
    expect(index.authenticate(keyDigest(alice.key))).toBeNull();
  });
});

describe('the directory the Secret watch feeds', () => {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
        done();
      },
    }),
  );
  let directory: SecretKeyDirectory;
  beforeEach(() => {
    lines.length = 0;
    directory = new SecretKeyDirectory(log);
  });
  const { id, key } = newApiKey();

  it('loads an added Secret, logging its name and team, never the key or its digest', () => {
    directory.upsert(keySecret(id, key));
    expect(directory.authenticate(key)?.policy).toEqual(POLICY);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 30,
        msg: 'Loaded API key',
        kind: 'Secret',
        namespace: 'gptoss-system',
        name: `gptoss-key-${id}`,
        team: 'search',
      }),
    ]);
    const logged = JSON.stringify(lines);
    expect(logged).not.toContain(key.split('_')[2]);
    expect(logged).not.toContain(keyDigest(key));
  });

  it('applies an edited policy', () => {
    directory.upsert(keySecret(id, key));
    directory.upsert(keySecret(id, key, { ...POLICY, requestsPerMinute: 99 }));
    expect(directory.authenticate(key)?.policy.requestsPerMinute).toBe(99);
  });

  it('skips an invalid Secret with a warning naming the Secret and the field', () => {
    directory.upsert(keySecret(id, key, POLICY, { maxConcurrent: 'lots' }));
    expect(directory.authenticate(key)).toBeNull();
    expect(directory.size).toBe(0);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 40,
        msg: 'Skipped invalid API key Secret',
        kind: 'Secret',
        namespace: 'gptoss-system',
        name: `gptoss-key-${id}`,
        field: 'data.maxConcurrent',
        reason: 'must be a number',
      }),
    ]);
  });

  it('disables a working key whose Secret an edit broke, rather than keep its old policy', () => {
    directory.upsert(keySecret(id, key));
    directory.upsert(keySecret(id, key, POLICY, { models: 'chat' }));
    expect(directory.authenticate(key)).toBeNull();
    expect(lines.at(-1)).toMatchObject({ msg: 'Skipped invalid API key Secret', field: 'data.models' });
  });

  it('revokes the key of a deleted Secret', () => {
    const other = newApiKey();
    directory.upsert(keySecret(id, key));
    directory.upsert(keySecret(other.id, other.key));
    directory.remove(keySecret(id, key));
    expect(directory.authenticate(key)).toBeNull();
    expect(directory.authenticate(other.key)).not.toBeNull();
    expect(lines.at(-1)).toMatchObject({ msg: 'Revoked API key', name: `gptoss-key-${id}` });
  });

  it('ignores the deletion of a Secret whose name is no key id, leaving the keys alone', () => {
    directory.upsert(keySecret(id, key));
    directory.remove({ metadata: { name: id, namespace: 'gptoss-system' } });
    expect(directory.authenticate(key)).not.toBeNull();
  });
});
