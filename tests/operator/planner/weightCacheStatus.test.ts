import { describe, expect, it } from 'vitest';
import { type GptOssModel } from '../../../operator/api/v1alpha1/gptOssModel.js';
import { gptOssModelSpec } from '../../../operator/api/v1alpha1/schema.js';
import { DEFAULT_CATALOGUE, gpuClasses } from '../../../operator/planner/gpuClasses.js';
import { planPlacement } from '../../../operator/planner/placement.js';
import { planStatus, type ObservedWeightCache } from '../../../operator/planner/status.js';

const H100: Parameters<typeof gpuClasses>[0] = [
  {
    name: 'h',
    labels: { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3', 'nvidia.com/gpu.memory': '81559' },
    allocatable: { 'nvidia.com/gpu': '8' },
  },
];
const model: GptOssModel = {
  apiVersion: 'gptoss.io/v1alpha1',
  kind: 'GptOssModel',
  metadata: { name: 'chat', namespace: 'ns', generation: 1 },
  spec: gptOssModelSpec.parse({
    variant: 'gpt-oss-20b',
    source: { url: { files: [{ url: 'https://m.example/a.gguf', sha256: 'a'.repeat(64) }], cache: { size: '20Gi' } } },
    replicas: 3,
  }),
};
const placement = planPlacement(model.spec, gpuClasses(H100), { catalogue: DEFAULT_CATALOGUE });
const cache = (over: Partial<ObservedWeightCache>): ObservedWeightCache => ({
  claimName: 'chat-weights',
  jobName: 'chat-weights-0123456789',
  claimPhase: 'Bound',
  job: 'Running',
  failure: null,
  unschedulable: null,
  download: null,
  ...over,
});
const statusWith = (weightCache: ObservedWeightCache) =>
  planStatus(
    model,
    placement,
    null,
    { deployment: null, unschedulable: null, failing: null, download: null, selector: 's', weightCache },
    new Date('2026-12-01T10:00:00Z'),
  );
const condition = (s: ReturnType<typeof planStatus>, type: string) => {
  const c = s.conditions!.find((x) => x.type === type)!;
  return `${c.status}/${c.reason}: ${c.message}`;
};

describe('the weight cache in status (pure, table)', () => {
  it.each([
    [
      'claim not made yet',
      cache({ claimPhase: null, job: null }),
      'True/WaitingForWeightCache: claim chat-weights is not created yet: the download starts once it is bound',
    ],
    [
      'claim pending',
      cache({ claimPhase: 'Pending' }),
      'True/WaitingForWeightCache: claim chat-weights is Pending: the download starts once it is bound',
    ],
    ['Job starting', cache({}), 'True/DownloadingWeights: download Job chat-weights-0123456789 is starting'],
    [
      "the Job's pod cannot be scheduled",
      cache({ unschedulable: '0/3 nodes are available: 3 Insufficient cpu.' }),
      'True/DownloadingWeights: the pod of download Job chat-weights-0123456789 cannot be scheduled: ' +
        '0/3 nodes are available: 3 Insufficient cpu.',
    ],
    [
      'downloading',
      cache({ download: { bytesDone: 2 * 2 ** 30, bytesTotal: 8 * 2 ** 30 } }),
      'True/DownloadingWeights: downloading weights into claim chat-weights: 25% (2.0 of 8.0 GiB)',
    ],
    [
      'an attempt failed, the Job tries again',
      cache({ failure: 'pod p-1: sha256 mismatch', download: { bytesDone: 0, bytesTotal: 0 } }),
      'True/DownloadingWeights: downloading weights into claim chat-weights: 0.0 GiB so far; ' +
        'an attempt failed: pod p-1: sha256 mismatch',
    ],
    [
      'the Job failed',
      cache({ job: 'Failed', failure: 'pod p-2: a.gguf: sha256 mismatch' }),
      'False/WeightsDownloadFailed: download Job chat-weights-0123456789 failed: pod p-2: a.gguf: sha256 mismatch; ' +
        'runtime pods wait for the cache ' +
        '(a change to spec.source.url starts another Job; deleting this one tries again)',
    ],
  ])('%s: Progressing says so', (_, weightCache, progressing) => {
    const status = statusWith(weightCache);
    expect(condition(status, 'Progressing')).toBe(progressing);
    expect(status.weightCache).toEqual({ claimName: 'chat-weights', jobName: weightCache.jobName, complete: false });
  });

  it('a failed Job is Degraded with the reason; a complete cache steps aside for the rollout', () => {
    const failed = statusWith(cache({ job: 'Failed', failure: 'pod p-2: a.gguf: sha256 mismatch' }));
    expect(condition(failed, 'Degraded')).toMatch(/^True\/WeightsDownloadFailed: download Job .* sha256 mismatch/);
    const complete = statusWith(cache({ job: 'Complete' }));
    expect(condition(complete, 'Progressing')).toBe('False/Stable: nothing to roll out');
    expect(condition(complete, 'Degraded')).toBe('False/Healthy: no problem seen');
    expect(complete.weightCache?.complete).toBe(true);
  });
});
