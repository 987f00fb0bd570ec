import { describe, expect, it } from 'vitest';
import type { GgufHeader } from '../../../runtime/gguf/header.js';
import { loraMismatch } from '../../../runtime/gguf/lora.js';

const model: GgufHeader = {
  architecture: 'gpt-oss',
  name: 'gpt-oss-tiny (synthetic)',
  type: '',
  adapterType: '',
  tensors: new Map([
    ['token_embd.weight', [64, 500]],
    ['blk.0.attn_q.weight', [64, 96]],
  ]),
};

const adapter = (tensors: Array<[string, number[]]>, overrides: Partial<GgufHeader> = {}): GgufHeader => ({
  architecture: 'gpt-oss',
  name: 'a',
  type: 'adapter',
  adapterType: 'lora',
  tensors: new Map(tensors),
  ...overrides,
});

const q: Array<[string, number[]]> = [
  ['blk.0.attn_q.weight.lora_a', [64, 8]],
  ['blk.0.attn_q.weight.lora_b', [8, 96]],
];

describe('loraMismatch (pure): what llama.cpp would refuse, said from the headers', () => {
  it.each([
    ['a fitting pair', adapter(q), null],
    ['norm vectors beside the pairs (llama.cpp skips them)', adapter([...q, ['blk.0.attn_norm.weight', [64]]]), null],
    [
      'the token embedding, stored flipped',
      adapter([
        ['token_embd.weight.lora_a', [8, 64]],
        ['token_embd.weight.lora_b', [8, 64]],
      ]),
      'tensor "token_embd.weight": .lora_a [8 x 64] and .lora_b [8 x 64] do not fit the model\'s [64 x 500] ' +
        "(expected .lora_a [r x 500] and .lora_b [r x 64], the token embedding's pair stored flipped)",
    ],
    ['a model, not an adapter', adapter(q, { type: 'model' }), 'general.type is "model", not "adapter"'],
    ['another adapter type', adapter(q, { adapterType: 'control_vector' }), 'only "lora" adapters'],
    [
      'another architecture',
      adapter(q, { architecture: 'llama' }),
      'made for architecture "llama" but the model is "gpt-oss"',
    ],
    ['no pairs', adapter([]), 'holds no .lora_a/.lora_b tensor pairs'],
    ['a stray tensor', adapter([...q, ['blk.0.attn_q.weight', [64, 96]]]), 'neither a .lora_a nor a .lora_b'],
    ['half a pair', adapter([q[0]!]), 'has .lora_a but no .lora_b'],
    [
      'a tensor the model lacks',
      adapter([
        ['blk.7.attn_q.weight.lora_a', [64, 8]],
        ['blk.7.attn_q.weight.lora_b', [8, 96]],
      ]),
      'tensor "blk.7.attn_q.weight" is not in the model',
    ],
    [
      'a wider model',
      adapter([
        ['blk.0.attn_q.weight.lora_a', [128, 8]],
        ['blk.0.attn_q.weight.lora_b', [8, 96]],
      ]),
      'tensor "blk.0.attn_q.weight": .lora_a [128 x 8] and .lora_b [8 x 96] do not fit the model\'s [64 x 96] ' +
        '(expected .lora_a [64 x r] and .lora_b [r x 96])',
    ],
    [
      'ranks that differ',
      adapter([
        ['blk.0.attn_q.weight.lora_a', [64, 8]],
        ['blk.0.attn_q.weight.lora_b', [4, 96]],
      ]),
      'do not fit',
    ],
  ])('%s', (_, header, expected) => {
    const problem = loraMismatch(model, header);
    if (expected === null) expect(problem).toBeNull();
    else expect(problem).toContain(expected);
  });

  it('the token embedding pair fits stored flipped: A [r x n_vocab], B [r x n_embd]', () => {
    const embd = adapter([
      ['token_embd.weight.lora_a', [8, 500]],
      ['token_embd.weight.lora_b', [8, 64]],
    ]);
    expect(loraMismatch(model, embd)).toBeNull();
  });
});
