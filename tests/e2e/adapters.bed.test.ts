import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthAdapter } from '../../runtime/synth/adapter.js';
import { waitFor } from '../helpers/cluster.js';
import { startFileServer, type FileServer } from '../helpers/fileServer.js';
import { MODELS_DIR, modelPath } from '../helpers/models.js';
import { condition, converged, readModel } from '../helpers/operator.js';
import { applyModel, e2eModel, podClients, readyRuntimePods, useStack } from '../helpers/stack.js';
import { createKey, useGateway } from '../gateway/process.js';

/**
 * LoRA adapters end to end: a GptOssModel with two adapters (one on the node's file system, one downloaded by each
 * pod from a local file server) is served as three ids by the same runtime pods, each answering the same greedy
 * prompt differently, straight from a pod and through the gateway with a key limited to two of the ids.
 */
describe('end to end: a model with two LoRA adapters serves three ids', () => {
  const stack = useStack('e2e-lora');
  const { ns, agent } = stack;
  const served = useGateway(ns);
  let server: FileServer;
  const localAdapter = join(MODELS_DIR, 'gpt-oss-tiny-seed1-lora-seed11.gguf');
  const fetchedAdapter = join(MODELS_DIR, 'gpt-oss-tiny-seed1-lora-seed12.gguf');
  beforeAll(async () => {
    await synthAdapter({ adapterFor: modelPath('tiny'), rank: 8, seed: 11, out: localAdapter });
    await synthAdapter({ adapterFor: modelPath('tiny'), rank: 8, seed: 12, out: fetchedAdapter });
    server = await startFileServer({ 'legal.gguf': readFileSync(fetchedAdapter) });
  });
  afterAll(async () => {
    await server?.close();
  });

  const PROMPT = 'The quick brown fox';
  const complete = async (openai: OpenAI, model: string) =>
    (await openai.completions.create({ model, prompt: PROMPT, max_tokens: 16, temperature: 0 })).choices[0]!.text;

  it('the runtime pod lists and serves the base and both adapters, each with its own output', async () => {
    const sha256 = createHash('sha256').update(readFileSync(fetchedAdapter)).digest('hex');
    applyModel(
      e2eModel(ns.name, 'lora', agent.nodeName, 'tiny', {
        adapters: [
          { name: 'tone', source: { hostPath: { path: localAdapter } } },
          { name: 'legal', source: { url: { files: [{ url: server.url('legal.gguf'), sha256 }] } }, sizeMiB: 8 },
        ],
      }),
    );
    await waitFor(() => converged(ns.name, 'lora', 1), 120_000, `lora to be Ready: ${stack.operator.logs()}`, 200);
    const memory = (readModel(ns.name, 'lora').status as { placement: { memoryMiB: { adapters: number } } }).placement
      .memoryMiB;
    expect(memory.adapters).toBeGreaterThan(256 + 8);
    expect(server.gets('legal.gguf')).toHaveLength(1);

    const [pod] = await readyRuntimePods(ns.name, 'lora');
    const { openai } = podClients(pod!);
    expect((await openai.models.list()).data.map((m) => m.id)).toEqual(['lora', 'lora:tone', 'lora:legal']);
    const outputs = [
      await complete(openai, 'lora'),
      await complete(openai, 'lora:tone'),
      await complete(openai, 'lora:legal'),
    ];
    expect(new Set(outputs).size, outputs.join(' | ')).toBe(3);
    // greedy: an id's answer is its own, not noise
    expect(await complete(openai, 'lora:tone')).toBe(outputs[1]);
  }, 240_000);

  it('the gateway routes each id to the model and refuses the adapter the key does not name', async () => {
    const id = (suffix = '') => `${ns.name}/lora${suffix}`;
    const { key } = createKey(ns.name, ['--team', 'lora', '--models', `${id()},${id(':tone')}`]);
    const openai = new OpenAI({ baseURL: `${served.gateway.http}/v1`, apiKey: key, maxRetries: 0 });
    await waitFor(
      async () => (await openai.models.list()).data.some((m) => m.id === id(':tone')),
      60_000,
      'the gateway to list the adapter',
    );
    expect((await openai.models.list()).data.map((m) => m.id).sort()).toEqual([id(), id(':tone')]);
    const [pod] = await readyRuntimePods(ns.name, 'lora');
    const direct = podClients(pod!).openai;
    expect(await complete(openai, id(':tone'))).toBe(await complete(direct, 'lora:tone'));
    expect(await complete(openai, id())).toBe(await complete(direct, 'lora'));
    const refused = await complete(openai, id(':legal')).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.APIError);
    expect((refused as InstanceType<typeof OpenAI.APIError>).status).toBe(403);

    // a key of every model: the three ids through the gateway, each the pod's own answer
    const open = new OpenAI({
      baseURL: `${served.gateway.http}/v1`,
      apiKey: createKey(ns.name, ['--team', 'all']).key,
      maxRetries: 0,
    });
    const ids = ['', ':tone', ':legal'];
    expect((await open.models.list()).data.map((m) => m.id)).toEqual(ids.map((s) => id(s)));
    const viaGateway = [];
    for (const suffix of ids) viaGateway.push(await complete(open, id(suffix)));
    const viaPod = [];
    for (const suffix of ids) viaPod.push(await complete(direct, `lora${suffix}`));
    expect(viaGateway).toEqual(viaPod);
    expect(new Set(viaGateway).size).toBe(3);
  }, 240_000);

  it('an adapter made for another architecture is refused before serving, and the status names it', async () => {
    const llamaAdapter = join(MODELS_DIR, 'llama-tiny-seed1-lora-seed13.gguf');
    await synthAdapter({ adapterFor: modelPath('llama'), rank: 8, seed: 13, out: llamaAdapter });
    applyModel(
      e2eModel(ns.name, 'mismatch', agent.nodeName, 'tiny', {
        adapters: [{ name: 'wrong', source: { hostPath: { path: llamaAdapter } } }],
      }),
    );
    await waitFor(
      () => condition(readModel(ns.name, 'mismatch'), 'Degraded')?.reason === 'ContainersFailing',
      120_000,
      `Degraded ContainersFailing: ${stack.operator.logs()}`,
      500,
    );
    expect(condition(readModel(ns.name, 'mismatch'), 'Degraded')?.message).toMatch(
      /^container runtime of pod mismatch-[a-z0-9-]+ exited 1: gptoss serve: adapter wrong .*architecture/,
    );
  }, 240_000);
});
