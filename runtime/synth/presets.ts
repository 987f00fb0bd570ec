import { VARIANT_SHAPES, type GptOssShape as PublishedShape, type Variant } from '../../contract/models.js';

/** Model shapes for the synthetic presets. The full-size ones are gpt-oss's published shapes (contract/models.ts). */

export const ARCHES = ['gpt-oss', 'llama'] as const;
export type Arch = (typeof ARCHES)[number];
export const PRESETS = ['tiny', 'small', 'gpt-oss-20b', 'gpt-oss-120b'] as const;
export type Preset = (typeof PRESETS)[number];

export interface GptOssShape extends Omit<PublishedShape, 'vocabulary' | 'fullAttentionLayers'> {
  /** "real": o200k_harmony's 201,088 ids with the specials where the real files have them. */
  tokenizer: 'compact' | 'real';
  /** Published file layout: the 120b GGUF comes in shards. */
  defaultShards: number;
}

export interface LlamaShape {
  layers: number;
  embedding: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  ffn: number;
  contextLength: number;
}

/** A published variant as a preset: its shape with the real tokenizer and the published shards. */
function published(variant: Variant): GptOssShape {
  const {
    vocabulary: _ids,
    fullAttentionLayers: _full,
    weightsBytes: _bytes,
    shards,
    ...shape
  } = VARIANT_SHAPES[variant];
  return { ...shape, tokenizer: 'real', defaultShards: shards };
}

export const GPT_OSS_SHAPES: Record<Preset, GptOssShape> = {
  // loads in milliseconds
  tiny: {
    layers: 2,
    embedding: 64,
    heads: 4,
    kvHeads: 2,
    headDim: 16,
    experts: 4,
    expertsUsed: 2,
    expertFfn: 64,
    slidingWindow: 8,
    contextLength: 131_072,
    tokenizer: 'compact',
    defaultShards: 1,
  },
  // about 100M active parameters a token: several milliseconds a token on one CPU thread
  small: {
    layers: 12,
    embedding: 768,
    heads: 12,
    kvHeads: 4,
    headDim: 64,
    experts: 16,
    expertsUsed: 4,
    expertFfn: 768,
    slidingWindow: 128,
    contextLength: 131_072,
    tokenizer: 'compact',
    defaultShards: 1,
  },
  'gpt-oss-20b': published('gpt-oss-20b'),
  'gpt-oss-120b': published('gpt-oss-120b'),
};

/**
 * The scripted model's shapes (`--scripted`, harmonyScript.ts): its circuit needs three layers of
 * ten heads of 32 dimensions, no grouping, and an embedding wide enough for its features. `tiny`
 * has just that, with experts as small as gpt-oss allows (their output is zero); `small` has the
 * small preset's size and cost per token (12 layers, d=768, its experts), the script in its first
 * three layers and the others passing the residual through unchanged.
 */
export const SCRIPTED_SHAPES: Partial<Record<Preset, GptOssShape>> = {
  tiny: {
    layers: 3,
    embedding: 128,
    heads: 10,
    kvHeads: 10,
    headDim: 32,
    experts: 4,
    expertsUsed: 2,
    expertFfn: 32,
    slidingWindow: 131_072,
    contextLength: 131_072,
    tokenizer: 'compact',
    defaultShards: 1,
  },
  small: {
    ...GPT_OSS_SHAPES.small,
    heads: 12,
    kvHeads: 12,
    headDim: 32,
    slidingWindow: 131_072,
  },
};

export const LLAMA_SHAPES: Partial<Record<Preset, LlamaShape>> = {
  tiny: { layers: 2, embedding: 64, heads: 4, kvHeads: 2, headDim: 16, ffn: 128, contextLength: 32_768 },
  small: { layers: 12, embedding: 768, heads: 12, kvHeads: 4, headDim: 64, ffn: 2048, contextLength: 32_768 },
};
