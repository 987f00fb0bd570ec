import { describe, expect, it } from 'vitest';
import { kubectl, waitFor } from '../helpers/cluster.js';
import { condition, readModel } from '../helpers/operator.js';
import { applyModel, e2eModel, useStack } from '../helpers/stack.js';

/** A pvc source whose file is not on the volume: the model says so in a condition, with the runtime's own message. */
describe('end to end: a PersistentVolumeClaim without the model file', () => {
  const stack = useStack('e2e-pvc');
  const { ns, agent } = stack;

  it('the model is Degraded with the missing path, and not Ready', async () => {
    kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          {
            apiVersion: 'v1',
            kind: 'PersistentVolume',
            metadata: { name: `weights-${ns.name}` },
            spec: {
              capacity: { storage: '1Gi' },
              accessModes: ['ReadOnlyMany'],
              hostPath: { path: '/nonexistent' },
              storageClassName: '',
              claimRef: { namespace: ns.name, name: 'weights' },
            },
          },
          {
            apiVersion: 'v1',
            kind: 'PersistentVolumeClaim',
            metadata: { name: 'weights', namespace: ns.name },
            spec: {
              accessModes: ['ReadOnlyMany'],
              resources: { requests: { storage: '1Gi' } },
              storageClassName: '',
              volumeName: `weights-${ns.name}`,
            },
          },
        ],
      }),
    );
    applyModel(
      e2eModel(ns.name, 'missing', agent.nodeName, 'scripted', {
        source: { pvc: { claimName: 'weights', path: 'gpt-oss-20b.gguf' } },
      }),
    );
    await waitFor(
      () => condition(readModel(ns.name, 'missing'), 'Degraded')?.reason === 'ContainersFailing',
      120_000,
      `Degraded ContainersFailing: ${stack.operator.logs()}`,
    );
    const m = readModel(ns.name, 'missing');
    const degraded = condition(m, 'Degraded')!;
    expect(degraded.status).toBe('True');
    expect(degraded.message).toMatch(
      new RegExp(
        String.raw`container runtime of pod missing-\S+ exited 1: ` +
          String.raw`gptoss serve: model file \S*gpt-oss-20b.gguf: no such file; restarts: \d+`,
      ),
    );
    expect(condition(m, 'Ready')?.status).toBe('False');
    kubectl(['delete', 'gom', 'missing', '-n', ns.name, '--wait=false']);
    kubectl(['delete', 'pv', `weights-${ns.name}`, '--wait=false']);
  });
});
