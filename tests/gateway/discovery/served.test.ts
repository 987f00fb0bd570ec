import { describe, expect, it } from 'vitest';
import { servedModels } from '../../../gateway/discovery/served.js';

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
      { namespace: 'team-a', name: 'chat', replicas: [replica], scaling: off },
      { namespace: 'team-a', name: 'idle', replicas: [], scaling: { replicas: 0, mode: 'builtin' } },
      { namespace: 'team-b', name: 'chat', replicas: [], scaling: off },
    ]);
  });

  it('scaling read defensively: a mode it does not know or a replicas that is not a number is the default', () => {
    const [served] = servedModels(
      [model('a', 'm', false, { replicas: '3', autoscaling: { mode: 'keda' } })],
      new Map(),
    );
    expect(served!.scaling).toEqual(off);
  });
});
