import { Metadata, status } from '@grpc/grpc-js';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ServedModel } from '../../../gateway/types.js';
import { RetryInfo } from '../../../contract/grpc/protos.js';
import { collect, metric, startTestRuntime, statusDetails, waitFor, type TestRuntime } from '../../helpers/runtime.js';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcpProxy.js';
import { KEY, modelOn, startRelayBench, type RelayBench } from './bench.js';

/**
 * Failures around a replica, on the tiny random model (its answers run as long as max_tokens asks):
 * before the first byte the request goes to another replica; after it the client hears an error,
 * never a silent cut; a client that leaves frees the runtime's slot at once.
 */
describe('the relay when replicas fail', () => {
  let live: TestRuntime;
  let full: TestRuntime;
  let stopped: TestRuntime;
  let occupant: ReturnType<TestRuntime['grpc']['Generate']>;
  let occupied: ReturnType<typeof collect>;
  let proxies: { http: TcpProxy; grpc: TcpProxy };
  let bench: RelayBench;
  const long = { messages: [{ role: 'user' as const, content: 'go on' }], max_tokens: 7000 };

  const grpcKey = () => {
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${KEY}`);
    return metadata;
  };
  const busy = () => metric(live.httpUrl, 'gptoss_runtime_slots_busy');
  const served = () => bench.logs.filter((line) => line.msg === 'Served request');

  beforeAll(async () => {
    [live, full, stopped] = await Promise.all([
      startTestRuntime('tiny', { modelName: 'tiny', contextSize: 8192 }),
      startTestRuntime('tiny', { modelName: 'tiny', parallel: 1, maxQueue: 0, contextSize: 8192 }),
      startTestRuntime('tiny', { modelName: 'tiny' }),
    ]);
    // its one slot busy for as long as the tests run, its queue of none full
    occupant = full.grpc.Generate({ prompt: 'go on', max_tokens: 8000 });
    occupied = collect(occupant);
    await new Promise((resolve) => occupant.once('data', resolve));
    await stopped.stop();
    const target = (port: string) => ({ host: '127.0.0.1', port: Number(port) });
    proxies = {
      http: await startTcpProxy(target(new URL(live.httpUrl).port)),
      grpc: await startTcpProxy(target(live.runtime.grpcAddress.split(':')[1]!)),
    };
    const proxied: ServedModel = {
      namespace: 'proxied',
      name: 'tiny',
      replicas: [{ pod: 'tiny-0', ip: '127.0.0.1', httpPort: proxies.http.port, grpcPort: proxies.grpc.port }],
      scaling: { replicas: 1, mode: 'off' },
    };
    // the stopped runtime's ports are free again, and another test's runtime may take them: its replica is
    // on an address of its own, where nothing listens
    const unreachable = (model: ServedModel): ServedModel => ({
      ...model,
      replicas: model.replicas.map((r) => (r.pod === 'tiny-0' ? { ...r, ip: '127.0.0.254' } : r)),
    });
    // one model per namespace, each named as the runtimes serve it ("tiny"); the bench's random
    // source tries the first replica first
    bench = await startRelayBench([
      unreachable(modelOn('team-a', 'tiny', [stopped, live])),
      modelOn('busy', 'tiny', [full, live]),
      unreachable(modelOn('dead', 'tiny', [stopped])),
      modelOn('saturated', 'tiny', [full]),
      proxied,
    ]);
  });
  afterAll(async () => {
    await bench?.close();
    await Promise.all([proxies?.http.close(), proxies?.grpc.close()]);
    occupant?.cancel();
    await occupied;
    await Promise.all([live?.stop(), full?.stop()]);
  });
  beforeEach(() => {
    bench.quotas.reset();
    bench.logs.length = 0;
    proxies.http.mode('forward');
    proxies.grpc.mode('forward');
  });

  describe('before the first byte', () => {
    it('HTTP: a stopped runtime; the request is retried on the other', async () => {
      const before = await bench.metric('gptoss_gateway_retries_total{model="team-a/tiny"}');
      const answer = await bench.openai().completions.create({ model: 'team-a/tiny', prompt: 'Hi', max_tokens: 3 });
      expect(answer.choices).toHaveLength(1);
      expect(await bench.metric('gptoss_gateway_retries_total{model="team-a/tiny"}')).toBe(before + 1);
      expect(served()).toEqual([expect.objectContaining({ status: 200, replica: 'tiny-1', retries: 1 })]);
      expect(bench.quotas.settled).toHaveLength(1);
    });

    it('gRPC: a stopped runtime; the call is retried on the other', async () => {
      const { messages, error } = await collect(
        bench.grpc().Generate({ model: 'team-a/tiny', prompt: 'Hi', max_tokens: 3 }, grpcKey() as never),
      );
      expect(error).toBeNull();
      expect(messages.at(-1)!.usage).toBeDefined();
      expect(served()).toEqual([expect.objectContaining({ status: 'OK', replica: 'tiny-1', retries: 1 })]);
    });

    it('a replica whose queue is full: avoided by its utilisation, scraped from its /metrics', async () => {
      const byUtilization = 'gptoss_gateway_routing_decisions_total{model="busy/tiny",reason="utilization"}';
      const before = await bench.metric(byUtilization);
      // the first round of scrapes runs as the relay starts; a request may come before it ends
      await waitFor(
        async () => {
          await bench.openai().completions.create({ model: 'busy/tiny', prompt: 'Hi', max_tokens: 1 });
          return (await bench.metric(byUtilization)) > before;
        },
        10_000,
        'a choice by utilisation',
      );
      expect(served().at(-1)).toMatchObject({ replica: 'tiny-1', retries: 0 });
    });

    it('a full queue where the utilisation is unknown: retried on the other replica', async () => {
      // no scrapes: the gateway's own counts tie, and the full replica is tried first
      const blind = await startRelayBench([modelOn('busy', 'tiny', [full, live])], {
        config: { utilization: { refreshMs: 60_000, timeoutMs: 1000, maxInFlight: 0 } },
      });
      try {
        const answer = await blind.openai().completions.create({ model: 'busy/tiny', prompt: 'Hi', max_tokens: 3 });
        expect(answer.choices).toHaveLength(1);
        expect(await blind.metric('gptoss_gateway_upstream_errors_total{model="busy/tiny",reason="queue_full"}')).toBe(
          1,
        );
        expect(await blind.metric('gptoss_gateway_retries_total{model="busy/tiny"}')).toBe(1);
        expect(blind.logs.filter((line) => line.msg === 'Served request')).toEqual([
          expect.objectContaining({ replica: 'tiny-1', retries: 1 }),
        ]);
      } finally {
        await blind.close();
      }
    });

    it("every replica full: the runtime's own 429 and retry-after, relayed", async () => {
      const refused = await bench
        .openai()
        .completions.create({ model: 'saturated/tiny', prompt: 'Hi', max_tokens: 3 })
        .catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
      const error = refused as InstanceType<typeof OpenAI.RateLimitError>;
      expect(error.headers.get('retry-after')).toBe('1');
      expect(error.error).toEqual({
        message: 'all 1 slots are busy and the queue of 0 is full; retry later',
        type: 'rate_limit_error',
        param: null,
        code: 'queue_full',
      });
      expect(bench.quotas.settled).toEqual([{ keyId: 'key-open', usage: null }]);
      const call = await collect(
        bench.grpc().Generate({ model: 'saturated/tiny', prompt: 'Hi', max_tokens: 3 }, grpcKey() as never),
      );
      expect(call.error).toMatchObject({
        code: status.RESOURCE_EXHAUSTED,
        details: 'all 1 slots are busy and the queue of 0 is full; retry later',
      });
      expect(statusDetails(call.error?.metadata, RetryInfo)).toEqual([{ retry_delay: { seconds: 1 } }]);
    });

    it('no replica answers at all: 503 with retry-after, usage settled as none', async () => {
      const res = await fetch(`${bench.relay.httpUrl}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
        body: JSON.stringify({ model: 'dead/tiny', prompt: 'Hi' }),
      });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(await res.json()).toEqual({
        error: {
          message:
            'no replica of model "dead/tiny" could take the request (1 tried; the last: connection refused); ' +
            'retry later',
          type: 'server_error',
          param: null,
          code: 'unavailable',
        },
      });
      expect(bench.quotas.settled).toEqual([{ keyId: 'key-open', usage: null }]);
      const call = await collect(bench.grpc().Generate({ model: 'dead/tiny', prompt: 'Hi' }, grpcKey() as never));
      expect(call.error).toMatchObject({
        code: status.UNAVAILABLE,
        details:
          'no replica of model "dead/tiny" could take the request (1 tried; the last: no connection could be made); ' +
          'retry later',
      });
    });
  });

  describe('after the first byte', () => {
    const brokenOff = (why: string) =>
      `the replica serving model "proxied/tiny" broke off its answer (${why}); what arrived is incomplete`;

    it('HTTP: the runtime cut off mid-stream; the client gets an SSE error event', async () => {
      const stream = await bench.openai().chat.completions.create({ model: 'proxied/tiny', ...long, stream: true });
      let chunks = 0;
      const ended = await (async () => {
        for await (const _chunk of stream) {
          if (chunks++ === 0) proxies.http.mode('refuse');
        }
      })().catch((error: unknown) => error);
      expect(chunks).toBeGreaterThan(0);
      expect(ended).toBeInstanceOf(OpenAI.APIError);
      const error = (ended as InstanceType<typeof OpenAI.APIError>).error as Record<string, unknown>;
      expect(error).toMatchObject({ type: 'server_error', code: 'unavailable', param: null });
      expect(error.message).toBe(brokenOff('ECONNRESET'));
      expect(served()).toEqual([expect.objectContaining({ status: 200, code: 'unavailable' })]);
      expect(bench.quotas.settled).toEqual([{ keyId: 'key-open', usage: null }]);
      await waitFor(async () => (await busy()) === 0, 10_000, 'the cut-off generation to free its slot');
    });

    it('gRPC: the runtime cut off mid-stream; the call ends UNAVAILABLE with the reason', async () => {
      const call = bench.grpc().Chat({ model: 'proxied/tiny', ...long }, grpcKey() as never);
      call.once('data', () => proxies.grpc.mode('refuse'));
      const { messages, error } = await collect(call);
      expect(messages.length).toBeGreaterThan(0);
      expect(error?.code).toBe(status.UNAVAILABLE);
      expect(error?.details).toBe(brokenOff('Connection dropped'));
      await waitFor(async () => (await busy()) === 0, 10_000, 'the cut-off generation to free its slot');
    });
  });

  describe('a client that leaves', () => {
    it("HTTP: its stream aborted; the runtime's slot is free again", async () => {
      const controller = new AbortController();
      const stream = await bench
        .openai()
        .chat.completions.create({ model: 'proxied/tiny', ...long, stream: true }, { signal: controller.signal });
      for await (const _chunk of stream) break;
      expect(await busy()).toBe(1);
      controller.abort();
      await waitFor(async () => (await busy()) === 0, 10_000, 'the slot to free');
      await waitFor(async () => served().length === 1, 5_000, 'the request to be logged');
      expect(served()).toEqual([expect.objectContaining({ status: 499, code: 'cancelled' })]);
      expect(bench.quotas.settled).toEqual([{ keyId: 'key-open', usage: null }]);
    });

    it("gRPC: its call cancelled; the runtime's slot is free again", async () => {
      const call = bench.grpc().Chat({ model: 'proxied/tiny', ...long }, grpcKey() as never);
      const result = collect(call);
      await new Promise((resolve) => call.once('data', resolve));
      expect(await busy()).toBe(1);
      call.cancel();
      expect((await result).error?.code).toBe(status.CANCELLED);
      await waitFor(async () => (await busy()) === 0, 10_000, 'the slot to free');
      await waitFor(async () => served().length === 1, 5_000, 'the call to be logged');
      expect(served()).toEqual([expect.objectContaining({ status: 'CANCELLED', code: 'cancelled' })]);
    });
  });
});
