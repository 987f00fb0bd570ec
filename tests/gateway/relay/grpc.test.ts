import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  credentials,
  loadPackageDefinition,
  Metadata,
  type Client,
  type ClientDuplexStream,
  type GrpcObject,
  type ServiceError,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LOADER_OPTIONS } from '../../../contract/grpc/protos.js';
import { SCRIPTED_ANSWER, SCRIPTED_REASONING } from '../../../runtime/synth/harmonyScript.js';
import { collect, startTestRuntime, type RuntimeStub, type TestRuntime } from '../../helpers/runtime.js';
import { KEY, modelOn, startRelayBench, type RelayBench } from './bench.js';

type Wire = Record<string, unknown>;
type Unary = (request: Wire, metadata: Metadata, callback: (e: ServiceError | null, r: Wire) => void) => void;

/** The Runtime service through the relay with grpc-js: streams relayed message by message, unary calls whole. */
describe('gRPC through the relay', () => {
  let runtimes: TestRuntime[];
  let bench: RelayBench;
  let grpc: RuntimeStub;
  const hi = [{ role: 'user', content: 'Hi' }];

  const withKey = (key = KEY, extra: Record<string, string> = {}) => {
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${key}`);
    for (const [name, value] of Object.entries(extra)) metadata.set(name, value);
    return metadata;
  };
  /** A stream's messages, its error and its header metadata. */
  async function streamed(method: 'Chat' | 'Generate', request: Wire, metadata = withKey()) {
    const call = (grpc[method] as unknown as (r: Wire, m: Metadata) => ReturnType<RuntimeStub['Chat']>)(
      request,
      metadata,
    );
    const header = new Promise<Metadata>((resolve) => call.once('metadata', resolve));
    const result = await collect(call);
    return { ...result, header: await header };
  }
  const unaryCall = (method: 'CountTokens' | 'GetModelInfo', request: Wire, metadata = withKey()) =>
    new Promise<{ error: ServiceError | null; response: Wire }>((resolve) =>
      (grpc[method].bind(grpc) as unknown as Unary)(request, metadata, (error, response) =>
        resolve({ error, response }),
      ),
    );
  const channelText = (messages: Wire[], channel: string) =>
    messages
      .filter((m) => m.channel === channel)
      .map((m) => m.text as string)
      .join('');

  beforeAll(async () => {
    runtimes = await Promise.all([0, 1].map(() => startTestRuntime('scripted', { modelName: 'chat' })));
    bench = await startRelayBench([modelOn('team-a', 'chat', runtimes)]);
    bench.keys.add('sk-low', 'key-low', { maxReasoningEffort: 'low' });
    grpc = bench.grpc();
  });
  afterAll(async () => {
    grpc?.close();
    await bench?.close();
    await Promise.all((runtimes ?? []).map((t) => t.stop()));
  });
  beforeEach(() => bench.quotas.reset());

  it("Chat: the scripted answer, message by message; the last message's usage settled once", async () => {
    const { messages, error } = await streamed('Chat', { model: 'team-a/chat', messages: hi });
    expect(error).toBeNull();
    expect(channelText(messages, 'CHANNEL_FINAL')).toBe(SCRIPTED_ANSWER);
    const usage = messages.at(-1)!.usage as Record<string, number>;
    expect(bench.quotas.settled).toEqual([
      {
        keyId: 'key-open',
        usage: {
          promptTokens: usage.prompt_tokens,
          completionTokens: usage.completion_tokens,
          reasoningTokens: usage.reasoning_tokens,
        },
      },
    ]);
    // the same messages a runtime sends straight
    const direct = await collect(runtimes[1]!.grpc.Chat({ messages: hi }));
    expect(messages.map((m) => m.text)).toEqual(direct.messages.map((m) => m.text));
  });

  it('Generate by the bare name', async () => {
    const { messages, error } = await streamed('Generate', { model: 'chat', prompt: 'Hi', max_tokens: 4 });
    expect(error).toBeNull();
    expect(messages.at(-1)!.finish_reason).toBeDefined();
    expect(bench.quotas.settled).toHaveLength(1);
    expect(bench.quotas.settled[0]!.usage!.promptTokens).toBeGreaterThan(0);
  });

  it("caps the effort above the key's cap and says so in the header metadata", async () => {
    const { messages, header } = await streamed(
      'Chat',
      { model: 'team-a/chat', messages: hi, reasoning_effort: 'REASONING_EFFORT_HIGH' },
      withKey('sk-low'),
    );
    expect(header.get('x-gptoss-reasoning-effort-capped')).toEqual(['high->low']);
    expect(channelText(messages, 'CHANNEL_ANALYSIS')).toBe(SCRIPTED_REASONING.low);
    const unasked = await streamed('Chat', { model: 'team-a/chat', messages: hi }, withKey('sk-low'));
    expect(unasked.header.get('x-gptoss-reasoning-effort-capped')).toEqual(['medium->low']);
    const open = await streamed('Chat', {
      model: 'team-a/chat',
      messages: hi,
      reasoning_effort: 'REASONING_EFFORT_HIGH',
    });
    expect(open.header.get('x-gptoss-reasoning-effort-capped')).toEqual([]);
    expect(channelText(open.messages, 'CHANNEL_ANALYSIS')).toBe(SCRIPTED_REASONING.high);
  });

  it('sends the rate limits as header metadata', async () => {
    bench.quotas.state = { requests: { limit: 10, remaining: 9, resetSeconds: 6 }, tokens: null };
    const { header } = await streamed('Chat', { model: 'team-a/chat', messages: hi });
    expect(header.get('x-ratelimit-limit-requests')).toEqual(['10']);
    expect(header.get('x-ratelimit-remaining-requests')).toEqual(['9']);
    expect(header.get('x-ratelimit-reset-requests')).toEqual(['6s']);
  });

  it("CountTokens: the runtime's count", async () => {
    const relayed = await unaryCall('CountTokens', { model: 'team-a/chat', messages: hi });
    const direct = await new Promise<Wire>((resolve, reject) =>
      runtimes[0]!.grpc.CountTokens({ messages: hi }, (e, r) => (e ? reject(e) : resolve(r))),
    );
    expect(relayed.error).toBeNull();
    expect(relayed.response).toEqual(direct);
  });

  it('GetModelInfo: the model named by the "model" metadata', async () => {
    const { error, response } = await unaryCall('GetModelInfo', {}, withKey(KEY, { model: 'team-a/chat' }));
    expect(error).toBeNull();
    expect(response).toMatchObject({ served_name: 'chat', harmony: true });
    const none = await unaryCall('GetModelInfo', {});
    expect(none.error).toMatchObject({
      code: 3,
      details: 'model: GetModelInfo takes the model id as "model" metadata',
    });
  });

  it('health SERVING, for the server and the Runtime service', async () => {
    type HealthStub = Client & { Check(r: Wire, cb: (e: Error | null, r: { status: string }) => void): void };
    const Health = (
      loadPackageDefinition(loadSync(healthProtoPath, { enums: String })).grpc as GrpcObject & {
        health: { v1: { Health: new (a: string, c: unknown) => HealthStub } };
      }
    ).health.v1.Health;
    const health = new Health(bench.relay.grpcAddress, credentials.createInsecure());
    for (const service of ['', 'gptoss.runtime.v1.Runtime']) {
      const answer = await new Promise((resolve, reject) =>
        health.Check({ service }, (e, r) => (e ? reject(e) : resolve(r))),
      );
      expect(answer).toEqual({ status: 'SERVING' });
    }
    health.close();
  });

  it("reflection lists the services, as the runtime's does", async () => {
    type Reflection = Client & { ServerReflectionInfo(): ClientDuplexStream<object, Wire> };
    const proto = join(
      dirname(createRequire(import.meta.url).resolve('@grpc/reflection')),
      '../proto/grpc/reflection/v1/reflection.proto',
    );
    const loaded = loadPackageDefinition(loadSync(proto, LOADER_OPTIONS)) as unknown as {
      grpc: { reflection: { v1: { ServerReflection: new (...args: unknown[]) => Reflection } } };
    };
    const reflection = new loaded.grpc.reflection.v1.ServerReflection(
      bench.relay.grpcAddress,
      credentials.createInsecure(),
    );
    const call = reflection.ServerReflectionInfo();
    const answer = new Promise<Wire>((resolve, reject) => {
      call.once('data', resolve);
      call.once('error', reject);
    });
    call.write({ list_services: '*' });
    call.end();
    const services = ((await answer).list_services_response as { service: Array<{ name: string }> }).service;
    expect(services.map((s) => s.name).sort()).toEqual([
      'gptoss.runtime.v1.Runtime',
      'grpc.health.v1.Health',
      'grpc.reflection.v1.ServerReflection',
      'grpc.reflection.v1alpha.ServerReflection',
    ]);
    reflection.close();
  });

  it('logs one line per call, named by its method', async () => {
    bench.logs.length = 0;
    await streamed('Chat', { model: 'team-a/chat', messages: hi });
    expect(bench.logs.filter((l) => l.msg === 'Served request')).toEqual([
      expect.objectContaining({ api: 'grpc', endpoint: 'Chat', status: 'OK', code: null, model: 'team-a/chat' }),
    ]);
  });
});
