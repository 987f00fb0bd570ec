import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayMetrics } from '../../../gateway/metrics.js';
import { readGatewayDemand } from '../../../operator/controller/gatewayDemand.js';

/** A gateway's ops server as far as /metrics goes: the gateway's own metrics, on its own 127.0.0.x. */
async function gatewayOps(host: string, text?: string) {
  const registry = new Registry();
  const metrics = new GatewayMetrics(registry);
  const server: Server = createServer((_req, res) => {
    if (text !== undefined) return void res.writeHead(200).end(text);
    void registry.metrics().then((body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body));
  });
  server.listen(0, host);
  await once(server, 'listening');
  return { metrics, server, address: `${host}:${(server.address() as AddressInfo).port}` };
}

describe("the requests the gateways hold, read from their /metrics (the gateway's real exposition)", () => {
  const servers: Server[] = [];
  let a: Awaited<ReturnType<typeof gatewayOps>>;
  let b: Awaited<ReturnType<typeof gatewayOps>>;
  let idle: Awaited<ReturnType<typeof gatewayOps>>;
  let stranger: Awaited<ReturnType<typeof gatewayOps>>;

  beforeAll(async () => {
    [a, b, idle, stranger] = await Promise.all([
      gatewayOps('127.0.0.31'),
      gatewayOps('127.0.0.32'),
      gatewayOps('127.0.0.33'),
      gatewayOps('127.0.0.34', '# a metrics page of something else\nup 1\n'),
    ]);
    servers.push(a.server, b.server, idle.server, stranger.server);
    a.metrics.held('team-a/chat', 3);
    a.metrics.held('team-b/code', 1);
    b.metrics.held('team-a/chat', 2);
    b.metrics.held('team-b/code', 0);
  });
  afterAll(() => servers.forEach((s) => s.close()));

  it('sums each model over the gateways; one that never held anything holds none', async () => {
    const demand = await readGatewayDemand([a.address, b.address, idle.address], 1000);
    expect(Object.fromEntries(demand.held)).toEqual({ 'team-a/chat': 5, 'team-b/code': 1 });
    expect(demand.unread).toEqual([]);
  });

  it('says which gateways it could not read, and why; the others still count', async () => {
    const closed = await gatewayOps('127.0.0.35');
    closed.server.close();
    const demand = await readGatewayDemand([a.address, stranger.address, closed.address, 'gateway.invalid:8081'], 1000);
    expect(Object.fromEntries(demand.held)).toEqual({ 'team-a/chat': 3, 'team-b/code': 1 });
    expect(demand.unread).toEqual(
      expect.arrayContaining([
        { address: stranger.address, problem: 'answered no gptoss_gateway_held_requests' },
        { address: closed.address, problem: 'did not answer: ECONNREFUSED' },
        { address: 'gateway.invalid:8081', problem: expect.stringMatching(/^did not resolve: /) as string },
      ]),
    );
    expect(demand.unread).toHaveLength(3);
  });
});
