import { describe, expect, it } from 'vitest';
import { DEFAULT_CATALOGUE, gpuClasses, nodesMatching, type NodeInfo } from '../../../operator/planner/gpuClasses.js';
import { replicaMemory } from '../../../operator/planner/memory.js';
import { planPlacement } from '../../../operator/planner/placement.js';
import { POOL } from '../../helpers/nodePool.js';

/** The local cluster's node pool (cluster/nodes.yaml) as the planner sees it. */
const spec = (variant: 'gpt-oss-20b' | 'gpt-oss-120b', extra: Record<string, unknown> = {}) =>
  ({ variant, contextSize: 8192, parallelSlots: 4, ...extra }) as Parameters<typeof planPlacement>[0];

describe('replica memory from the model shape (pure)', () => {
  it.each([
    // variant, context, slots -> KV MiB, per-GPU MiB on one GPU
    ['gpt-oss-20b', 131_072, 1, 3087, 16_298],
    ['gpt-oss-20b', 8192, 4, 792, 13_888],
    ['gpt-oss-120b', 8192, 4, 1188, 65_651],
    ['gpt-oss-120b', 131_072, 256, 1_180_818, 1_304_263],
  ] as const)('%s, %i tokens x %i slots', (variant, contextSize, parallelSlots, kv, perGpu) => {
    const need = replicaMemory({ variant, contextSize, parallelSlots });
    expect(need.kvCacheMiB).toBe(kv);
    expect(need.perGpuMiB).toBe(perGpu);
    expect(need.computeMiB).toBe(425); // the 512-token logits buffer over 201,088 tokens, and a constant
  });

  it('a real 20b load at 131,072 tokens measured 3072 MiB full KV + 18 MiB window KV: we estimate within 1%', () => {
    expect(
      replicaMemory({ variant: 'gpt-oss-20b', contextSize: 131_072, parallelSlots: 1 }).kvCacheMiB / (3072 + 18),
    ).toBeCloseTo(1, 1);
  });

  it('splitting over GPUs divides weights and KV, not compute', () => {
    const one = replicaMemory(spec('gpt-oss-120b'), 1);
    const two = replicaMemory(spec('gpt-oss-120b'), 2);
    expect(two.perGpuMiB).toBeLessThan(one.perGpuMiB / 2 + one.computeMiB + 600);
    expect(two.totalMiB).toBe(two.perGpuMiB * 2);
  });
});

describe('GPU classes from node labels (pure)', () => {
  it('reads GFD, Karpenter and GKE labels, with the catalogue where labels do not say the memory', () => {
    const classes = gpuClasses(POOL);
    expect(classes.map((c) => [c.source, c.product, c.memoryMiB, c.gpusPerNode, c.nodes.length])).toEqual([
      ['gfd', 'Tesla-T4', 15_360, 1, 1],
      ['gfd', 'NVIDIA-L4', 23_034, 1, 2],
      ['gke', 'nvidia-tesla-a100', 40_960, 4, 1],
      ['gfd', 'NVIDIA-H100-80GB-HBM3', 81_559, 8, 2],
      ['karpenter', 'h200', 143_771, 8, 1],
    ]);
  });

  it('a GKE product missing from the catalogue is not a candidate; CPU nodes are not either', () => {
    const odd: NodeInfo[] = [
      {
        name: 'x',
        labels: { 'cloud.google.com/gke-accelerator': 'nvidia-unknown' },
        allocatable: { 'nvidia.com/gpu': '2' },
      },
      { name: 'cpu', labels: {}, allocatable: { cpu: '8' } },
    ];
    expect(gpuClasses(odd)).toEqual([]);
  });
});

describe('placement (pure, table)', () => {
  const classes = gpuClasses(POOL);
  it.each([
    // fitting nodes count every node whose GPUs could hold a replica, by capacity
    ['20b by default fits 16 GB: the smallest GPU, a T4', spec('gpt-oss-20b'), 'Tesla-T4', 1, 7],
    [
      '20b at 131,072 tokens outgrows a T4: an L4',
      spec('gpt-oss-20b', { contextSize: 131_072, parallelSlots: 1 }),
      'NVIDIA-L4',
      1,
      6,
    ],
    ['120b on one 80 GB GPU', spec('gpt-oss-120b'), 'NVIDIA-H100-80GB-HBM3', 1, 3],
    ['an allow-list picks among what fits', spec('gpt-oss-20b', { gpu: { products: ['h200'] } }), 'h200', 1, 7],
    [
      'minMemoryMiB skips smaller GPUs',
      spec('gpt-oss-20b', { gpu: { minMemoryMiB: 40_000 } }),
      'nvidia-tesla-a100',
      1,
      7,
    ],
  ] as const)('%s', (_name, s, gpuClass, gpus, fittingNodes) => {
    const p = planPlacement(s, classes, { catalogue: DEFAULT_CATALOGUE });
    expect(p).toMatchObject({
      placed: true,
      gpuClass,
      gpusPerReplica: gpus,
      resourceName: 'nvidia.com/gpu',
      fittingNodes,
    });
  });

  it('where no single GPU fits, the fewest GPUs of one node', () => {
    const a100Only = gpuClasses(POOL.filter((n) => n.name === 'gpu-a100-0'));
    const p = planPlacement(spec('gpt-oss-120b'), a100Only, { catalogue: DEFAULT_CATALOGUE });
    expect(p).toMatchObject({ placed: true, gpuClass: 'nvidia-tesla-a100', gpusPerReplica: 2, fittingNodes: 1 });
  });

  it('required affinity: memory per GPU at least the need, a term per label source; preferred: the class', () => {
    const p = planPlacement(spec('gpt-oss-120b'), classes, { catalogue: DEFAULT_CATALOGUE });
    if (!p.placed) throw new Error(p.message);
    expect(p.requiredTerms).toEqual([
      [{ key: 'nvidia.com/gpu.memory', operator: 'Gt', values: ['65650'] }],
      [{ key: 'karpenter.k8s.aws/instance-gpu-memory', operator: 'Gt', values: ['65650'] }],
      [
        {
          key: 'cloud.google.com/gke-accelerator',
          operator: 'In',
          values: ['nvidia-a100-80gb', 'nvidia-h100-80gb', 'nvidia-h200-141gb'],
        },
      ],
    ]);
    expect(p.preferred).toEqual([{ key: 'nvidia.com/gpu.product', operator: 'In', values: ['NVIDIA-H100-80GB-HBM3'] }]);
  });

  // the message says what was needed and the largest GPU seen
  it('120b with 256 slots of 131,072 tokens needs over a terabyte: NoFittingGPU', () => {
    const p = planPlacement(spec('gpt-oss-120b', { contextSize: 131_072, parallelSlots: 256 }), classes, {
      catalogue: DEFAULT_CATALOGUE,
    });
    expect(p.placed).toBe(false);
    if (p.placed) return;
    expect(p.reason).toBe('NoFittingGPU');
    expect(p.need.totalMiB).toBeGreaterThan(1024 * 1024);
    expect(p.message).toMatch(
      new RegExp(
        String.raw`^a replica needs 1304263 MiB of GPU memory \(weights 60444, KV cache 1180818, compute 425, ` +
          String.raw`margin 62576\) and no node can hold it, not even on all of its GPUs;`,
      ),
    );
    expect(p.message).toMatch(/the largest GPU seen is h200 with 143771 MiB \(8 per node\)$/);
  });

  it('a GPU count below what the model needs: InsufficientGPUMemory', () => {
    const p = planPlacement(spec('gpt-oss-120b', { gpu: { count: 1, products: ['nvidia-tesla-a100'] } }), classes, {
      catalogue: DEFAULT_CATALOGUE,
    });
    expect(p).toMatchObject({ placed: false, reason: 'InsufficientGPUMemory' });
    expect(p.placed ? '' : p.message).toMatch(/^1 GPU\(s\) per replica need 65651 MiB each/);
  });

  it('no GPU nodes at all', () => {
    const p = planPlacement(spec('gpt-oss-20b'), [], { catalogue: DEFAULT_CATALOGUE });
    expect(p).toMatchObject({ placed: false, reason: 'NoFittingGPU' });
    expect(p.placed ? '' : p.message).toMatch(/no GPU nodes were seen$/);
  });
});

describe('sticky placement (pure)', () => {
  const settings = { catalogue: DEFAULT_CATALOGUE };
  const first = planPlacement(spec('gpt-oss-20b'), gpuClasses(POOL), settings);
  if (!first.placed) throw new Error(first.message);
  const recorded = {
    gpuClass: first.gpuClass,
    gpusPerReplica: first.gpusPerReplica,
    planHash: first.planHash,
    labelSources: first.labelSources,
  };
  const without = (prefix: string) => gpuClasses(POOL.filter((n) => !n.name.startsWith(prefix)));

  it('keeps the recorded class when a smaller or cheaper class appears later', () => {
    // planned while only L4s and bigger existed; the T4 node joining does not move the replicas
    const planned = planPlacement(spec('gpt-oss-20b'), without('gpu-t4'), settings);
    if (!planned.placed) throw new Error(planned.message);
    expect(planned.gpuClass).toBe('NVIDIA-L4');
    const later = planPlacement(spec('gpt-oss-20b'), gpuClasses(POOL), settings, {
      gpuClass: planned.gpuClass,
      gpusPerReplica: 1,
      planHash: planned.planHash,
      labelSources: planned.labelSources,
    });
    expect(later).toMatchObject({ placed: true, gpuClass: 'NVIDIA-L4', kept: true });
  });

  it('keeps the recorded required terms when a new label source appears (no rollout from node churn)', () => {
    const gfdOnly = gpuClasses(POOL.filter((n) => n.labels['nvidia.com/gpu.product']));
    const planned = planPlacement(spec('gpt-oss-20b'), gfdOnly, settings);
    if (!planned.placed) throw new Error(planned.message);
    expect(planned.labelSources).toEqual(['gfd']);
    const later = planPlacement(spec('gpt-oss-20b'), gpuClasses(POOL), settings, {
      gpuClass: planned.gpuClass,
      gpusPerReplica: 1,
      planHash: planned.planHash,
      labelSources: planned.labelSources,
    });
    expect(later.placed && later.requiredTerms).toEqual(planned.requiredTerms);
    expect(later.placed && later.fittingNodes).toBeGreaterThan(planned.fittingNodes); // the count follows capacity
  });

  it('re-plans when a spec field it was planned from changes', () => {
    const bigger = planPlacement(
      spec('gpt-oss-20b', { contextSize: 131_072, parallelSlots: 1 }),
      gpuClasses(POOL),
      settings,
      recorded,
    );
    expect(bigger).toMatchObject({ placed: true, gpuClass: 'NVIDIA-L4', kept: false });
  });

  it('a spec change placement does not read (replicas, effort) keeps the plan hash', () => {
    expect(
      planPlacement(
        { ...spec('gpt-oss-20b'), replicas: 5, reasoningEffort: 'high' } as never,
        gpuClasses(POOL),
        settings,
      ).placed && first.planHash,
    ).toBe(first.planHash);
  });

  it('re-plans when the recorded class leaves the cluster', () => {
    const p = planPlacement(spec('gpt-oss-20b'), without('gpu-t4'), settings, recorded);
    expect(p).toMatchObject({ placed: true, gpuClass: 'NVIDIA-L4', kept: false });
  });

  it('re-plans when the recorded class no longer fits (the admin raised the margin)', () => {
    const p = planPlacement(
      spec('gpt-oss-20b'),
      gpuClasses(POOL),
      { ...settings, sizing: { computeBufferMiB: 32, marginMiB: 4096, marginRatio: 0.05 } },
      recorded,
    );
    expect(p).toMatchObject({ placed: true, kept: false });
    expect(p.placed && p.gpuClass).not.toBe('Tesla-T4');
  });
});

describe('sizing settings (pure)', () => {
  it('compute buffer and margin come from the operator config', () => {
    const base = replicaMemory(spec('gpt-oss-20b'));
    const custom = replicaMemory(spec('gpt-oss-20b'), 1, { computeBufferMiB: 132, marginMiB: 1024, marginRatio: 0 });
    expect(custom.computeMiB - base.computeMiB).toBe(100);
    expect(custom.marginMiB).toBe(1024);
    expect(custom.weightsMiB).toBe(base.weightsMiB);
  });
});

describe("the model's node selector narrows the nodes placement chooses from (pure)", () => {
  it('a selector for the L4 pool makes the L4 the choice, not the smaller T4 elsewhere', () => {
    const selected = nodesMatching(POOL, { 'nvidia.com/gpu.product': 'NVIDIA-L4' });
    expect(selected.map((n) => n.name).sort()).toEqual(['gpu-l4-0', 'gpu-l4-1']);
    const p = planPlacement(spec('gpt-oss-20b'), gpuClasses(selected), { catalogue: DEFAULT_CATALOGUE });
    expect(p).toMatchObject({ placed: true, gpuClass: 'NVIDIA-L4', fittingNodes: 2 });
    expect(nodesMatching(POOL, undefined)).toHaveLength(POOL.length);
  });
});
