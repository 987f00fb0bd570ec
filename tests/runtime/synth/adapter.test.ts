import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../contract/errors.js';
import { GgmlType } from '../../../runtime/gguf/format.js';
import { readGgufHeader, type GgufHeader } from '../../../runtime/gguf/header.js';
import { loraMismatch } from '../../../runtime/gguf/lora.js';
import { gguf } from '../../../runtime/gguf/values.js';
import { writeGguf } from '../../../runtime/gguf/writer.js';
import { adapterDocument, synthAdapter, unsuitableBase } from '../../../runtime/synth/adapter.js';
import { modelPath } from '../../helpers/models.js';

const scratch = mkdtempSync(join(tmpdir(), 'gptoss-adapter-'));
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

const header = (overrides: Partial<GgufHeader>): GgufHeader => ({
  architecture: 'gpt-oss',
  name: 'gpt-oss-tiny (synthetic)',
  type: '',
  adapterType: '',
  tensors: new Map([
    ['blk.0.attn_q.weight', [64, 64]],
    ['blk.0.attn_k.weight', [64, 32]],
    ['blk.0.attn_norm.weight', [64]],
    ['blk.0.ffn_gate_exps.weight', [64, 64, 4]],
  ]),
  ...overrides,
});

describe('adapterDocument (pure): a lora_a/lora_b pair on every attention projection', () => {
  it('pairs shaped as llama.cpp checks them, and the header keys it reads', () => {
    const doc = adapterDocument(header({}), { rank: 4 });
    expect(doc.tensors.map((t) => [t.name, t.shape, t.type])).toEqual([
      ['blk.0.attn_q.weight.lora_a', [64, 4], GgmlType.F32],
      ['blk.0.attn_q.weight.lora_b', [4, 64], GgmlType.F32],
      ['blk.0.attn_k.weight.lora_a', [64, 4], GgmlType.F32],
      ['blk.0.attn_k.weight.lora_b', [4, 32], GgmlType.F32],
    ]);
    expect(Object.fromEntries(doc.metadata.map(([key, value]) => [key, value.value]))).toEqual({
      'general.architecture': 'gpt-oss',
      'general.type': 'adapter',
      'general.name': 'gpt-oss-tiny LoRA r4 (synthetic)',
      'adapter.type': 'lora',
      'adapter.lora.alpha': 4,
    });
    expect(adapterDocument(header({}), { rank: 4, alpha: 2 }).metadata).toContainEqual([
      'adapter.lora.alpha',
      gguf.f32(2),
    ]);
  });

  it('a rank larger than the smallest projection dimension is refused', () => {
    expect(() => adapterDocument(header({}), { rank: 32 })).not.toThrow();
    expect(() => adapterDocument(header({}), { rank: 33 })).toThrow(
      new ConfigError("--rank 33 is larger than the model's smallest projection dimension, 32"),
    );
  });

  it.each([
    [header({}), null],
    [header({ architecture: 'llama', name: 'llama-tiny (synthetic)' }), null],
    [header({ type: 'adapter' }), 'is an adapter, not a model'],
    [
      header({ name: 'gpt-oss-20b' }),
      'is "gpt-oss-20b" (architecture "gpt-oss"), not a synthetic gpt-oss or llama model written by gptoss synth-model',
    ],
    [header({ architecture: 'qwen2', name: 'x (synthetic)' }), 'not a synthetic gpt-oss or llama model'],
  ])('unsuitableBase %#', (base, expected) => {
    const problem = unsuitableBase(base);
    if (expected === null) expect(problem).toBeNull();
    else expect(problem).toContain(expected);
  });
});

describe('synthAdapter: a file llama.cpp takes for the synthetic base', () => {
  it.each(['tiny', 'scripted', 'llama'] as const)('%s: fits its base, same seed same bytes', async (model) => {
    const out = (name: string) => join(scratch, `${model}-${name}.gguf`);
    await synthAdapter({ adapterFor: modelPath(model), rank: 8, seed: 1, out: out('a') });
    await synthAdapter({ adapterFor: modelPath(model), rank: 8, seed: 1, out: out('b') });
    await synthAdapter({ adapterFor: modelPath(model), rank: 8, seed: 2, out: out('c') });
    expect(sha(out('a'))).toBe(sha(out('b')));
    expect(sha(out('a'))).not.toBe(sha(out('c')));
    const base = await readGgufHeader(modelPath(model));
    expect(loraMismatch(base, await readGgufHeader(out('a')))).toBeNull();
  });

  it('refuses what is not a synthetic model, with one line naming the problem', async () => {
    const notGguf = join(scratch, 'notes.txt');
    writeFileSync(notGguf, 'hello');
    const published = join(scratch, 'published.gguf');
    await writeGguf(
      published,
      {
        metadata: [
          ['general.architecture', gguf.str('gpt-oss')],
          ['general.name', gguf.str('gpt-oss-20b')],
        ],
        tensors: [{ name: 'x', shape: [32], type: GgmlType.F32, init: { kind: 'constant', value: 0 } }],
      },
      { seed: 1 },
    );
    const adapter = join(scratch, 'tiny-a.gguf');
    await synthAdapter({ adapterFor: modelPath('tiny'), rank: 2, seed: 1, out: adapter });
    const out = join(scratch, 'never.gguf');
    for (const [base, message] of [
      [join(scratch, 'missing.gguf'), /^--adapter-for file .*missing\.gguf: no such file$/],
      [notGguf, /^--adapter-for file .*notes\.txt: not a GGUF file/],
      [published, /^--adapter-for .*published\.gguf is "gpt-oss-20b" \(architecture "gpt-oss"\), not a synthetic/],
      [adapter, /^--adapter-for .*tiny-a\.gguf is an adapter, not a model$/],
    ] as const) {
      const written = synthAdapter({ adapterFor: base, rank: 2, seed: 1, out });
      await expect(written).rejects.toThrow(ConfigError);
      await expect(written).rejects.toThrow(message);
    }
    await expect(synthAdapter({ adapterFor: modelPath('tiny'), rank: 33, seed: 1, out })).rejects.toThrow(
      "--rank 33 is larger than the model's smallest projection dimension, 32",
    );
  });
});
