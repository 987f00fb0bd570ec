import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLlama, readGgufFileInfo, type Llama } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GgmlType } from '../../../runtime/gguf/format.js';
import { writeGguf } from '../../../runtime/gguf/writer.js';
import { gguf } from '../../../runtime/gguf/values.js';
import { VARIANT_SHAPES } from '../../../contract/models.js';
import { GPT_OSS_SHAPES } from '../../../runtime/synth/presets.js';
import { synthModel } from '../../../runtime/synth/synthModel.js';
import { modelPath } from '../../helpers/models.js';

const scratch = mkdtempSync(join(tmpdir(), 'gptoss-synth-'));
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('synthetic models load with the architecture they claim', () => {
  let llama: Llama;
  beforeAll(async () => {
    llama = await getLlama({ gpu: false, build: 'never' });
  });
  afterAll(() => llama?.dispose());

  it.each([
    ['tiny', 'gpt-oss'],
    ['scripted', 'gpt-oss'],
    ['llama', 'llama'],
  ] as const)('%s loads in llama.cpp as %s', async (name, arch) => {
    const model = await llama.loadModel({ modelPath: modelPath(name) });
    try {
      // what llama.cpp itself reports of the model it loaded (llama_model_desc), not the file's metadata
      expect(model.typeDescription.split(' ')[0]).toBe(arch);
      expect(model.fileInsights.modelSize).toBeGreaterThan(0);
      // harmony's specials and the channel words are single tokens
      expect(model.tokenize('<|start|>assistant<|channel|>final<|message|>', true)).toHaveLength(5);
    } finally {
      await model.dispose();
    }
  });
});

describe('synth-model determinism and full-size shapes', () => {
  it('same seed, same bytes; another seed, other bytes', async () => {
    const write = (name: string, seed: number) =>
      synthModel({ arch: 'gpt-oss', preset: 'tiny', seed, out: join(scratch, name) });
    await write('a.gguf', 7);
    await write('b.gguf', 7);
    await write('c.gguf', 8);
    expect(sha256(join(scratch, 'a.gguf'))).toBe(sha256(join(scratch, 'b.gguf')));
    expect(sha256(join(scratch, 'a.gguf'))).not.toBe(sha256(join(scratch, 'c.gguf')));
  });

  it.each(['gpt-oss-20b', 'gpt-oss-120b'] as const)(
    '%s: real tensor names, shapes and types, and the published size (sparse)',
    async (preset) => {
      const shape = GPT_OSS_SHAPES[preset];
      const written = await synthModel({
        arch: 'gpt-oss',
        preset,
        seed: 1,
        sparse: true,
        out: join(scratch, `${preset}.gguf`),
      });
      expect(written.files).toHaveLength(shape.defaultShards);
      // read back with node-llama-cpp's own GGUF reader, which splices the shards
      const info = await readGgufFileInfo(written.files[0]!, { logWarnings: false });
      const tensors = new Map(info.fullTensorInfo!.map((t) => [t.name, t]));
      expect(tensors.size).toBe(3 + 19 * shape.layers);
      const expectTensor = (name: string, dims: number[], type: GgmlType) => {
        const t = tensors.get(name);
        expect(t, name).toBeDefined();
        expect(t!.dimensions.map(Number)).toEqual(dims);
        expect(t!.ggmlType).toBe(type);
      };
      expectTensor('token_embd.weight', [2880, 201_088], GgmlType.Q8_0);
      expectTensor('output.weight', [2880, 201_088], GgmlType.Q8_0);
      const last = shape.layers - 1;
      expectTensor(`blk.${last}.attn_q.weight`, [2880, 4096], GgmlType.Q8_0);
      expectTensor(`blk.${last}.attn_k.weight`, [2880, 512], GgmlType.Q8_0);
      expectTensor(`blk.${last}.attn_sinks.weight`, [64], GgmlType.F32);
      expectTensor(`blk.${last}.ffn_gate_exps.weight`, [2880, 2880, shape.experts], GgmlType.MXFP4);
      expectTensor(`blk.${last}.ffn_down_exps.weight`, [2880, 2880, shape.experts], GgmlType.MXFP4);
      expectTensor(`blk.${last}.ffn_down_exps.bias`, [2880, shape.experts], GgmlType.F32);
      const meta = info.metadata as unknown as Record<string, Record<string, unknown>>;
      expect(meta.general!.architecture).toBe('gpt-oss');
      expect(meta['gpt-oss']).toMatchObject({
        block_count: shape.layers,
        expert_count: shape.experts,
        context_length: 131_072,
      });
      // the published sizes (11.27 and 59.02 GiB), which the planner sizes weights from: ours differ
      // only by the synthetic tokenizer's size (docs/synthetic-models.md)
      const published = VARIANT_SHAPES[preset].weightsBytes;
      expect(Math.abs(written.totalBytes - published) / 2 ** 30).toBeLessThan(0.01);
      const onDisk = written.files.reduce((sum, f) => sum + statSync(f).blocks * 512, 0);
      expect(onDisk).toBeLessThan(64 * 2 ** 20); // sparse: headers only
    },
  );

  it('a failure part way through leaves no file behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gptoss-partial-'));
    const bad = writeGguf(
      join(dir, 'bad.gguf'),
      {
        metadata: [['general.architecture', gguf.str('gpt-oss')]],
        tensors: [
          { name: 'a', shape: [32], type: GgmlType.F32, init: { kind: 'constant', value: 1 } },
          // MXFP4 takes no explicit values: the writer fails after the header and the first tensor
          {
            name: 'b',
            shape: [32],
            type: GgmlType.MXFP4,
            init: { kind: 'values', values: new Float32Array(32).fill(1) },
          },
        ],
      },
      { seed: 1 },
    );
    await expect(bad).rejects.toThrow(/explicit values are not supported for MXFP4/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
