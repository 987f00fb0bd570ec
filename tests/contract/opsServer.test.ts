import { Gauge, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { startOpsServer, type OpsServer } from '../../contract/opsServer.js';

/** The probes-and-metrics listener the operator and the gateway share, on loopback port 0. */
describe('ops server', () => {
  let server: OpsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const start = async (registry: Registry, ready: () => boolean) => {
    server = await startOpsServer({ host: '127.0.0.1', port: 0, registry, ready });
    return server.url;
  };

  it('answers /healthz at once, /readyz as ready() says, /metrics in the exposition format', async () => {
    const registry = new Registry();
    new Gauge({ name: 'probe_test_value', help: 'a value', registers: [registry] }).set(7);
    let ready = false;
    const url = await start(registry, () => ready);

    const health = await fetch(`${url}/healthz`);
    expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
    const starting = await fetch(`${url}/readyz`);
    expect([starting.status, await starting.json()]).toEqual([503, { status: 'not ready' }]);
    ready = true;
    const synced = await fetch(`${url}/readyz?verbose=1`);
    expect([synced.status, await synced.json()]).toEqual([200, { status: 'ready' }]);

    const metrics = await fetch(`${url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toBe(registry.contentType);
    expect(await metrics.text()).toContain('probe_test_value 7');
  });

  it('refuses other methods and paths, and says a failed metrics collection', async () => {
    const registry = new Registry();
    new Gauge({
      name: 'probe_test_broken',
      help: 'collects by throwing',
      registers: [registry],
      collect() {
        throw new Error('collector broke');
      },
    });
    const url = await start(registry, () => true);

    const posted = await fetch(`${url}/metrics`, { method: 'POST', body: 'x' });
    expect([posted.status, await posted.json()]).toEqual([405, { status: 'method not allowed' }]);
    const missing = await fetch(`${url}/debug/pprof`);
    expect([missing.status, await missing.json()]).toEqual([404, { status: 'not found' }]);
    const broken = await fetch(`${url}/metrics`);
    expect(broken.status).toBe(500);
    expect(await broken.json()).toEqual({ status: 'metrics failed: Error: collector broke' });
  });
});
