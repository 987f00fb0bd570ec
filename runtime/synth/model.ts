import { GgmlType } from '../gguf/format.js';
import type { TensorInit, TensorSpec } from '../gguf/tensorData.js';
import { gguf, type GgufValue } from '../gguf/values.js';
import type { GgufDocument } from '../gguf/writer.js';
import { SCRIPT_VOCABULARY, scriptedTensors } from './harmonyScript.js';
import { TOKEN_TYPE } from './o200kHarmony.js';
import {
  GPT_OSS_SHAPES,
  LLAMA_SHAPES,
  SCRIPTED_SHAPES,
  type Arch,
  type GptOssShape,
  type LlamaShape,
  type Preset,
} from './presets.js';
import { ROPE_FREQ_BASE, ROPE_SCALE } from './scriptAttention.js';
import { buildVocabulary, type Vocabulary } from './vocab.js';

export interface SynthModelOptions {
  arch: Arch;
  preset: Preset;
  /** Shape the weights so the model answers with the harmony script (gpt-oss, tiny or small: SCRIPTED_SHAPES). */
  scripted?: boolean;
}

/** Why a combination is refused; null when it is fine. */
export function invalidCombination(o: SynthModelOptions): string | null {
  if (o.arch === 'llama' && !LLAMA_SHAPES[o.preset]) return `preset ${o.preset} exists only for --arch gpt-oss`;
  if (o.scripted && o.arch !== 'gpt-oss') return '--scripted needs --arch gpt-oss';
  if (o.scripted && !SCRIPTED_SHAPES[o.preset]) return '--scripted works with the tiny and small presets';
  return null;
}

type Metadata = Array<readonly [string, GgufValue]>;

function tokenizerMetadata(vocab: Vocabulary): Metadata {
  return [
    ['tokenizer.ggml.model', gguf.str('gpt2')],
    ['tokenizer.ggml.pre', gguf.str('gpt-4o')],
    ['tokenizer.ggml.tokens', gguf.strings(vocab.tokens)],
    ['tokenizer.ggml.token_type', gguf.i32s(vocab.types)],
    ['tokenizer.ggml.merges', gguf.strings(vocab.merges)],
    // explicit ids: llama.cpp's gpt2 defaults do not fit a synthetic vocabulary
    ['tokenizer.ggml.bos_token_id', gguf.u32(vocab.bosId)],
    ['tokenizer.ggml.eos_token_id', gguf.u32(vocab.eosId)],
    ['tokenizer.ggml.padding_token_id', gguf.u32(vocab.padId)],
  ];
}

const random = (std: number): TensorInit => ({ kind: 'random', std });
const constant = (value: number): TensorInit => ({ kind: 'constant', value });
const BIAS_STD = 0.02;

/**
 * Random output rows give control and unused tokens (<|return|>, <|channel|>, [PAD...]) a zero logit
 * among logits of spread ~4, so random models neither stop early nor wander into harmony structure
 * by chance.
 */
function outputInit(vocab: Vocabulary, embedding: number): TensorInit {
  const zeroRows = vocab.types.flatMap((type, id) => (type === TOKEN_TYPE.normal ? [] : [id]));
  return { kind: 'random', std: 4 / Math.sqrt(embedding), zeroRows };
}

const tensor = (name: string, shape: number[], type: GgmlType, init: TensorInit): TensorSpec => ({
  name,
  shape,
  type,
  init,
});
const norm = (name: string, D: number) => tensor(name, [D], GgmlType.F32, constant(1));
/** A Q8_0 matrix with inputs of length `fanIn`, scaled so activations keep their size. */
const matrix = (name: string, fanIn: number, out: number) =>
  tensor(name, [fanIn, out], GgmlType.Q8_0, random(1 / Math.sqrt(fanIn)));

/** What llama-style architectures share: embeddings, the final norm and the output projection. */
function embeddingTensors(D: number, vocab: Vocabulary): TensorSpec[] {
  const V = vocab.tokens.length;
  return [
    tensor('token_embd.weight', [D, V], GgmlType.Q8_0, random(1)),
    norm('output_norm.weight', D),
    tensor('output.weight', [D, V], GgmlType.Q8_0, outputInit(vocab, D)),
  ];
}

/** Attention projections of one layer (prefix `blk.N.`), shared by gpt-oss and llama. */
function attentionTensors(b: string, D: number, heads: number, kvHeads: number, headDim: number): TensorSpec[] {
  const q = heads * headDim;
  const kv = kvHeads * headDim;
  return [
    norm(`${b}attn_norm.weight`, D),
    matrix(`${b}attn_q.weight`, D, q),
    matrix(`${b}attn_k.weight`, D, kv),
    matrix(`${b}attn_v.weight`, D, kv),
    matrix(`${b}attn_output.weight`, q, D),
  ];
}

function gptOssTensors(s: GptOssShape, vocab: Vocabulary): TensorSpec[] {
  const D = s.embedding;
  const bias = (name: string, shape: number[]) => tensor(name, shape, GgmlType.F32, random(BIAS_STD));
  const experts = (name: string, fanIn: number, out: number) =>
    tensor(name, [fanIn, out, s.experts], GgmlType.MXFP4, random(1 / Math.sqrt(fanIn)));
  const tensors = embeddingTensors(D, vocab);
  for (let i = 0; i < s.layers; i++) {
    const b = `blk.${i}.`;
    tensors.push(
      ...attentionTensors(b, D, s.heads, s.kvHeads, s.headDim),
      norm(`${b}post_attention_norm.weight`, D),
      bias(`${b}attn_q.bias`, [s.heads * s.headDim]),
      bias(`${b}attn_k.bias`, [s.kvHeads * s.headDim]),
      bias(`${b}attn_v.bias`, [s.kvHeads * s.headDim]),
      bias(`${b}attn_output.bias`, [D]),
      tensor(`${b}attn_sinks.weight`, [s.heads], GgmlType.F32, random(1)),
      tensor(`${b}ffn_gate_inp.weight`, [D, s.experts], GgmlType.F32, random(1 / Math.sqrt(D))),
      bias(`${b}ffn_gate_inp.bias`, [s.experts]),
      experts(`${b}ffn_gate_exps.weight`, D, s.expertFfn),
      bias(`${b}ffn_gate_exps.bias`, [s.expertFfn, s.experts]),
      experts(`${b}ffn_up_exps.weight`, D, s.expertFfn),
      bias(`${b}ffn_up_exps.bias`, [s.expertFfn, s.experts]),
      experts(`${b}ffn_down_exps.weight`, s.expertFfn, D),
      bias(`${b}ffn_down_exps.bias`, [D, s.experts]),
    );
  }
  return tensors;
}

/**
 * Scripted weights: explicit values (F32) where the script sets them; every other linear part zero,
 * so the experts add nothing (their gate and up matrices stay random, their down matrices are zero).
 */
function applyScript(tensors: TensorSpec[], shape: GptOssShape, vocab: Vocabulary): TensorSpec[] {
  const values = scriptedTensors(shape, vocab);
  return tensors.map((spec) => {
    const explicit = values.get(spec.name);
    if (explicit) return { ...spec, type: GgmlType.F32, init: { kind: 'values', values: explicit } };
    if (spec.name.endsWith('norm.weight')) return spec;
    if (spec.name.includes('_exps.weight') && !spec.name.includes('down')) return spec;
    return { ...spec, init: constant(0) };
  });
}

function gptOssMetadata(name: string, s: GptOssShape, vocab: Vocabulary, scripted: boolean): Metadata {
  const a = 'gpt-oss';
  const rope: Metadata = scripted
    ? // pair p of a head turns by pi / 4^p a position (scriptAttention.ts)
      [
        [`${a}.rope.freq_base`, gguf.f32(ROPE_FREQ_BASE)],
        [`${a}.rope.scaling.type`, gguf.str('linear')],
        [`${a}.rope.scaling.factor`, gguf.f32(1 / ROPE_SCALE)],
      ]
    : [
        [`${a}.rope.freq_base`, gguf.f32(150_000)],
        [`${a}.rope.scaling.type`, gguf.str('yarn')],
        [`${a}.rope.scaling.factor`, gguf.f32(32)],
        [`${a}.rope.scaling.original_context_length`, gguf.u32(4096)],
      ];
  return [
    ['general.architecture', gguf.str(a)],
    ['general.name', gguf.str(name)],
    ['general.file_type', gguf.u32(38)], // MOSTLY_MXFP4_MOE, as in the published files
    [`${a}.context_length`, gguf.u32(s.contextLength)],
    [`${a}.embedding_length`, gguf.u32(s.embedding)],
    [`${a}.block_count`, gguf.u32(s.layers)],
    [`${a}.feed_forward_length`, gguf.u32(s.expertFfn)],
    [`${a}.expert_feed_forward_length`, gguf.u32(s.expertFfn)],
    [`${a}.expert_count`, gguf.u32(s.experts)],
    [`${a}.expert_used_count`, gguf.u32(s.expertsUsed)],
    [`${a}.attention.head_count`, gguf.u32(s.heads)],
    [`${a}.attention.head_count_kv`, gguf.u32(s.kvHeads)],
    [`${a}.attention.key_length`, gguf.u32(s.headDim)],
    [`${a}.attention.value_length`, gguf.u32(s.headDim)],
    [`${a}.attention.layer_norm_rms_epsilon`, gguf.f32(1e-5)],
    [`${a}.attention.sliding_window`, gguf.u32(scripted ? s.contextLength : s.slidingWindow)],
    ...rope,
    ...tokenizerMetadata(vocab),
  ];
}

function llamaDocument(name: string, s: LlamaShape, vocab: Vocabulary): GgufDocument {
  const D = s.embedding;
  const tensors = embeddingTensors(D, vocab);
  for (let i = 0; i < s.layers; i++) {
    const b = `blk.${i}.`;
    tensors.push(
      ...attentionTensors(b, D, s.heads, s.kvHeads, s.headDim),
      norm(`${b}ffn_norm.weight`, D),
      matrix(`${b}ffn_gate.weight`, D, s.ffn),
      matrix(`${b}ffn_up.weight`, D, s.ffn),
      matrix(`${b}ffn_down.weight`, s.ffn, D),
    );
  }
  const a = 'llama';
  return {
    metadata: [
      ['general.architecture', gguf.str(a)],
      ['general.name', gguf.str(name)],
      [`${a}.context_length`, gguf.u32(s.contextLength)],
      [`${a}.embedding_length`, gguf.u32(D)],
      [`${a}.block_count`, gguf.u32(s.layers)],
      [`${a}.feed_forward_length`, gguf.u32(s.ffn)],
      [`${a}.attention.head_count`, gguf.u32(s.heads)],
      [`${a}.attention.head_count_kv`, gguf.u32(s.kvHeads)],
      [`${a}.attention.layer_norm_rms_epsilon`, gguf.f32(1e-5)],
      [`${a}.rope.dimension_count`, gguf.u32(s.headDim)],
      [`${a}.rope.freq_base`, gguf.f32(10_000)],
      ...tokenizerMetadata(vocab),
    ],
    tensors,
  };
}

export function synthDocument(options: SynthModelOptions): GgufDocument {
  const problem = invalidCombination(options);
  if (problem) throw new Error(problem);
  const { arch, preset } = options;
  const scripted = options.scripted ?? false;
  const words = { words: SCRIPT_VOCABULARY.words, lastWords: SCRIPT_VOCABULARY.lastWords };
  if (arch === 'llama') {
    const vocab = buildVocabulary({ ...words, specials: 'compact' });
    return llamaDocument(`llama-${preset} (synthetic)`, LLAMA_SHAPES[preset]!, vocab);
  }
  const shape = scripted ? SCRIPTED_SHAPES[preset]! : GPT_OSS_SHAPES[preset];
  const vocab = buildVocabulary({
    ...words,
    emitted: scripted ? SCRIPT_VOCABULARY.emitted : [],
    specials: shape.tokenizer,
  });
  const base = preset.startsWith('gpt-oss') ? preset : `gpt-oss-${preset}`;
  const name = `${base}${scripted ? ' scripted' : ''} (synthetic)`;
  const random = gptOssTensors(shape, vocab);
  return {
    metadata: gptOssMetadata(name, shape, vocab, scripted),
    tensors: scripted ? applyScript(random, shape, vocab) : random,
  };
}
