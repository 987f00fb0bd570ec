import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import type { V1Pod } from '@kubernetes/client-node';
import OpenAI, { APIError } from 'openai';
import { beforeAll, describe, expect, it } from 'vitest';
import { RuntimeClient } from '../../contract/grpc/protos.js';
import { UTILIZATION_METRIC } from '../../contract/metrics.js';
import { pidOf } from '../helpers/agent.js';
import { waitFor } from '../helpers/cluster.js';
import { converged } from '../helpers/operator.js';
import { counter, metric, type RuntimeStub } from '../helpers/runtime.js';
import { applyModel, e2eModel, podClients, readyRuntimePods, useStack } from '../helpers/stack.js';
import { createKey, gatewayArgs, startGatewayProcess, useGateway } from './process.js';

/*
 * Streams through the gateway when things go wrong on either side: the client goes away (the runtime
 * frees its slot), the runtime dies mid-answer (the client hears it: an SSE error event, a gRPC
 * status; never a silent end). A tiny model of random weights answers long enough to act mid-stream.
 */
describe('the gateway end to end: cancels and broken streams', () => {
  const stack = useStack('gw-fail');
  const { ns, agent } = stack;
  const served = useGateway(ns);
  let key = '';
  let pod: V1Pod;
  const long = { model: 'long', messages: [{ role: 'user', content: 'Tell me a long story' }], max_tokens: 800 };
  const openai = () => new OpenAI({ baseURL: `${served.gateway.http}/v1`, apiKey: key, maxRetries: 0 });

  beforeAll(async () => {
    applyModel(e2eModel(ns.name, 'long', agent.nodeName, 'tiny'));
    await waitFor(() => converged(ns.name, 'long', 1), 120_000, `the model to be Ready: ${stack.operator.logs()}`);
    [pod] = (await readyRuntimePods(ns.name, 'long')) as [V1Pod];
    key = createKey(ns.name, ['--team', 'research']).key;
    await waitFor(
      async () => (await openai().models.list()).data.length === 1,
      10_000,
      `the gateway to know the key and the model: ${served.gateway.stderr()}`,
      100,
    );
  });

  it("a client's cancel brings the runtime's utilisation back to 0", async () => {
    const { httpUrl } = podClients(pod);
    const cancelled = () => counter(httpUrl, 'gptoss_runtime_requests_total{finish_reason="cancelled"}');
    const cancelledBefore = await cancelled();
    const controller = new AbortController();
    const stream = await openai().chat.completions.create({ ...long, stream: true } as never, {
      signal: controller.signal,
    });
    const chunks = (stream as unknown as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    await chunks.next();
    await chunks.next();
    // a slot decodes for this stream now
    expect(await metric(httpUrl, 'gptoss_runtime_slots_busy')).toBe(1);
    controller.abort();
    await waitFor(
      async () =>
        (await metric(httpUrl, UTILIZATION_METRIC)) === 0 && (await metric(httpUrl, 'gptoss_runtime_slots_busy')) === 0,
      10_000,
      "the runtime's utilisation to return to 0",
      50,
    );
    // the runtime stopped because the gateway cancelled upstream, not because the answer was over
    expect(await cancelled()).toBe(cancelledBefore + 1);
  });

  it('SIGTERM drains: not ready at once, no new connection, the stream in flight finishes, exit 0', async () => {
    const draining = await startGatewayProcess(gatewayArgs(ns.name));
    const client = new OpenAI({ baseURL: `${draining.http}/v1`, apiKey: key, maxRetries: 0 });
    await waitFor(async () => (await client.models.list()).data.length === 1, 10_000, 'the gateway to serve', 100);
    const stream = await client.chat.completions.create({ ...long, max_tokens: 200, stream: true } as never);
    const chunks = (stream as unknown as AsyncIterable<OpenAI.ChatCompletionChunk>)[Symbol.asyncIterator]();
    await chunks.next();

    draining.child.kill('SIGTERM');
    await waitFor(async () => (await fetch(`${draining.ops}/readyz`)).status === 503, 5000, '/readyz to say 503', 20);
    await expect(fetch(`${draining.http}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).rejects.toThrow(
      'fetch failed',
    );
    let finish: string | null = null;
    for (let next = await chunks.next(); !next.done; next = await chunks.next())
      finish = next.value.choices[0]?.finish_reason ?? finish;
    expect(finish).toBe('length');
    expect(await draining.exited).toBe(0);
  });

  it('a runtime killed mid-stream: the SSE stream ends with an error event, gRPC with UNAVAILABLE', async () => {
    const stream = await openai().chat.completions.create({ ...long, stream: true } as never);
    const chunks = (stream as unknown as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    await chunks.next();

    const grpc = new RuntimeClient(served.gateway.grpc, credentials.createInsecure()) as RuntimeStub & {
      Chat(request: object, metadata: Metadata): ReturnType<RuntimeStub['Chat']>;
    };
    const withKey = new Metadata();
    withKey.set('authorization', `Bearer ${key}`);
    const call = grpc.Chat(long, withKey);
    const grpcEnd = new Promise<ServiceError | null>((resolve) => {
      call.on('error', (error: ServiceError) => resolve(error));
      call.on('end', () => resolve(null));
    });
    await new Promise((resolve) => call.once('data', resolve));

    process.kill(pidOf(pod.status!.containerStatuses![0]!.containerID), 'SIGKILL');

    let broken: unknown = null;
    try {
      for (let next = await chunks.next(); !next.done; next = await chunks.next());
    } catch (error) {
      broken = error;
    }
    expect(broken).toBeInstanceOf(APIError);
    expect((broken as APIError).message).toMatch(
      new RegExp(
        `^the replica serving model "${ns.name}/long" broke off its answer \\(.+\\); what arrived is incomplete$`,
      ),
    );
    const status = await grpcEnd;
    grpc.close();
    expect(status?.code).toBe(14); // UNAVAILABLE
  });
});
