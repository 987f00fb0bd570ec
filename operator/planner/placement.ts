import { createHash } from 'node:crypto';
import type { GptOssModelSpec } from '../api/v1alpha1/gptOssModel.js';
import { REASONS } from '../api/v1alpha1/reasons.js';
import type { CatalogueEntry, GpuClass, LabelSource } from './gpuClasses.js';
import { DEFAULT_SIZING, replicaMemory, type MemoryNeed, type Sizing } from './memory.js';

/**
 * Where a replica goes: the smallest GPU class whose single GPU fits; where none does, the fewest
 * GPUs of one node. Expressed so pods can fall back to bigger GPUs when the chosen class is full:
 * required affinity "memory per GPU at least the need" (one term per label source present),
 * preferred affinity for the chosen class. Pure and deterministic.
 *
 * Sticky: the decision is recorded in the model's status and kept while the spec fields it was
 * planned from are unchanged and the chosen class is still in the cluster; nodes coming and going
 * (or a new label source appearing) do not move running replicas.
 */

export interface NodeSelectorRequirement {
  key: string;
  operator: 'In' | 'Gt';
  values: string[];
}

export interface Placed {
  placed: true;
  need: MemoryNeed;
  gpuClass: string;
  gpuMemoryMiB: number;
  gpusPerReplica: number;
  resourceName: string;
  /** Nodes that could host a replica by capacity, whatever runs there now. */
  fittingNodes: number;
  /** ORed terms: any GPU with enough memory, however the node is labelled. */
  requiredTerms: NodeSelectorRequirement[][];
  preferred: NodeSelectorRequirement[];
  /** Hash of the spec fields this was planned from. */
  planHash: string;
  labelSources: LabelSource[];
  /** True when the recorded decision was kept rather than planned afresh. */
  kept: boolean;
}

/** A decision as recorded in status.placement. */
export interface RecordedPlacement {
  gpuClass?: string;
  gpusPerReplica?: number;
  planHash?: string;
  labelSources?: string[];
}

export interface PlacementSettings {
  catalogue: Record<string, CatalogueEntry>;
  sizing?: Sizing;
}

type PlannedSpec = Pick<GptOssModelSpec, 'variant' | 'contextSize' | 'parallelSlots' | 'gpu' | 'adapters'>;

/**
 * The spec fields placement reads (the node selector narrows the nodes it chooses from); a change to any of them (and
 * only them) re-plans.
 */
export function placementHash(spec: PlannedSpec): string {
  const { variant, contextSize, parallelSlots } = spec;
  const gpu = {
    count: spec.gpu?.count,
    minMemoryMiB: spec.gpu?.minMemoryMiB,
    products: spec.gpu?.products,
    nodeSelector: spec.gpu?.nodeSelector,
  };
  // absent without adapters: the hash of a model that has none is what it was before adapters existed
  const adapterMiB = spec.adapters?.length ? spec.adapters.map((a) => a.sizeMiB) : undefined;
  return createHash('sha256')
    .update(JSON.stringify({ variant, contextSize, parallelSlots, gpu, adapterMiB }))
    .digest('hex')
    .slice(0, 16);
}

export interface NotPlaced {
  placed: false;
  reason: typeof REASONS.noFittingGpu | typeof REASONS.insufficientGpuMemory;
  message: string;
  need: MemoryNeed;
}

export type Placement = Placed | NotPlaced;

const PRODUCT_LABEL: Record<LabelSource, string> = {
  gfd: 'nvidia.com/gpu.product',
  karpenter: 'karpenter.k8s.aws/instance-gpu-name',
  gke: 'cloud.google.com/gke-accelerator',
};
const MEMORY_LABEL: Partial<Record<LabelSource, string>> = {
  gfd: 'nvidia.com/gpu.memory',
  karpenter: 'karpenter.k8s.aws/instance-gpu-memory',
};

const LABEL_SOURCES = ['gfd', 'karpenter', 'gke'] as const;
const sourcesOf = (classes: GpuClass[]) => LABEL_SOURCES.filter((source) => classes.some((c) => c.source === source));

function requiredTerms(
  sources: readonly LabelSource[],
  perGpuMiB: number,
  catalogue: Record<string, CatalogueEntry>,
): NodeSelectorRequirement[][] {
  const terms: NodeSelectorRequirement[][] = [];
  for (const source of LABEL_SOURCES) {
    if (!sources.includes(source)) continue;
    const memoryLabel = MEMORY_LABEL[source];
    if (memoryLabel) {
      terms.push([{ key: memoryLabel, operator: 'Gt', values: [String(perGpuMiB - 1)] }]);
    } else {
      // GKE says the product, not its memory: every catalogued product big enough
      const products = Object.entries(catalogue)
        .filter(([, e]) => e.memoryMiB >= perGpuMiB)
        .map(([p]) => p)
        .sort();
      if (products.length) terms.push([{ key: PRODUCT_LABEL[source], operator: 'In', values: products }]);
    }
  }
  return terms;
}

const fits = (c: GpuClass, gpus: number, perGpuMiB: number) => c.gpusPerNode >= gpus && c.memoryMiB >= perGpuMiB;

export function planPlacement(
  spec: PlannedSpec,
  allClasses: GpuClass[],
  settings: PlacementSettings,
  previous?: RecordedPlacement,
): Placement {
  const { catalogue, sizing = DEFAULT_SIZING } = settings;
  const planHash = placementHash(spec);
  const products = spec.gpu?.products?.map((p) => p.toLowerCase());
  const classes = allClasses.filter(
    (c) => (!products || products.includes(c.product.toLowerCase())) && c.memoryMiB >= (spec.gpu?.minMemoryMiB ?? 0),
  );
  const placed = (chosen: GpuClass, gpus: number, need: MemoryNeed, sources: LabelSource[], kept: boolean): Placed => ({
    placed: true,
    need,
    gpuClass: chosen.product,
    gpuMemoryMiB: chosen.memoryMiB,
    gpusPerReplica: gpus,
    resourceName: chosen.resourceName,
    fittingNodes: allClasses
      .filter((c) => c.memoryMiB >= need.perGpuMiB)
      .flatMap((c) => c.nodes)
      .filter((n) => n.gpus >= gpus).length,
    requiredTerms: requiredTerms(sources, need.perGpuMiB, catalogue),
    preferred: [{ key: PRODUCT_LABEL[chosen.source], operator: 'In', values: [chosen.product] }],
    planHash,
    labelSources: sources,
    kept,
  });

  if (previous?.planHash === planHash && previous.gpuClass && previous.gpusPerReplica) {
    const need = replicaMemory(spec, previous.gpusPerReplica, sizing);
    const still = classes.find(
      (c) => c.product === previous.gpuClass && fits(c, previous.gpusPerReplica!, need.perGpuMiB),
    );
    const sources = LABEL_SOURCES.filter((s) => previous.labelSources?.includes(s));
    if (still)
      return placed(still, previous.gpusPerReplica, need, sources.length ? sources : sourcesOf(allClasses), true);
  }

  const largest = [...allClasses].sort((a, b) => b.memoryMiB - a.memoryMiB)[0];
  const seen = largest
    ? `the largest GPU seen is ${largest.product} with ${largest.memoryMiB} MiB (${largest.gpusPerNode} per node)`
    : 'no GPU nodes were seen';
  const counts = spec.gpu?.count
    ? [spec.gpu.count]
    : Array.from({ length: Math.max(1, ...classes.map((c) => c.gpusPerNode)) }, (_, i) => i + 1);
  for (const gpus of counts) {
    const need = replicaMemory(spec, gpus, sizing);
    // smallest memory first, then cheapest (classes come sorted that way)
    const chosen = classes.find((c) => fits(c, gpus, need.perGpuMiB));
    if (chosen) return placed(chosen, gpus, need, sourcesOf(allClasses), false);
  }
  const need = replicaMemory(spec, spec.gpu?.count ?? 1, sizing);
  if (spec.gpu?.count) {
    return {
      placed: false,
      reason: REASONS.insufficientGpuMemory,
      need,
      message:
        `${spec.gpu.count} GPU(s) per replica need ${need.perGpuMiB} MiB each ` +
        `(${need.totalMiB} MiB in all); ${seen}`,
    };
  }
  return {
    placed: false,
    reason: REASONS.noFittingGpu,
    need,
    message:
      `a replica needs ${need.totalMiB} MiB of GPU memory (weights ${need.weightsMiB}, KV cache ${need.kvCacheMiB}, ` +
      `compute ${need.computeMiB}, ${need.adaptersMiB ? `adapters ${need.adaptersMiB}, ` : ''}` +
      `margin ${need.marginMiB}) and no node can hold it, ` +
      `not even on all of its GPUs; ${seen}`,
  };
}
