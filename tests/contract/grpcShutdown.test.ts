import {
  Client,
  credentials,
  Server,
  ServerCredentials,
  status,
  type ServerWritableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SHUTDOWN_RECHECK_MS, shutdownGrpcServer } from '../../contract/grpc/shutdown.js';

/**
 * A fake server (tryShutdown and forceShutdown only) that answers tryShutdown from its `answerFrom`-th ask on,
 * as grpc-js does once a hung-up session it could not wait for is gone; `Infinity` never answers.
 */
function fakeServer(answerFrom: number) {
  const calls = { asks: 0, forced: 0 };
  return {
    calls,
    tryShutdown(callback: (error?: Error) => void) {
      calls.asks += 1;
      if (calls.asks >= answerFrom) queueMicrotask(() => callback());
    },
    forceShutdown() {
      calls.forced += 1;
    },
  };
}

describe('shutdownGrpcServer', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const settled = (promise: Promise<void>) => {
    let done = false;
    void promise.then(() => (done = true));
    return () => done;
  };

  it('resolves when tryShutdown answers, asking once and cancelling nothing', async () => {
    vi.useFakeTimers();
    const server = fakeServer(1);
    const isDone = settled(shutdownGrpcServer(server, 25_000));
    await vi.advanceTimersByTimeAsync(0);
    expect(isDone()).toBe(true);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(server.calls).toEqual({ asks: 1, forced: 0 });
  });

  it('asks again when unanswered (a session hung up as shutdown began), long before the grace ends', async () => {
    vi.useFakeTimers();
    const server = fakeServer(2);
    const isDone = settled(shutdownGrpcServer(server, 25_000));
    await vi.advanceTimersByTimeAsync(SHUTDOWN_RECHECK_MS - 1);
    expect(isDone()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(isDone()).toBe(true);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(server.calls).toEqual({ asks: 2, forced: 0 });
  });

  it('cancels what is left when the grace ends unanswered', async () => {
    vi.useFakeTimers();
    const server = fakeServer(Infinity);
    const isDone = settled(shutdownGrpcServer(server, 2_000));
    await vi.advanceTimersByTimeAsync(1_999);
    expect([isDone(), server.calls.forced]).toEqual([false, 0]);
    await vi.advanceTimersByTimeAsync(1);
    expect([isDone(), server.calls.forced]).toEqual([true, 1]);
    const asks = server.calls.asks;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(server.calls.asks).toBe(asks);
  });

  it('without a grace, keeps asking and never cancels', async () => {
    vi.useFakeTimers();
    const server = fakeServer(40);
    const isDone = settled(shutdownGrpcServer(server));
    await vi.advanceTimersByTimeAsync(38 * SHUTDOWN_RECHECK_MS);
    expect([isDone(), server.calls.asks, server.calls.forced]).toEqual([false, 39, 0]);
    await vi.advanceTimersByTimeAsync(SHUTDOWN_RECHECK_MS);
    expect([isDone(), server.calls.forced]).toEqual([true, 0]);
  });

  describe('on a real grpc-js server', () => {
    const path = '/gptoss.test.Ticks/Count';
    const bytes = { serialize: (b: Buffer) => b, deserialize: (b: Buffer) => b };
    let server: Server | undefined;
    afterEach(() => server?.forceShutdown());

    it('lets a stream in flight finish across several asks, then resolves', async () => {
      server = new Server();
      server.addService(
        {
          count: {
            path,
            requestStream: false,
            responseStream: true,
            requestSerialize: bytes.serialize,
            requestDeserialize: bytes.deserialize,
            responseSerialize: bytes.serialize,
            responseDeserialize: bytes.deserialize,
          },
        },
        {
          count: (call: ServerWritableStream<Buffer, Buffer>) => {
            let tick = 0;
            const timer = setInterval(() => {
              call.write(Buffer.from([tick]));
              if (++tick === 6) {
                clearInterval(timer);
                call.end();
              }
            }, SHUTDOWN_RECHECK_MS / 2);
          },
        },
      );
      const port = await new Promise<number>((resolve, reject) =>
        server!.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
      );
      const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
      const call = client.makeServerStreamRequest(path, bytes.serialize, bytes.deserialize, Buffer.alloc(0));
      const received: number[] = [];
      const ended = new Promise<ServiceError | null>((resolve) => {
        call.on('data', (chunk: Buffer) => received.push(chunk[0]!));
        call.on('error', resolve);
        call.on('status', ({ code }) => code === status.OK && resolve(null));
      });
      await new Promise((resolve) => call.once('data', resolve));

      const order: string[] = [];
      const shutdown = shutdownGrpcServer(server, 60_000).then(() => order.push('shut down'));
      expect(await ended).toBeNull();
      order.push('stream ended');
      await shutdown;
      client.close();
      expect(received).toEqual([0, 1, 2, 3, 4, 5]);
      expect(order).toEqual(['stream ended', 'shut down']);
    });
  });
});
