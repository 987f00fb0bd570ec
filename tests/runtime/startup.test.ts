import { credentials, status } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { loadPackageDefinition, type GrpcObject } from '@grpc/grpc-js';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../cluster/processes.js';
import { loadServeConfig } from '../../runtime/config.js';
import { Engine } from '../../runtime/engine/engine.js';
import { RuntimeClient } from '../../contract/grpc/protos.js';
import { createLogger } from '../../contract/log.js';
import { startRuntime } from '../../runtime/serve.js';
import { modelPath } from '../helpers/models.js';
import { collect, waitFor, type RuntimeStub } from '../helpers/runtime.js';

type HealthStub = {
  Check(req: { service: string }, cb: (e: Error | null, r: { status: string }) => void): void;
  close(): void;
};
const Health = (
  loadPackageDefinition(loadSync(healthProtoPath, { enums: String })).grpc as GrpcObject & {
    health: { v1: { Health: new (a: string, c: unknown) => HealthStub } };
  }
).health.v1.Health;

describe('start-up: probes get answers while the model loads', () => {
  // the test holds the loader open
  it('health NOT_SERVING, /readyz 503 and UNAVAILABLE until loaded, then SERVING', async () => {
    const [grpcPort, httpPort] = [await freePort(), await freePort()];
    const config = loadServeConfig({
      model: modelPath('tiny'),
      grpcPort,
      httpPort,
      threads: 1,
      gpu: 'cpu',
      parallel: 1,
    });
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const starting = startRuntime(config, createLogger('warn'), {
      loadEngine: async (...args) => {
        await held;
        return Engine.load(...args);
      },
    });
    const address = `127.0.0.1:${grpcPort}`;
    const health = new Health(address, credentials.createInsecure());
    const check = (service: string) =>
      new Promise<string>((resolve, reject) =>
        health.Check({ service }, (e, r) => (e ? reject(e) : resolve(r.status))),
      );
    await waitFor(
      () =>
        check('').then(
          () => true,
          () => false,
        ),
      10_000,
      'the gRPC server',
    );
    expect(await check('')).toBe('NOT_SERVING');
    expect(await check('gptoss.runtime.v1.Runtime')).toBe('NOT_SERVING');
    const ready = await fetch(`http://127.0.0.1:${httpPort}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'loading' });
    const stub = new RuntimeClient(address, credentials.createInsecure()) as RuntimeStub;
    const early = await collect(stub.Chat({ messages: [{ role: 'user', content: 'Hi' }] }));
    expect(early.error?.code).toBe(status.UNAVAILABLE);
    expect(early.error?.details).toBe('the model is still loading; retry shortly');

    release();
    const runtime = await starting;
    expect(await check('')).toBe('SERVING');
    expect((await fetch(`http://127.0.0.1:${httpPort}/readyz`)).status).toBe(200);
    const late = await collect(stub.Generate({ prompt: 'Hi', max_tokens: 3 }));
    expect(late.error).toBeNull();
    stub.close();
    health.close();
    await runtime.shutdown();
  });
});
