/** Model shapes for the synthetic presets. The full-size ones are gpt-oss's published shapes. */

export const ARCHES = ['gpt-oss', 'llama'] as const;
export type Arch = (typeof ARCHES)[number];
export const PRESETS = ['tiny', 'small', 'gpt-oss-20b', 'gpt-oss-120b'] as const;
export type Preset = (typeof PRESETS)[number];

export interface GptOssShape {
  layers: number;
  embedding: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  experts: number;
  expertsUsed: number;
  expertFfn: number;
  slidingWindow: number;
  contextLength: number;
  /** "real": o200k_harmony's 201,088 ids with the specials where the real files have them. */
  vocabulary: 'compact' | 'real';
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

const GPT_OSS_FULL = {
  embedding: 2880,
  heads: 64,
  kvHeads: 8,
  headDim: 64,
  expertsUsed: 4,
  expertFfn: 2880,
  slidingWindow: 128,
  contextLength: 131_072,
  vocabulary: 'real',
} as const;

export const GPT_OSS_SHAPES: Record<Preset, GptOssShape> = {
  // loads in milliseconds; big enough for the scripted harmony model's features (see harmonyScript.ts)
  tiny: {
    layers: 2, embedding: 64, heads: 4, kvHeads: 2, headDim: 16, experts: 4, expertsUsed: 2, expertFfn: 64,
    slidingWindow: 8, contextLength: 131_072, vocabulary: 'compact', defaultShards: 1,
  },
  // about 100M active parameters a token: several milliseconds a token on one CPU thread
  small: {
    layers: 12, embedding: 768, heads: 12, kvHeads: 4, headDim: 64, experts: 16, expertsUsed: 4, expertFfn: 768,
    slidingWindow: 128, contextLength: 131_072, vocabulary: 'compact', defaultShards: 1,
  },
  'gpt-oss-20b': { ...GPT_OSS_FULL, layers: 24, experts: 32, defaultShards: 1 },
  'gpt-oss-120b': { ...GPT_OSS_FULL, layers: 36, experts: 128, defaultShards: 3 },
};

export const LLAMA_SHAPES: Partial<Record<Preset, LlamaShape>> = {
  tiny: { layers: 2, embedding: 64, heads: 4, kvHeads: 2, headDim: 16, ffn: 128, contextLength: 32_768 },
  small: { layers: 12, embedding: 768, heads: 12, kvHeads: 4, headDim: 64, ffn: 2048, contextLength: 32_768 },
};

/** Published sizes of the real GGUF files (all shards), for the header-only check. */
export const PUBLISHED_GIB: Partial<Record<Preset, number>> = {
  'gpt-oss-20b': 11.27,
  'gpt-oss-120b': 59.02,
};
