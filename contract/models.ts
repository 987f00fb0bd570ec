/**
 * What gpt-oss is, once: the variants, the reasoning efforts, the bounds a model's settings must
 * keep, and each variant's published shape. The API types, the runtime's flags, the planner's memory
 * model and the synthetic presets all read these, so they cannot drift apart.
 */

export const VARIANTS = ['gpt-oss-20b', 'gpt-oss-120b'] as const;
export type Variant = (typeof VARIANTS)[number];

/** The `Reasoning:` line of harmony's system message. */
export const REASONING_EFFORTS = ['low', 'medium', 'high'] as const;
export type ReasoningEffort = (typeof REASONING_EFFORTS)[number];
export const DEFAULT_REASONING_EFFORT: ReasoningEffort = 'medium';

/** Who owns a GptOssModel's spec.replicas (spec.autoscaling.mode): the operator's API and the gateway's wake. */
export const AUTOSCALING_MODES = ['off', 'builtin', 'external'] as const;
export type AutoscalingMode = (typeof AUTOSCALING_MODES)[number];

/** gpt-oss's trained context (YaRN): the most tokens one request (one slot) can hold. */
export const MAX_CONTEXT_SIZE = 131_072;
/** Parallel slots one runtime decodes together. */
export const MAX_PARALLEL_SLOTS = 256;

/** A gpt-oss transformer's shape (../shared/reference/gpt-oss.md), as GGUF and the KV cache see it. */
export interface GptOssShape {
  layers: number;
  /** Layers that attend to the whole context; the others (every other one) use a sliding window. */
  fullAttentionLayers: number;
  embedding: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  experts: number;
  expertsUsed: number;
  expertFfn: number;
  slidingWindow: number;
  contextLength: number;
  /** Token ids: o200k_harmony's 201,088. */
  vocabulary: number;
}

/** A published variant: its shape and the GGUF release (MXFP4 experts, Q8_0 elsewhere). */
export interface VariantShape extends GptOssShape {
  /** The published GGUF's size, all shards. */
  weightsBytes: number;
  /** The published file layout: the 120b GGUF comes in shards. */
  shards: number;
}

const SHARED = {
  embedding: 2880,
  heads: 64,
  kvHeads: 8,
  headDim: 64,
  expertsUsed: 4,
  expertFfn: 2880,
  slidingWindow: 128,
  contextLength: MAX_CONTEXT_SIZE,
  vocabulary: 201_088,
} as const;

export const VARIANT_SHAPES: Readonly<Record<Variant, VariantShape>> = {
  'gpt-oss-20b': {
    ...SHARED,
    layers: 24,
    fullAttentionLayers: 12,
    experts: 32,
    weightsBytes: 12_101_906_912,
    shards: 1,
  },
  'gpt-oss-120b': {
    ...SHARED,
    layers: 36,
    fullAttentionLayers: 18,
    experts: 128,
    weightsBytes: 63_379_686_848,
    shards: 3,
  },
};
