import type { V1ContainerStatus, V1Deployment, V1Node, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  deploymentSignal,
  nodeSignal,
  podSignal,
  QUIET_POD,
  SignalMemory,
} from '../../../operator/controller/wakeSignals.js';

const pod = (name: string, status: V1Pod['status'] = {}): V1Pod => ({ metadata: { name, namespace: 'ns' }, status });
const runtime = (state: V1ContainerStatus['state'], restartCount = 0): V1ContainerStatus => ({
  name: 'runtime',
  image: 'i',
  imageID: '',
  ready: false,
  restartCount,
  state,
});
const unschedulable = {
  conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available' }],
};

/** Which pod changes a reconcile reads (wake it) and which it does not. */
describe('podSignal', () => {
  it.each([
    ['a new pod, no status yet', pod('p'), false],
    [
      'scheduled, pending',
      pod('p', { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }] }),
      false,
    ],
    [
      'creating its container',
      pod('p', { containerStatuses: [runtime({ waiting: { reason: 'ContainerCreating' } })] }),
      false,
    ],
    [
      'running and ready',
      pod('p', { phase: 'Running', podIP: '10.0.0.1', containerStatuses: [runtime({ running: {} })] }),
      false,
    ],
    ['unschedulable', pod('p', unschedulable), true],
    [
      'an image that cannot be pulled',
      pod('p', { containerStatuses: [runtime({ waiting: { reason: 'ErrImagePull' } })] }),
      true,
    ],
    [
      'a container that keeps failing',
      pod('p', {
        containerStatuses: [runtime({ waiting: { reason: 'CrashLoopBackOff' } }, 3)].map((c) => ({
          ...c,
          lastState: { terminated: { exitCode: 1, message: 'boom' } },
        })),
      }),
      true,
    ],
    [
      'downloading weights (fetch init container running)',
      pod('p', {
        podIP: '10.0.0.1',
        initContainerStatuses: [{ ...runtime({ running: {} }), name: 'fetch' }],
      }),
      true,
    ],
  ] as const)('%s: news %s', (_what, p, news) => {
    expect(podSignal(p) !== QUIET_POD).toBe(news);
  });
});

describe('SignalMemory', () => {
  it('a runtime pod wakes its model only when what status reads of it changes, and when such a pod goes', () => {
    const memory = new SignalMemory(podSignal, QUIET_POD);
    const steps: Array<[string, V1Pod, boolean, boolean?]> = [
      ['added, quiet', pod('p'), false],
      ['scheduled', pod('p', { conditions: [{ type: 'PodScheduled', status: 'True' }] }), false],
      ['running', pod('p', { phase: 'Running', containerStatuses: [runtime({ running: {} })] }), false],
      ['ready', pod('p', { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] }), false],
      ['deleted while quiet', pod('p'), false, true],
      ['another added unschedulable', pod('q', unschedulable), true],
      ['the same again (a resync)', pod('q', unschedulable), false],
      ['scheduled after all', pod('q', { conditions: [{ type: 'PodScheduled', status: 'True' }] }), true],
      ['unschedulable again', pod('q', unschedulable), true],
      ['deleted while saying something', pod('q', unschedulable), true, true],
    ];
    expect(steps.map(([what, p, , gone]) => [what, memory.changed(p, gone)])).toEqual(
      steps.map(([what, , news]) => [what, news]),
    );
    expect(memory.size).toBe(0);
  });

  it('a Deployment wakes its model when added, when what status reads changes, on a new generation, when gone', () => {
    const memory = new SignalMemory(deploymentSignal);
    const deployment = (generation: number, status: V1Deployment['status']): V1Deployment => ({
      metadata: { name: 'd', namespace: 'ns', generation },
      status,
    });
    const steps: Array<[string, V1Deployment, boolean, boolean?]> = [
      ['added', deployment(1, {}), true],
      ['observed', deployment(1, { observedGeneration: 1, replicas: 1, updatedReplicas: 1 }), true],
      [
        'a condition time moved only',
        deployment(1, {
          observedGeneration: 1,
          replicas: 1,
          updatedReplicas: 1,
          conditions: [{ type: 'Progressing', status: 'True', lastUpdateTime: new Date() }],
        }),
        false,
      ],
      ['ready', deployment(1, { observedGeneration: 1, replicas: 1, updatedReplicas: 1, readyReplicas: 1 }), true],
      [
        'edited by hand',
        deployment(2, { observedGeneration: 1, replicas: 1, updatedReplicas: 1, readyReplicas: 1 }),
        true,
      ],
      ['deleted', deployment(2, {}), true, true],
    ];
    expect(steps.map(([what, d, , gone]) => [what, memory.changed(d, gone)])).toEqual(
      steps.map(([what, , news]) => [what, news]),
    );
  });

  it('a node is news when added, when its labels or allocatable change, and when gone; not on heartbeats', () => {
    const memory = new SignalMemory(nodeSignal);
    const node = (labels: Record<string, string>, gpus: string, heartbeat = 0): V1Node => ({
      metadata: { name: 'n', labels },
      status: {
        allocatable: { 'nvidia.com/gpu': gpus },
        conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: new Date(heartbeat) }],
      },
    });
    const a = { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' };
    expect(memory.changed(node(a, '8'))).toBe(true);
    expect(memory.changed(node(a, '8', 10_000))).toBe(false);
    expect(memory.changed(node(a, '4', 20_000))).toBe(true);
    expect(memory.changed(node({ ...a, zone: 'b' }, '4'))).toBe(true);
    expect(memory.changed(node(a, '4'), true)).toBe(true);
  });
});
