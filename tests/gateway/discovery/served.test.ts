import { describe, expect, it } from 'vitest';
import { servedModels, skippedAdapters } from '../../../gateway/discovery/served.js';

const model = (namespace: string, name: string, deleting = false, spec?: unknown) => ({
  apiVersion: 'gptoss.io/v1alpha1',
  kind: 'GptOssModel',
  metadata: { namespace, name, ...(deleting ? { deletionTimestamp: new Date() } : {}) },
  ...(spec === undefined ? {} : { spec }),
});
const off = { replicas: 1, mode: 'off' };
const replica = { pod: 'chat-a', ip: '10.0.0.1', httpPort: 8080, grpcPort: 50051 };

describe('served models (pure)', () => {
  it('every model not being deleted, sorted by id, with its replicas or none', () => {
    const served = servedModels(
      [
        model('team-b', 'chat'),
        model('team-a', 'gone', true),
        model('team-a', 'idle', false, { replicas: 0, autoscaling: { mode: 'builtin', minReplicas: 0 } }),
        model('team-a', 'chat'),
      ],
      new Map([
        ['team-a/chat', [replica]],
        ['team-a/gone', [replica]],
      ]),
    );
    expect(served).toEqual([
      { namespace: 'team-a', name: 'chat', replicas: [replica], scaling: off, adapters: [] },
      { namespace: 'team-a', name: 'idle', replicas: [], scaling: { replicas: 0, mode: 'builtin' }, adapters: [] },
      { namespace: 'team-b', name: 'chat', replicas: [], scaling: off, adapters: [] },
    ]);
  });

  it('scaling read defensively: a mode it does not know or a replicas that is not a number is the default', () => {
    const [served] = servedModels(
      [model('a', 'm', false, { replicas: '3', autoscaling: { mode: 'keda' } })],
      new Map(),
    );
    expect(served!.scaling).toEqual(off);
  });

  it("with the adapters' names the model serves, malformed entries left out", () => {
    const [served] = servedModels(
      [model('a', 'm', false, { adapters: [{ name: 'fr' }, { name: '-x' }, { name: 'de' }] })],
      new Map(),
    );
    expect(served!.adapters).toEqual(['fr', 'de']);
  });
});

describe('skippedAdapters: warned about once per change, not per rebuild (pure)', () => {
  const bad = model('a', 'm', false, { adapters: [{ name: 'fr' }, 'de'] });
  const warning = { namespace: 'a', name: 'm', field: 'spec.adapters[1]', reason: 'must be an object' };

  it('a model with a malformed entry: a warning naming the model and the field', () => {
    const { now, warnings } = skippedAdapters(
      [bad, model('a', 'ok', false, { adapters: [{ name: 'fr' }] })],
      new Map(),
    );
    expect(warnings).toEqual([warning]);
    expect([...now.keys()]).toEqual(['a/m']);
  });

  it('the same again (a rebuild for a replica change): no warning; edited: warned again', () => {
    const first = skippedAdapters([bad], new Map());
    expect(skippedAdapters([bad], first.now).warnings).toEqual([]);
    const edited = model('a', 'm', false, { adapters: [{ name: 'fr' }, { name: 'fr' }] });
    expect(skippedAdapters([edited], first.now).warnings).toEqual([
      { namespace: 'a', name: 'm', field: 'spec.adapters[1].name', reason: 'repeats the adapter "fr"' },
    ]);
  });

  it('fixed, then broken again: warned again', () => {
    const fixed = skippedAdapters(
      [model('a', 'm', false, { adapters: [{ name: 'fr' }] })],
      skippedAdapters([bad], new Map()).now,
    );
    expect(fixed).toEqual({ now: new Map(), warnings: [] });
    expect(skippedAdapters([bad], fixed.now).warnings).toEqual([warning]);
  });
});
