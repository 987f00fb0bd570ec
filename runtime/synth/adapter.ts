import { ConfigError, oneOf } from '../../contract/errors.js';
import { GgmlType } from '../gguf/format.js';
import { readGgufHeader, type GgufHeader } from '../gguf/header.js';
import { LORA_A, LORA_B } from '../gguf/lora.js';
import type { TensorSpec } from '../gguf/tensorData.js';
import { gguf } from '../gguf/values.js';
import { writeGguf, type GgufDocument, type WrittenGguf } from '../gguf/writer.js';
import { ARCHES } from './presets.js';

/**
 * Synthetic LoRA adapters for synthetic bases (`gptoss synth-model --adapter-for`): random pairs on
 * every attention projection, so tests run real adapter inference. With alpha = rank (the default)
 * the adapter's change to each projection is about as large as the projection itself, so the
 * output visibly differs from the base's.
 */

export interface SynthAdapterOptions {
  rank: number;
  /** llama.cpp scales the pair by alpha / rank; default: the rank (a scale of 1). */
  alpha?: number;
}

export interface SynthAdapterRequest extends SynthAdapterOptions {
  /** The synthetic base model file (its first shard for a sharded one). */
  adapterFor: string;
  out: string;
  seed: number;
}

/** The weights that get a LoRA pair: attention q, k, v and output of every layer (gpt-oss and llama alike). */
const TARGET = /^blk\.\d+\.attn_(q|k|v|output)\.weight$/;
/** The name synth-model gives its models (model.ts): how a synthetic base is told from a published one. */
const SYNTHETIC_NAME = /\(synthetic\)$/;

/** Why this base gets no synthetic adapter; null when it does. Pure. */
export function unsuitableBase(base: GgufHeader): string | null {
  if (base.type === 'adapter') return 'is an adapter, not a model';
  if (!(ARCHES as readonly string[]).includes(base.architecture) || !SYNTHETIC_NAME.test(base.name)) {
    return (
      `is "${base.name}" (architecture "${base.architecture}"), not a synthetic ${oneOf(ARCHES)} model ` +
      'written by gptoss synth-model'
    );
  }
  return null;
}

/** The adapter's GGUF: header keys llama.cpp checks, and a lora_a/lora_b pair per target weight. Pure. */
export function adapterDocument(base: GgufHeader, options: SynthAdapterOptions): GgufDocument {
  const { rank } = options;
  const alpha = options.alpha ?? rank;
  const targets = [...base.tensors].filter(([name, shape]) => TARGET.test(name) && shape.length === 2);
  if (targets.length === 0) throw new ConfigError('--adapter-for: the model has no attention projections');
  const smallest = Math.min(...targets.flatMap(([, shape]) => shape));
  if (rank > smallest) {
    throw new ConfigError(`--rank ${rank} is larger than the model's smallest projection dimension, ${smallest}`);
  }
  const tensors = targets.flatMap(([name, [nIn, nOut]]): TensorSpec[] => [
    // A keeps the input's size, B the rank's: B·A·x is about as large as W·x
    { name: `${name}${LORA_A}`, shape: [nIn!, rank], type: GgmlType.F32, init: { kind: 'random', std: nIn! ** -0.5 } },
    { name: `${name}${LORA_B}`, shape: [rank, nOut!], type: GgmlType.F32, init: { kind: 'random', std: rank ** -0.5 } },
  ]);
  return {
    metadata: [
      ['general.architecture', gguf.str(base.architecture)],
      ['general.type', gguf.str('adapter')],
      ['general.name', gguf.str(`${base.name.replace(SYNTHETIC_NAME, '').trim()} LoRA r${rank} (synthetic)`)],
      ['adapter.type', gguf.str('lora')],
      ['adapter.lora.alpha', gguf.f32(alpha)],
    ],
    tensors,
  };
}

/** Writes a synthetic adapter for the base; same base, options and seed give the same bytes. */
export async function synthAdapter(request: SynthAdapterRequest): Promise<WrittenGguf> {
  let base: GgufHeader;
  try {
    base = await readGgufHeader(request.adapterFor, 'file');
  } catch (error) {
    throw new ConfigError(`--adapter-for ${(error as Error).message}`);
  }
  const problem = unsuitableBase(base);
  if (problem) throw new ConfigError(`--adapter-for ${request.adapterFor} ${problem}`);
  return writeGguf(request.out, adapterDocument(base, request), { seed: request.seed });
}
