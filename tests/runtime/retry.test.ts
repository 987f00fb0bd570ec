import { status } from '@grpc/grpc-js';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorInfo, RetryInfo } from '../../contract/grpc/protos.js';
import { collect, startTestRuntime, statusDetails, type TestRuntime } from '../helpers/runtime.js';

/** A full queue says when to come back: HTTP retry-after, gRPC google.rpc.RetryInfo. */
describe('a full queue advises a retry delay', () => {
  let t: TestRuntime;
  let occupant: ReturnType<TestRuntime['grpc']['Generate']>;
  let occupied: ReturnType<typeof collect>;

  beforeAll(async () => {
    t = await startTestRuntime('tiny', { parallel: 1, maxQueue: 0, contextSize: 8192 });
    // the one slot, busy for as long as the tests need it (the queue holds nobody)
    occupant = t.grpc.Generate({ prompt: 'go on', max_tokens: 8000 });
    occupied = collect(occupant);
    await new Promise((resolve) => occupant.once('data', resolve));
  });
  afterAll(async () => {
    occupant?.cancel();
    await occupied;
    await t?.stop();
  });

  it('HTTP: 429 with retry-after: 1, which the openai SDK sees', async () => {
    const res = await fetch(`${t.httpUrl}/v1/completions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ prompt: 'x', max_tokens: 4 }),
    });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toEqual({
      error: {
        message: 'all 1 slots are busy and the queue of 0 is full; retry later',
        type: 'rate_limit_error',
        param: null,
        code: 'queue_full',
      },
    });
    const refused = await t.openai.completions.create({ model: '', prompt: 'x', max_tokens: 4 }).catch((e) => e);
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    expect((refused as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after')).toBe('1');
  });

  it('HTTP: a refusal that retrying cannot fix has no retry-after', async () => {
    const res = await fetch(`${t.httpUrl}/v1/completions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ prompt: '' }),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('retry-after')).toBeNull();
  });

  it('gRPC: RESOURCE_EXHAUSTED carries RetryInfo (1 s) next to ErrorInfo', async () => {
    const { error } = await collect(t.grpc.Generate({ prompt: 'x', max_tokens: 4 }));
    expect(error?.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(statusDetails(error?.metadata, RetryInfo)).toEqual([{ retry_delay: { seconds: 1 } }]);
    expect(statusDetails(error?.metadata, ErrorInfo)).toEqual([{ reason: 'QUEUE_FULL', domain: 'runtime.gptoss.io' }]);
  });

  it('gRPC: a refusal that retrying cannot fix has no RetryInfo', async () => {
    const { error } = await collect(t.grpc.Generate({ prompt: '' }));
    expect(error?.code).toBe(status.INVALID_ARGUMENT);
    expect(statusDetails(error?.metadata, RetryInfo)).toEqual([]);
  });
});
