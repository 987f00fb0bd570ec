import { describe, expect, it } from 'vitest';
import { servedModels } from '../../../gateway/discovery/served.js';

const model = (namespace: string, name: string, deleting = false) => ({
  apiVersion: 'gptoss.io/v1alpha1',
  kind: 'GptOssModel',
  metadata: { namespace, name, ...(deleting ? { deletionTimestamp: new Date() } : {}) },
});
const replica = { pod: 'chat-a', ip: '10.0.0.1', httpPort: 8080, grpcPort: 50051 };

describe('served models (pure)', () => {
  it('every model not being deleted, sorted by id, with its replicas or none', () => {
    const served = servedModels(
      [model('team-b', 'chat'), model('team-a', 'gone', true), model('team-a', 'idle'), model('team-a', 'chat')],
      new Map([
        ['team-a/chat', [replica]],
        ['team-a/gone', [replica]],
      ]),
    );
    expect(served).toEqual([
      { namespace: 'team-a', name: 'chat', replicas: [replica] },
      { namespace: 'team-a', name: 'idle', replicas: [] },
      { namespace: 'team-b', name: 'chat', replicas: [] },
    ]);
  });
});
