import type { GptOssModelSpec } from '../api/v1alpha1/gptOssModel.js';

/**
 * GPU memory one replica needs, from the model's own shape (../shared reference: gpt-oss.md).
 * Pure: no client, no clock, no I/O.
 */

export interface ModelShape {
  /** The published GGUF's size (MXFP4 experts, Q8_0 elsewhere), all shards. */
  weightsBytes: number;
  layers: number;
  /** Layers that attend to the whole context; the others use a sliding window. */
  fullAttentionLayers: number;
  kvHeads: number;
  headDim: number;
  slidingWindow: number;
  vocabulary: number;
}

export const SHAPES: Record<GptOssModelSpec['variant'], ModelShape> = {
  'gpt-oss-20b': {
    weightsBytes: 12_101_906_912,
    layers: 24,
    fullAttentionLayers: 12,
    kvHeads: 8,
    headDim: 64,
    slidingWindow: 128,
    vocabulary: 201_088,
  },
  'gpt-oss-120b': {
    weightsBytes: 63_379_686_848,
    layers: 36,
    fullAttentionLayers: 18,
    kvHeads: 8,
    headDim: 64,
    slidingWindow: 128,
    vocabulary: 201_088,
  },
};

const MiB = 1024 * 1024;
/** llama.cpp's default physical batch: the logits buffer and sliding-window cells scale with it. */
const UBATCH = 512;

/** What sizing adds to weights and caches; named settings of the operator config. */
export interface Sizing {
  /** Compute buffers beyond the logits of one batch (graph scratch), per GPU. */
  computeBufferMiB: number;
  /** CUDA context, cuBLAS workspace and fragmentation, per GPU. */
  marginMiB: number;
  /** On top of weights and caches, per GPU. */
  marginRatio: number;
}

export const DEFAULT_SIZING: Sizing = { computeBufferMiB: 32, marginMiB: 512, marginRatio: 0.05 };

export interface MemoryNeed {
  weightsMiB: number;
  /** The base model's context. */
  kvCacheMiB: number;
  /** Per GPU, for the base model's context. */
  computeMiB: number;
  /** Every adapter's tensors, and its own context's KV cache and compute buffers (on every GPU). */
  adaptersMiB: number;
  marginMiB: number;
  /** Per GPU when the replica is split over `gpus` GPUs (weights and caches divide, compute does not). */
  perGpuMiB: number;
  gpus: number;
  totalMiB: number;
}

/**
 * Memory of one replica over `gpus` GPUs. KV: f16 K and V for every full-attention layer, for
 * contextSize x parallelSlots cells (node-llama-cpp's contextSize is per sequence), plus the
 * sliding-window cache (slots x window + a batch). Compute: the logits buffer of one batch
 * (batch x vocabulary x f32) and a small constant; a real 20b load at 131,072 tokens measured
 * 3072 MiB KV, 18 MiB sliding-window KV and about 420 MiB compute, which this reproduces.
 *
 * Adapters: node-llama-cpp applies a LoRA to a whole context, so each adapter is served by a context of its own
 * (runtime/engine/lanes.ts) with parallelSlots slots: it costs its tensors (sizeMiB) plus the same KV cache and
 * compute buffers as the base model's context.
 */
export function replicaMemory(
  spec: Pick<GptOssModelSpec, 'variant' | 'contextSize' | 'parallelSlots' | 'adapters'>,
  gpus = 1,
  sizing: Sizing = DEFAULT_SIZING,
): MemoryNeed {
  const s = SHAPES[spec.variant];
  const kvBytesPerCell = 2 * s.kvHeads * s.headDim * 2; // K and V, f16
  const fullKv = s.fullAttentionLayers * kvBytesPerCell * spec.contextSize * spec.parallelSlots;
  const windowKv =
    (s.layers - s.fullAttentionLayers) * kvBytesPerCell * (spec.parallelSlots * s.slidingWindow + UBATCH);
  const weightsMiB = Math.ceil(s.weightsBytes / MiB);
  const kvCacheMiB = Math.ceil((fullKv + windowKv) / MiB);
  const computeMiB = Math.ceil((UBATCH * s.vocabulary * 4) / MiB) + sizing.computeBufferMiB;
  const adapters = spec.adapters ?? [];
  const adapterSharedMiB = adapters.reduce((sum, a) => sum + a.sizeMiB + kvCacheMiB, 0);
  const contexts = 1 + adapters.length;
  const shared = (weightsMiB + kvCacheMiB + adapterSharedMiB) / gpus;
  const marginMiB = Math.ceil(shared * sizing.marginRatio) + sizing.marginMiB;
  const perGpuMiB = Math.ceil(shared) + contexts * computeMiB + marginMiB;
  const adaptersMiB = adapterSharedMiB + adapters.length * computeMiB * gpus;
  return { weightsMiB, kvCacheMiB, computeMiB, adaptersMiB, marginMiB, perGpuMiB, gpus, totalMiB: perGpuMiB * gpus };
}
