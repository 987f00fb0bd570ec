import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServedAdapter } from '../../contract/argv/serve.js';
import { createLogger } from '../../contract/log.js';
import { loadServeConfig } from '../../runtime/config.js';
import { startRuntime } from '../../runtime/serve.js';
import { synthAdapter } from '../../runtime/synth/adapter.js';
import { modelPath, type TestModel } from '../helpers/models.js';
import { collect, startTestRuntime, unary, type TestRuntime } from '../helpers/runtime.js';

const scratch = mkdtempSync(join(tmpdir(), 'gptoss-adapters-'));
const BASE = 'gpt-oss-tiny-seed1';
const PROMPT = 'Once upon a time';

/** A synthetic adapter for one of the test models, written into the scratch folder (milliseconds). */
async function adapterFor(model: TestModel, seed = 1): Promise<string> {
  const out = join(scratch, `${model}-seed${seed}.gguf`);
  await synthAdapter({ adapterFor: modelPath(model), rank: 8, seed, out });
  return out;
}

describe('LoRA adapters served beside the base (real inference on the tiny model)', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    const path = await adapterFor('tiny');
    const adapters: ServedAdapter[] = [
      { name: 'a', path, scale: 1 },
      { name: 'b', path: await adapterFor('tiny', 2), scale: 1 },
      { name: 'off', path, scale: 0 },
    ];
    t = await startTestRuntime('tiny', { adapter: adapters });
  });
  afterAll(() => t?.stop());

  /** The same prompt, greedy, through the OpenAI completions API; the id the response names. */
  const complete = async (model: string) => {
    const completion = await t.openai.completions.create({ model, prompt: PROMPT, max_tokens: 24, temperature: 0 });
    return { text: completion.choices[0]!.text, model: completion.model };
  };

  it('/v1/models lists the base and every adapter as <model>:<adapter>; each is found by id', async () => {
    const ids = [BASE, `${BASE}:a`, `${BASE}:b`, `${BASE}:off`];
    expect((await t.openai.models.list()).data.map((m) => m.id)).toEqual(ids);
    for (const id of ids) expect((await t.openai.models.retrieve(id)).id).toBe(id);
  });

  it('an adapter changes the output of the same prompt; a scale of 0 gives exactly the base output', async () => {
    const base = await complete(BASE);
    const a = await complete(`${BASE}:a`);
    const b = await complete(`${BASE}:b`);
    const off = await complete(`${BASE}:off`);
    expect(base.text).not.toBe(a.text);
    expect(a.text).not.toBe(b.text);
    expect(off.text).toBe(base.text);
    expect([base.model, a.model, off.model]).toEqual([BASE, `${BASE}:a`, `${BASE}:off`]);
    // greedy decoding is deterministic: the adapter's answer is its own, not noise
    expect((await complete(`${BASE}:a`)).text).toBe(a.text);
  });

  it('chat completions and gRPC Generate route by model too', async () => {
    const chat = async (model: string) =>
      t.openai.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'Hi' }],
        max_tokens: 24,
        temperature: 0,
      });
    const [base, adapted] = [await chat(BASE), await chat(`${BASE}:a`)];
    expect(adapted.model).toBe(`${BASE}:a`);
    expect(JSON.stringify(adapted.choices[0]!.message)).not.toBe(JSON.stringify(base.choices[0]!.message));
    const response = await t.openai.responses.create({
      model: `${BASE}:b`,
      input: 'Hi',
      max_output_tokens: 16,
      temperature: 0,
      store: false,
    });
    expect(response.model).toBe(`${BASE}:b`);

    const generate = async (model: string) => {
      const { messages, error } = await collect(
        t.grpc.Generate({ model, prompt: PROMPT, max_tokens: 24, temperature: 0 }),
      );
      expect(error).toBeNull();
      return messages.map((m) => (typeof m.text === 'string' ? m.text : '')).join('');
    };
    expect(await generate(`${BASE}:a`)).toBe((await complete(`${BASE}:a`)).text);
    expect(await generate(`${BASE}:off`)).toBe(await generate(BASE));
  });

  it('GetModelInfo names the adapters; the slots metric counts every lane', async () => {
    const { response } = await unary(t.grpc.GetModelInfo.bind(t.grpc), {});
    expect(response).toMatchObject({ served_name: BASE, adapters: [`${BASE}:a`, `${BASE}:b`, `${BASE}:off`] });
    const metrics = await (await fetch(`${t.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^gptoss_runtime_slots_capacity 8$/m);
  });

  it('an unknown model:adapter is model_not_found, naming what is served', async () => {
    const refused = await t.openai.completions
      .create({ model: `${BASE}:nope`, prompt: PROMPT, max_tokens: 2 })
      .catch((error: unknown) => error as { status: number; message: string });
    expect(refused).toMatchObject({ status: 404 });
    expect((refused as { message: string }).message).toContain(
      `model "${BASE}:nope" is not served here; this runtime serves "${BASE}", "${BASE}:a", "${BASE}:b", "${BASE}:off"`,
    );
    const { error } = await collect(t.grpc.Generate({ model: 'nope:a', prompt: PROMPT, max_tokens: 2 }));
    expect(error?.details).toContain('model "nope:a" is not served here');
  });
});

describe('an adapter on a llama model (the non-harmony path)', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime('llama', { adapter: [{ name: 'a', path: await adapterFor('llama'), scale: 1 }] });
  });
  afterAll(() => t?.stop());

  it('changes the output of the same prompt', async () => {
    const complete = async (model: string) =>
      (await t.openai.completions.create({ model, prompt: PROMPT, max_tokens: 24, temperature: 0 })).choices[0]!.text;
    expect(await complete('llama-tiny-seed1:a')).not.toBe(await complete('llama-tiny-seed1'));
  });
});

describe('an adapter that does not fit the model is refused before anything starts', () => {
  const start = (model: TestModel, adapter: ServedAdapter) =>
    startRuntime(
      loadServeConfig({ model: modelPath(model), adapter: [`${adapter.name}=${adapter.path}:${adapter.scale}`] }),
      createLogger('error'),
    );

  it.each([
    [
      'another architecture',
      'tiny',
      async () => adapterFor('llama'),
      /^adapter x \(.*llama-seed1\.gguf\) does not fit the model: made for architecture "llama" but the model is "gpt-oss"$/,
    ],
    [
      'the same architecture, other shapes',
      'tiny',
      async () => adapterFor('scripted'),
      /^adapter x \(.*scripted-seed1\.gguf\) does not fit the model: tensor "blk\.0\.attn_q\.weight": .lora_a \[128 x 8\] and .lora_b \[8 x 320\] do not fit the model's \[64 x 64\] \(expected .lora_a \[64 x r\] and .lora_b \[r x 64\]\)$/,
    ],
    ['no file', 'tiny', async () => join(scratch, 'missing.gguf'), /^adapter x: file .*missing\.gguf: no such file$/],
    [
      'a model, not an adapter',
      'tiny',
      async () => modelPath('tiny'),
      /^adapter x \(.*\) does not fit the model: general.type is "", not "adapter": not an adapter file$/,
    ],
  ] as const)('%s', async (_, model, path, message) => {
    await expect(start(model, { name: 'x', path: await path(), scale: 1 })).rejects.toThrow(message);
  });
});
