import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import type OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ErrorInfo } from '../../../contract/grpc/protos.js';
import type { ServedModel } from '../../../gateway/types.js';
import { synthAdapter } from '../../../runtime/synth/adapter.js';
import { modelPath } from '../../helpers/models.js';
import {
  collect,
  startTestRuntime,
  statusDetails,
  waitFor,
  type RuntimeStub,
  type TestRuntime,
} from '../../helpers/runtime.js';
import { KEY, modelOn, startRelayBench, type RelayBench } from './bench.js';

type Wire = Record<string, unknown>;
type Unary = (request: Wire, metadata: Metadata, callback: (e: ServiceError | null, r: Wire) => void) => void;

const PROMPT = 'Once upon a time';
const NOT_SERVED = (id: string) =>
  `model "${id}" is not served here; GET /v1/models lists the models this API key may use`;

/**
 * LoRA adapters through the relay, in front of a real runtime on the tiny model serving two
 * synthetic adapters beside it (as tests/runtime/adapters.test.ts makes them): `fr`, and `off` at
 * scale 0. The gateway's ids `team-a/chat:<adapter>` reach the runtime as `chat:<adapter>`; keys
 * grant the base and each adapter apart; the books name the adapter.
 */
describe('adapter ids through the relay (a real runtime with synthetic adapters)', () => {
  let runtime: TestRuntime;
  let bench: RelayBench;
  let grpc: RuntimeStub;
  const chat = (runtimes: TestRuntime[]): ServedModel => ({
    ...modelOn('team-a', 'chat', runtimes),
    adapters: ['fr', 'off'],
  });

  beforeAll(async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'gptoss-gateway-adapters-'));
    const path = join(scratch, 'fr.gguf');
    await synthAdapter({ adapterFor: modelPath('tiny'), rank: 8, seed: 1, out: path });
    runtime = await startTestRuntime('tiny', {
      modelName: 'chat',
      adapter: [
        { name: 'fr', path, scale: 1 },
        { name: 'off', path, scale: 0 },
      ],
    });
    bench = await startRelayBench([chat([runtime])]);
    bench.keys
      .add('sk-base', 'key-base', { team: 'base', models: ['team-a/chat'] })
      .add('sk-fr', 'key-fr', { team: 'fr', models: ['team-a/chat:fr'] })
      .add('sk-every', 'key-every', { team: 'every', models: ['team-a/chat:*'] });
    grpc = bench.grpc();
  });
  afterEach(() => bench.directory.set([chat([runtime])]));
  afterAll(async () => {
    grpc?.close();
    await bench?.close();
    await runtime?.stop();
  });

  /** The same prompt, greedy: the text and the model the answer names. */
  const complete = async (client: OpenAI, model: string) => {
    const completion = await client.completions.create({ model, prompt: PROMPT, max_tokens: 16, temperature: 0 });
    return { text: completion.choices[0]!.text, model: completion.model };
  };
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => null,
      (error: unknown) => error as InstanceType<typeof OpenAI.APIError>,
    );
  const withKey = (key = KEY, extra: Record<string, string> = {}) => {
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${key}`);
    for (const [name, value] of Object.entries(extra)) metadata.set(name, value);
    return metadata;
  };
  const modelInfo = (key: string, model: string) =>
    new Promise<{ error: ServiceError | null; response: Wire }>((resolve) =>
      (grpc.GetModelInfo.bind(grpc) as unknown as Unary)({}, withKey(key, { model }), (error, response) =>
        resolve({ error, response }),
      ),
    );

  it('base and adapter ids are both served, each as the runtime itself answers it', async () => {
    const relay = bench.openai();
    for (const [asked, served] of [
      ['team-a/chat', 'chat'],
      ['team-a/chat:fr', 'chat:fr'],
      ['chat:fr', 'chat:fr'],
      ['team-a/chat:off', 'chat:off'],
    ]) {
      expect(await complete(relay, asked!)).toEqual(await complete(runtime.openai, served!));
    }
    const [base, fr, off] = await Promise.all(['chat', 'chat:fr', 'chat:off'].map((m) => complete(relay, m)));
    // the adapter is applied (scale 1 changes the answer, scale 0 gives the base's)
    expect(fr!.text).not.toBe(base!.text);
    expect(off!.text).toBe(base!.text);
  });

  it('GET /v1/models lists the adapter ids after the base, as the key may use them', async () => {
    const ids = async (key: string) => (await bench.openai(key).models.list()).data.map((m) => m.id);
    expect(await ids(KEY)).toEqual(['team-a/chat', 'team-a/chat:fr', 'team-a/chat:off']);
    expect(await ids('sk-base')).toEqual(['team-a/chat']);
    expect(await ids('sk-fr')).toEqual(['team-a/chat:fr']);
    expect(await ids('sk-every')).toEqual(['team-a/chat:fr', 'team-a/chat:off']);
    expect(await bench.openai().models.retrieve('team-a/chat:fr')).toMatchObject({
      id: 'team-a/chat:fr',
      owned_by: 'team-a',
    });
  });

  it('an unknown adapter of a known model: 404 model_not_found naming the id, over both APIs', async () => {
    const notFound = () => bench.metric('gptoss_gateway_requests_total{team="team-a",model="",code="404"}');
    const before = await notFound();
    const refused = await refusal(complete(bench.openai(), 'team-a/chat:nope'));
    expect(refused).toMatchObject({ status: 404, code: 'model_not_found', param: 'model' });
    expect(refused!.message).toBe(`404 ${NOT_SERVED('team-a/chat:nope')}`);
    const retrieved = await fetch(`${bench.relay.httpUrl}/v1/models/chat:nope`, {
      headers: { authorization: `Bearer ${KEY}` },
    });
    expect(retrieved.status).toBe(404);
    expect(((await retrieved.json()) as { error: { message: string } }).error.message).toBe(NOT_SERVED('chat:nope'));

    const { error } = await collect(grpc.Generate({ model: 'team-a/chat:nope', prompt: PROMPT }, withKey() as never));
    expect(error).toMatchObject({ code: status.NOT_FOUND, details: NOT_SERVED('team-a/chat:nope') });
    expect(statusDetails(error?.metadata, ErrorInfo)[0]?.reason).toBe('MODEL_NOT_FOUND');
    // the client's text is no label
    expect(await notFound()).toBe(before + 3);
  });

  it('keys: the base does not grant its adapters, nor an adapter the base or its sibling', async () => {
    const denied = async (key: string, model: string) => {
      const refused = await refusal(complete(bench.openai(key), model));
      expect(refused).toMatchObject({ status: 403, code: 'permission_denied' });
      expect(refused!.message).toBe(`403 model "${model}" is not allowed for this API key`);
    };
    await denied('sk-base', 'team-a/chat:fr');
    await denied('sk-fr', 'team-a/chat');
    await denied('sk-fr', 'chat:off');
    await denied('sk-every', 'team-a/chat');
    expect((await complete(bench.openai('sk-fr'), 'chat:fr')).model).toBe('chat:fr');
    expect((await complete(bench.openai('sk-every'), 'team-a/chat:off')).model).toBe('chat:off');
    const { error } = await collect(
      grpc.Generate({ model: 'team-a/chat:fr', prompt: PROMPT }, withKey('sk-base') as never),
    );
    expect(error).toMatchObject({
      code: status.PERMISSION_DENIED,
      details: 'model "team-a/chat:fr" is not allowed for this API key',
    });
  });

  it('gRPC: Generate on an adapter as the runtime answers it; GetModelInfo lists what the key may use', async () => {
    const text = async (client: RuntimeStub, model: string, metadata: Metadata) => {
      const { messages, error } = await collect(
        client.Generate({ model, prompt: PROMPT, max_tokens: 16, temperature: 0 }, metadata as never),
      );
      expect(error).toBeNull();
      return messages.map((m) => (typeof m.text === 'string' ? m.text : '')).join('');
    };
    expect(await text(grpc, 'team-a/chat:fr', withKey())).toBe(await text(runtime.grpc, 'chat:fr', new Metadata()));

    const adapters = async (key: string, model: string) => {
      const { error, response } = await modelInfo(key, model);
      expect(error).toBeNull();
      expect(response.served_name).toBe('chat');
      return response.adapters;
    };
    expect(await adapters(KEY, 'team-a/chat')).toEqual(['chat:fr', 'chat:off']);
    expect(await adapters('sk-base', 'team-a/chat')).toEqual([]);
    expect(await adapters('sk-fr', 'chat:fr')).toEqual(['chat:fr']);
    expect(await adapters('sk-every', 'team-a/chat:off')).toEqual(['chat:fr', 'chat:off']);
    expect((await modelInfo('sk-fr', 'team-a/chat')).error).toMatchObject({ code: status.PERMISSION_DENIED });
  });

  it("metrics and the access log name the adapter's id; the team sees its adapter use apart", async () => {
    const requests = (model: string) =>
      bench.metric(`gptoss_gateway_requests_total{team="fr",model="${model}",code="200"}`);
    const prompts = (model: string) =>
      bench.metric(`gptoss_gateway_tokens_total{team="fr",model="${model}",kind="prompt"}`);
    const [before, tokensBefore] = [await requests('team-a/chat:fr'), await prompts('team-a/chat:fr')];
    await complete(bench.openai('sk-fr'), 'chat:fr');
    expect(await requests('team-a/chat:fr')).toBe(before + 1);
    expect(await prompts('team-a/chat:fr')).toBeGreaterThan(tokensBefore);
    expect(await requests('team-a/chat')).toBe(0);
    const line = bench.logs.findLast((l) => l.msg === 'Served request');
    expect(line).toMatchObject({ team: 'fr', model: 'team-a/chat:fr', status: 200 });
  });

  it('an adapter request for a model at zero is held and wakes the model; the hold counts as the model', async () => {
    const atZero: ServedModel = {
      namespace: 'team-a',
      name: 'chat',
      replicas: [],
      scaling: { replicas: 0, mode: 'builtin' },
      adapters: ['fr', 'off'],
    };
    bench.directory.set([atZero]);
    const held = () => bench.metric('gptoss_gateway_held_requests{model="team-a/chat"}');
    const woken = bench.waker.woken.length;
    const answer = complete(bench.openai(), 'team-a/chat:fr');
    await waitFor(async () => (await held()) === 1, 5000, 'the adapter request held');
    await waitFor(() => bench.waker.woken.length > woken, 5000, 'the model woken');
    expect(bench.waker.woken.slice(woken)).toEqual(['team-a/chat']);
    bench.directory.set([chat([runtime])]);
    expect((await answer).model).toBe('chat:fr');
    expect(await held()).toBe(0);
  });
});
