import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { replicasFromPods } from '../../../gateway/discovery/pods.js';

/** A runtime pod as the operator's Deployment makes it and the dev agent reports it. */
function pod(name: string, overrides: { ready?: boolean; ip?: string; deleting?: boolean; ports?: string[] } = {}) {
  const { ready = true, ip = '127.1.0.5', deleting = false, ports = ['grpc', 'http'] } = overrides;
  const numbers: Record<string, number> = { grpc: 50051, http: 8080 };
  return {
    metadata: {
      name,
      namespace: 'team-a',
      labels: { 'app.kubernetes.io/name': 'gptoss-runtime', 'gptoss.io/model': 'chat' },
      ...(deleting ? { deletionTimestamp: new Date() } : {}),
    },
    spec: { containers: [{ name: 'runtime', ports: ports.map((p) => ({ name: p, containerPort: numbers[p] ?? 1 })) }] },
    status: {
      ...(ip ? { podIP: ip } : {}),
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    },
  } as V1Pod;
}

describe('replicas from pods, the local stack (pure)', () => {
  it.each<[string, V1Pod, boolean]>([
    ['Ready, with an IP and both ports', pod('a'), true],
    ['not Ready', pod('a', { ready: false }), false],
    ['being deleted', pod('a', { deleting: true }), false],
    ['no IP yet', pod('a', { ip: '' }), false],
    ['its container names no grpc port', pod('a', { ports: ['http'] }), false],
  ])('%s: counted %s', (_, p, counted) => {
    expect(replicasFromPods([p])).toEqual(
      counted
        ? [{ model: 'team-a/chat', replica: { pod: 'a', ip: '127.1.0.5', httpPort: 8080, grpcPort: 50051 } }]
        : [],
    );
  });
});
