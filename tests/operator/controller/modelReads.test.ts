import { describe, expect, it } from 'vitest';
import type { GptOssModel } from '../../../operator/api/v1alpha1/gptOssModel.js';
import { caughtUp, ModelReads } from '../../../operator/controller/modelReads.js';

type Model = GptOssModel & { metadata: { resourceVersion?: string } };

const model = (resourceVersion: string, ready: string, generation = 1): Model =>
  ({
    apiVersion: 'gptoss.io/v1alpha1',
    kind: 'GptOssModel',
    metadata: { namespace: 'ns', name: 'chat', generation, resourceVersion, managedFields: [{ manager: 'x' }] },
    spec: { variant: 'gpt-oss-20b' },
    status: { conditions: [{ type: 'Ready', status: ready }] },
  }) as unknown as Model;

/** A stand-in for the informer's cache (a named fake: the pure unit's one collaborator). */
class FakeModelCache {
  current: Model | undefined;
  get = () => this.current;
}

const ready = (m: GptOssModel | null) => m?.status?.conditions?.[0]?.status;

describe('caughtUp: whether the cache holds a write, from resourceVersions', () => {
  it.each([
    ['10', '10', true],
    ['11', '10', true],
    ['9', '10', false],
    ['100', '99', true], // numbers, not text: '100' < '99' as strings
    [undefined, '10', false],
    ['abc', 'abd', false], // not whole numbers: only the write's own version counts
    ['abd', 'abd', true],
  ] as const)('cache at %s, write returned %s: %s', (cached, written, expected) => {
    expect(caughtUp(cached, written)).toBe(expected);
  });
});

describe('ModelReads', () => {
  it('reads the cache; after a status write, what the write returned until the cache catches up', () => {
    const cache = new FakeModelCache();
    const reads = new ModelReads(cache);
    expect(reads.read('ns', 'chat')).toBeNull();
    cache.current = model('10', 'False');
    const read = reads.read('ns', 'chat')!;
    expect(ready(read)).toBe('False');
    read.spec = { changed: true } as unknown as GptOssModel['spec'];
    expect(cache.current.spec).toEqual({ variant: 'gpt-oss-20b' }); // a copy: the cache is not touched

    reads.wroteStatus(read, model('11', 'True'));
    expect(ready(reads.read('ns', 'chat'))).toBe('True'); // the cache still says False: not used
    expect(reads.read('ns', 'chat')?.metadata).not.toHaveProperty('managedFields');

    // the watch delivers the write: its echo wakes nothing, and the cache is read again
    cache.current = model('11', 'True');
    expect(reads.observed(cache.current)).toBe(false);
    expect(reads.pending).toBe(0);
    cache.current = model('12', 'True', 2);
    expect(reads.observed(cache.current)).toBe(true);
    expect(reads.read('ns', 'chat')?.metadata.generation).toBe(2);
  });

  it('an event older than the write is news and keeps the written model; a newer one replaces it', () => {
    const cache = new FakeModelCache();
    const reads = new ModelReads(cache);
    cache.current = model('10', 'False');
    reads.wroteStatus(reads.read('ns', 'chat')!, model('12', 'True'));
    cache.current = model('11', 'False', 2); // a spec change between the read and the write
    expect(reads.observed(cache.current)).toBe(true);
    expect(ready(reads.read('ns', 'chat'))).toBe('True');
    // a relist that skipped the write's own event
    cache.current = model('13', 'True', 2);
    expect(reads.observed(cache.current)).toBe(true);
    expect(reads.pending).toBe(0);
    expect(reads.read('ns', 'chat')?.metadata.resourceVersion).toBe('13');
  });

  it('a write whose answer shows a new generation: its echo is news (the reconcile planned the old spec)', () => {
    const cache = new FakeModelCache();
    const reads = new ModelReads(cache);
    cache.current = model('10', 'False', 1);
    reads.wroteStatus(reads.read('ns', 'chat')!, model('12', 'True', 2));
    cache.current = model('12', 'True', 2);
    expect(reads.observed(cache.current)).toBe(true);
  });

  it('a deleted model is forgotten and reads as gone', () => {
    const cache = new FakeModelCache();
    const reads = new ModelReads(cache);
    cache.current = model('10', 'False');
    reads.wroteStatus(reads.read('ns', 'chat')!, model('11', 'True'));
    const last = cache.current;
    cache.current = undefined;
    expect(reads.observed(last, true)).toBe(true);
    expect(reads.pending).toBe(0);
    expect(reads.read('ns', 'chat')).toBeNull();
  });
});
