/**
 * GPU classes as the cluster labels them: NVIDIA GPU Feature Discovery, GKE and Karpenter labels,
 * and an admin catalogue for what labels do not say (GKE names a product, not its memory). Nodes
 * are counted by capacity (allocatable), never by what is free, so plans do not churn.
 */

import { byCodeUnits } from '../../contract/order.js';

export interface NodeInfo {
  name: string;
  labels: Record<string, string>;
  allocatable: Record<string, string>;
}

export interface CatalogueEntry {
  /** Memory per GPU in MiB. */
  memoryMiB: number;
  /** The extended resource (nvidia.com/gpu, or a MIG resource). */
  resourceName?: string;
  /** Relative cost, to break ties between classes that fit equally well. */
  cost?: number;
}

/** Products as each label source names them; the admin's config extends or overrides this. */
export const DEFAULT_CATALOGUE: Record<string, CatalogueEntry> = {
  'nvidia-tesla-t4': { memoryMiB: 15_360, cost: 1 },
  'nvidia-l4': { memoryMiB: 23_034, cost: 2 },
  'nvidia-tesla-a100': { memoryMiB: 40_960, cost: 4 },
  'nvidia-a100-80gb': { memoryMiB: 81_920, cost: 6 },
  'nvidia-h100-80gb': { memoryMiB: 81_559, cost: 8 },
  'nvidia-h200-141gb': { memoryMiB: 143_771, cost: 10 },
};

export type LabelSource = 'gfd' | 'karpenter' | 'gke';

export interface GpuClass {
  /** Product name as the labels give it (NVIDIA-H100-80GB-HBM3, h200, nvidia-l4, ...). */
  product: string;
  source: LabelSource;
  memoryMiB: number;
  resourceName: string;
  cost: number;
  /** GPUs per node (the largest allocatable count among its nodes). */
  gpusPerNode: number;
  nodes: Array<{ name: string; gpus: number }>;
}

const DEFAULT_RESOURCE = 'nvidia.com/gpu';

function classOf(
  node: NodeInfo,
  catalogue: Record<string, CatalogueEntry>,
): Omit<GpuClass, 'gpusPerNode' | 'nodes'> | null {
  const l = node.labels;
  const entry = (product: string) => catalogue[product] ?? catalogue[product.toLowerCase()];
  const make = (product: string, source: LabelSource, labelMemory?: string) => {
    const e = entry(product);
    const memoryMiB = Number(labelMemory) || e?.memoryMiB;
    if (!memoryMiB) return null; // a product we cannot size: not a candidate
    return {
      product,
      source,
      memoryMiB,
      resourceName: e?.resourceName ?? DEFAULT_RESOURCE,
      cost: e?.cost ?? memoryMiB / 10_000,
    };
  };
  if (l['nvidia.com/gpu.product']) return make(l['nvidia.com/gpu.product'], 'gfd', l['nvidia.com/gpu.memory']);
  if (l['karpenter.k8s.aws/instance-gpu-name'])
    return make(l['karpenter.k8s.aws/instance-gpu-name'], 'karpenter', l['karpenter.k8s.aws/instance-gpu-memory']);
  if (l['cloud.google.com/gke-accelerator']) return make(l['cloud.google.com/gke-accelerator'], 'gke');
  return null;
}

export function gpuClasses(
  nodes: readonly NodeInfo[],
  catalogue: Record<string, CatalogueEntry> = DEFAULT_CATALOGUE,
): GpuClass[] {
  const classes = new Map<string, GpuClass>();
  for (const node of nodes) {
    const c = classOf(node, catalogue);
    if (!c) continue;
    const gpus = Number(node.allocatable[c.resourceName] ?? 0);
    if (gpus < 1) continue;
    const key = `${c.source}/${c.product}`;
    const existing = classes.get(key) ?? { ...c, gpusPerNode: 0, nodes: [] };
    existing.gpusPerNode = Math.max(existing.gpusPerNode, gpus);
    existing.nodes.push({ name: node.name, gpus });
    classes.set(key, existing);
  }
  return [...classes.values()].sort(
    (a, b) => a.memoryMiB - b.memoryMiB || a.cost - b.cost || byCodeUnits(a.product, b.product),
  );
}

/** The nodes a model's own node selector allows: placement chooses among these only. */
export function nodesMatching(nodes: readonly NodeInfo[], selector: Record<string, string> | undefined): NodeInfo[] {
  if (!selector) return [...nodes];
  return nodes.filter((n) => Object.entries(selector).every(([k, v]) => n.labels[k] === v));
}

/**
 * gpuClasses of the nodes a model's selector allows, remembered per node list (by identity) and selector: callers
 * that keep one list while the nodes' labels and allocatable stay the same (the operator's cache reads) compute the
 * classes once, not on every reconcile. The classes returned are shared: not to be changed.
 */
export function classesOfPool(catalogue: Record<string, CatalogueEntry> = DEFAULT_CATALOGUE) {
  const remembered = new WeakMap<readonly NodeInfo[], Map<string, GpuClass[]>>();
  return (nodes: readonly NodeInfo[], selector: Record<string, string> | undefined): GpuClass[] => {
    let bySelector = remembered.get(nodes);
    if (!bySelector) remembered.set(nodes, (bySelector = new Map<string, GpuClass[]>()));
    const key = JSON.stringify(Object.entries(selector ?? {}).sort(([a], [b]) => byCodeUnits(a, b)));
    let classes = bySelector.get(key);
    if (!classes) bySelector.set(key, (classes = gpuClasses(nodesMatching(nodes, selector), catalogue)));
    return classes;
  };
}
