import { describe, expect, it } from 'vitest';
import { type GptOssModel, type GptOssModelStatus } from '../../../operator/api/v1alpha1/gptOssModel.js';
import { gptOssModelSpec } from '../../../operator/api/v1alpha1/schema.js';
import { DEFAULT_CATALOGUE, gpuClasses } from '../../../operator/planner/gpuClasses.js';
import { planPlacement } from '../../../operator/planner/placement.js';
import { planStatus, statusChanged, type Observed } from '../../../operator/planner/status.js';

const H100: Parameters<typeof gpuClasses>[0] = [
  {
    name: 'h',
    labels: { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3', 'nvidia.com/gpu.memory': '81559' },
    allocatable: { 'nvidia.com/gpu': '8' },
  },
];
const model = (spec: Record<string, unknown> = {}, status?: GptOssModel['status']): GptOssModel => ({
  apiVersion: 'gptoss.io/v1alpha1',
  kind: 'GptOssModel',
  metadata: { name: 'chat', namespace: 'ns', generation: 2 },
  spec: gptOssModelSpec.parse({
    variant: 'gpt-oss-120b',
    source: { pvc: { claimName: 'w', path: 'm.gguf' } },
    replicas: 2,
    ...spec,
  }),
  status,
});
const T0 = new Date('2026-11-28T10:00:00.000Z');
const T1 = new Date('2026-11-28T10:05:00.000Z');
const observed = (
  deployment: Observed['deployment'],
  unschedulable: string | null = null,
  pods: Partial<Observed> = {},
): Observed => ({
  deployment,
  unschedulable,
  failing: null,
  download: null,
  selector: 'gptoss.io/model=chat',
  ...pods,
});
const conditions = (s: ReturnType<typeof planStatus>) =>
  Object.fromEntries(s.conditions!.map((c) => [c.type, `${c.status}/${c.reason}`]));

describe('status from plan and observation (pure, table)', () => {
  const placedFor = (m: GptOssModel, nodes = H100) =>
    planPlacement(m.spec, gpuClasses(nodes), { catalogue: DEFAULT_CATALOGUE });
  it.each([
    [
      'just placed, no Deployment yet',
      {},
      observed(null),
      { Ready: 'False/NoReplicaReady', Placed: 'True/Placed', Progressing: 'False/Stable', Degraded: 'False/Healthy' },
    ],
    [
      'scaled to zero',
      { replicas: 0 },
      observed({ replicas: 0, readyReplicas: 0, updatedReplicas: 0, upToDate: true, replicaFailure: null }),
      { Ready: 'False/ScaledToZero', Progressing: 'False/Stable' },
    ],
    [
      'all replicas ready',
      {},
      observed({ replicas: 2, readyReplicas: 2, updatedReplicas: 2, upToDate: true, replicaFailure: null }),
      { Ready: 'True/Ready', Progressing: 'False/Stable', Degraded: 'False/Healthy' },
    ],
    [
      'rolling out',
      {},
      observed({ replicas: 2, readyReplicas: 2, updatedReplicas: 1, upToDate: true, replicaFailure: null }),
      { Ready: 'True/Ready', Progressing: 'True/RollingOut' },
    ],
    [
      'pods the scheduler cannot place',
      {},
      observed(
        { replicas: 2, readyReplicas: 1, updatedReplicas: 2, upToDate: true, replicaFailure: null },
        '0/10 nodes are available: 10 Insufficient nvidia.com/gpu.',
      ),
      { Ready: 'True/Ready', Degraded: 'True/PodsUnschedulable' },
    ],
    [
      'a container that keeps failing (a missing model file)',
      {},
      observed({ replicas: 2, readyReplicas: 0, updatedReplicas: 2, upToDate: true, replicaFailure: null }, null, {
        failing:
          'container runtime of pod chat-1 exited 1: gptoss serve: model file /models/m.gguf not found; restarts: 3',
      }),
      { Ready: 'False/NoReplicaReady', Degraded: 'True/ContainersFailing' },
    ],
    [
      'weights downloading',
      {},
      observed({ replicas: 2, readyReplicas: 0, updatedReplicas: 2, upToDate: true, replicaFailure: null }, null, {
        download: { bytesDone: 3 * 2 ** 30, bytesTotal: 12 * 2 ** 30 },
      }),
      { Ready: 'False/NoReplicaReady', Progressing: 'True/DownloadingWeights', Degraded: 'False/Healthy' },
    ],
    [
      'pods the ReplicaSet cannot create (a quota, Pod Security admission)',
      {},
      observed(
        {
          replicas: 0,
          readyReplicas: 0,
          updatedReplicas: 0,
          upToDate: true,
          replicaFailure: 'FailedCreate: pods "chat-5d9c-x" is forbidden: exceeded quota: none, requested: pods=1',
        },
        null,
        // pods that cannot be created say more than anything their (absent) pods could
        { failing: 'container runtime of pod chat-1 exited 1' },
      ),
      { Ready: 'False/NoReplicaReady', Degraded: 'True/PodsNotCreated' },
    ],
  ] as const)('%s', (_name, spec, obs, expected) => {
    const m = model(spec);
    expect(conditions(planStatus(m, placedFor(m), null, obs, T0))).toMatchObject(expected);
  });

  it('download progress reads as a percentage', () => {
    const m = model();
    const s = planStatus(
      m,
      placedFor(m),
      null,
      observed(null, null, { download: { bytesDone: 3 * 2 ** 30, bytesTotal: 12 * 2 ** 30 } }),
      T0,
    );
    expect(s.conditions!.find((c) => c.type === 'Progressing')!.message).toBe(
      'downloading weights: 25% (3.0 of 12.0 GiB)',
    );
  });

  it("pods that cannot be created: Degraded carries the Deployment controller's message as it is", () => {
    const m = model();
    const failure = 'FailedCreate: pods "chat-5d9c-x" is forbidden: exceeded quota: none, requested: pods=1';
    const s = planStatus(
      m,
      placedFor(m),
      null,
      observed({ replicas: 0, readyReplicas: 0, updatedReplicas: 0, upToDate: true, replicaFailure: failure }),
      T0,
    );
    expect(s.conditions!.find((c) => c.type === 'Degraded')).toMatchObject({
      status: 'True',
      reason: 'PodsNotCreated',
      message: failure,
    });
  });

  it('progress some pods would not give is said with the download', () => {
    const m = model();
    const download = {
      bytesDone: 3 * 2 ** 30,
      bytesTotal: 12 * 2 ** 30,
      unreadable: ['pod chat-2: answered more than 65536 bytes', 'pod chat-3: answered HTTP 500'],
    };
    const s = planStatus(m, placedFor(m), null, observed(null, null, { download }), T0);
    expect(s.conditions!.find((c) => c.type === 'Progressing')!.message).toBe(
      'downloading weights: 25% (3.0 of 12.0 GiB); progress not readable from ' +
        'pod chat-2: answered more than 65536 bytes; pod chat-3: answered HTTP 500',
    );
  });

  it('a child the API server refused: Placed=False, and Degraded while an earlier Deployment serves', () => {
    const m = model();
    const refused = {
      reason: 'ChildRejected',
      message: 'the API server refused Service/chat-grpc: Service "chat-grpc" is invalid: metadata.name: Invalid value',
    };
    const fresh = planStatus(m, placedFor(m), refused, observed(null), T0);
    expect(conditions(fresh)).toMatchObject({ Placed: 'False/ChildRejected', Degraded: 'False/Healthy' });
    expect(fresh.conditions!.find((c) => c.type === 'Placed')!.message).toBe(refused.message);
    const serving = planStatus(
      m,
      placedFor(m),
      refused,
      observed({ replicas: 2, readyReplicas: 2, updatedReplicas: 2, upToDate: true, replicaFailure: null }),
      T0,
    );
    expect(conditions(serving)).toMatchObject({ Placed: 'False/ChildRejected', Degraded: 'True/ChildRejected' });
    expect(serving.conditions!.find((c) => c.type === 'Degraded')!.message).toBe(refused.message);
  });

  it('nothing fits: a new model is not placed; a serving one keeps its Deployment and is Degraded', () => {
    const m = model({ contextSize: 131_072, parallelSlots: 256 });
    const p = placedFor(m);
    expect(conditions(planStatus(m, p, null, observed(null), T0))).toMatchObject({
      Placed: 'False/NoFittingGPU',
      Degraded: 'False/Healthy',
    });
    const serving = planStatus(
      m,
      p,
      null,
      observed({ replicas: 2, readyReplicas: 2, updatedReplicas: 2, upToDate: true, replicaFailure: null }),
      T0,
    );
    expect(conditions(serving)).toMatchObject({ Placed: 'False/NoFittingGPU', Degraded: 'True/NotPlaced' });
    expect(serving.placement).toBeUndefined();
  });

  it('placement and endpoint are reported; conditions carry the generation', () => {
    const m = model();
    const s = planStatus(m, placedFor(m), null, observed(null), T0);
    expect(s.placement).toMatchObject({
      gpusPerReplica: 1,
      gpuResource: 'nvidia.com/gpu',
      gpuClass: 'NVIDIA-H100-80GB-HBM3',
      fittingNodes: 1,
      memoryMiB: { total: 65_651 },
    });
    expect(s.endpoint).toEqual({ httpService: 'chat', httpPort: 8080, grpcService: 'chat-grpc', grpcPort: 50051 });
    expect(s.conditions!.every((c) => c.observedGeneration === 2)).toBe(true);
  });

  it('a condition keeps its transition time while its status holds; an unchanged world is no status change', () => {
    const m = model();
    const first = planStatus(m, placedFor(m), null, observed(null), T0);
    const again = planStatus(model({}, first), placedFor(m), null, observed(null), T1);
    expect(statusChanged(first, again)).toBe(false);
    const ready = planStatus(
      model({}, first),
      placedFor(m),
      null,
      observed({ replicas: 2, readyReplicas: 2, updatedReplicas: 2, upToDate: true, replicaFailure: null }),
      T1,
    );
    const byType = (s: typeof first, type: string) => s.conditions!.find((c) => c.type === type)!;
    expect(byType(ready, 'Ready').lastTransitionTime).toBe('2026-11-28T10:05:00Z');
    expect(byType(ready, 'Placed').lastTransitionTime).toBe('2026-11-28T10:00:00Z');
    expect(statusChanged(first, ready)).toBe(true);
  });

  it.each([
    ['the same fields in another order', { replicas: 1, phase: 'Ready' }, { phase: 'Ready', replicas: 1 }, false],
    ['nested, in another order', { placement: { a: 1, b: [1, 2] } }, { placement: { b: [1, 2], a: 1 } }, false],
    ['a field set to undefined, and none', { replicas: 1, phase: undefined }, { replicas: 1 }, false],
    ['no status before, and an empty one', undefined, {}, false],
    ['a value changed deep down', { placement: { a: { b: 1 } } }, { placement: { a: { b: 2 } } }, true],
    ['a field added', { replicas: 1 }, { replicas: 1, phase: 'Ready' }, true],
    ['a field null, and none', { phase: null }, {}, true],
    [
      'a list reordered',
      { conditions: [{ type: 'A' }, { type: 'B' }] },
      { conditions: [{ type: 'B' }, { type: 'A' }] },
      true,
    ],
    ['a list grown', { selectors: ['a'] }, { selectors: ['a', 'b'] }, true],
    ['a list where an object was', { placement: {} }, { placement: [] }, true],
    ['a number where a string was', { replicas: '1' }, { replicas: 1 }, true],
  ])('statusChanged: %s', (_, before, after, changed) => {
    const status = (s: unknown) => s as GptOssModelStatus;
    expect(statusChanged(before === undefined ? undefined : status(before), status(after))).toBe(changed);
  });
});
